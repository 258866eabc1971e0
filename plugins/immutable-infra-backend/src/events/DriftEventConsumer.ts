import { LoggerService } from '@backstage/backend-plugin-api';
import { DriftEventQueue, QueueMessage } from '../providers/DriftEventProvider';
import { DedupeWindow } from './DedupeWindow';
import { DriftEventCounters } from './DriftEventCounters';
import {
  DriftEventQueueSettings,
  DriftEventSettings,
} from './driftEventSettings';
import { DriftEvent, parseDriftEvent } from './driftEvents';
import { DriftEventTargets } from './DriftEventTargets';

/** Event ids remembered at most, whatever the window: memory stays bounded. */
const DEDUPE_CAPACITY = 100_000;

/** Entities resynced at once for one batch. */
const SYNC_CONCURRENCY = 4;

/**
 * Resyncs one entity through fleet sync's own path (the path of
 * `POST /sync { entityRef }`); true when the sync succeeded.
 */
export type SyncEntity = (entityRef: string) => Promise<boolean>;

/**
 * Reads the queue that EventBridge feeds with the events that create
 * drift, and resyncs only the entities each event touches, so drift shows
 * seconds after it is made; the periodic sync stays as the backstop for
 * events that are lost.
 *
 * A batch of up to 10 messages is read, acted on and deleted; a message
 * whose processing fails (the cloud or the database could not be asked,
 * a resync failed) is not deleted, so SQS delivers it again after its
 * visibility timeout and moves it to the dead-letter queue after the
 * redrive policy's receives. Malformed, foreign, unknown, oversize and
 * duplicate events are counted and deleted: they can never succeed.
 *
 * @internal
 */
export class DriftEventConsumer {
  private readonly seen: DedupeWindow;
  readonly counters: DriftEventCounters;

  constructor(
    private readonly options: {
      queue: DriftEventQueue;
      targets: DriftEventTargets;
      syncEntity: SyncEntity;
      settings: DriftEventSettings;
      logger: LoggerService;
      now?: () => number;
    },
  ) {
    this.seen = new DedupeWindow({
      windowMs: options.settings.dedupeWindowMs,
      capacity: DEDUPE_CAPACITY,
      now: options.now,
    });
    this.counters = new DriftEventCounters(options.logger, options.now);
  }

  /**
   * Receives from every queue for `runForMs` (or until the signal aborts),
   * acting on each batch as it arrives: one run of the scheduled task.
   */
  async run(signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + this.options.settings.runForMs;
    await Promise.all(
      this.options.settings.queues.map(async queue => {
        while (!signal?.aborted) {
          const left = deadline - Date.now();
          if (left <= 0) {
            return;
          }
          try {
            await this.receiveOnce(queue, {
              waitSeconds: Math.min(
                this.options.settings.waitSeconds,
                Math.ceil(left / 1000),
              ),
              signal,
            });
          } catch (error) {
            // The queue could not be read: say so, wait a little, go on.
            this.options.logger.warn(
              `Drift events: reading ${queue.queueUrl} failed: ${
                (error as Error)?.message ?? error
              }`,
            );
            await sleep(Math.min(5_000, Math.max(left, 0)), signal);
          }
        }
      }),
    );
  }

  /** Receives one batch from a queue and acts on it; answers how many messages came. */
  async receiveOnce(
    queue: DriftEventQueueSettings,
    options: { waitSeconds: number; signal?: AbortSignal },
  ): Promise<number> {
    const messages = await this.options.queue.receive(queue, {
      maxMessages: 10,
      waitSeconds: options.waitSeconds,
      signal: options.signal,
    });
    if (messages.length > 0) {
      await this.process(queue, messages);
    }
    return messages.length;
  }

  /** Acts on one batch, then deletes every message but the failed ones. */
  async process(
    queue: DriftEventQueueSettings,
    messages: QueueMessage[],
  ): Promise<void> {
    const { counters } = this;
    counters.received(messages.length);
    const done: string[] = [];
    const inBatch = new Set<string>();
    const events: { message: QueueMessage; event: DriftEvent }[] = [];

    for (const message of messages) {
      const bytes = Buffer.byteLength(message.body, 'utf8');
      if (bytes > this.options.settings.maxEventBytes) {
        counters.count(
          'oversize',
          `message ${message.messageId}: ${bytes} bytes`,
        );
        done.push(message.receiptHandle);
        continue;
      }
      const parsed = parseDriftEvent(message.body);
      if (parsed.kind === 'drop') {
        counters.count(
          parsed.reason,
          `message ${message.messageId}: ${parsed.message}`,
        );
        done.push(message.receiptHandle);
        continue;
      }
      const { event } = parsed;
      if (
        event.account !== queue.eventAccount ||
        event.region !== queue.eventRegion
      ) {
        counters.count(
          'foreign',
          `event ${event.id}: account ${event.account} in ${event.region} on the queue of ${queue.eventAccount} in ${queue.eventRegion}`,
        );
        done.push(message.receiptHandle);
        continue;
      }
      if (this.seen.has(event.id) || inBatch.has(event.id)) {
        counters.count('duplicate', `event ${event.id}`);
        done.push(message.receiptHandle);
        continue;
      }
      inBatch.add(event.id);
      events.push({ message, event });
    }

    // Which entities each event touches; an event whose lookup fails waits
    // for its next delivery.
    const location = { region: queue.region, account: queue.account };
    const touched = new Map<string, string[]>();
    const failed = new Set<QueueMessage>();
    for (const { message, event } of events) {
      try {
        touched.set(
          event.id,
          await this.options.targets.entitiesOf(event.touch, location),
        );
      } catch (error) {
        failed.add(message);
        counters.count(
          'failed',
          `event ${event.id} (${event.what}): finding what it touches failed: ${
            (error as Error)?.message ?? error
          }`,
        );
      }
    }

    // Each entity once for the whole batch, whatever number of events touch it.
    const entities = [...new Set([...touched.values()].flat())];
    const synced = new Map<string, boolean>();
    let next = 0;
    await Promise.all(
      Array.from(
        { length: Math.min(SYNC_CONCURRENCY, entities.length) },
        async () => {
          while (next < entities.length) {
            const entityRef = entities[next++];
            try {
              synced.set(entityRef, await this.options.syncEntity(entityRef));
            } catch (error) {
              this.options.logger.warn(
                `Drift events: resync of ${entityRef} failed: ${
                  (error as Error)?.message ?? error
                }`,
              );
              synced.set(entityRef, false);
            }
          }
        },
      ),
    );

    for (const { message, event } of events) {
      if (failed.has(message)) {
        continue;
      }
      const refs = touched.get(event.id) ?? [];
      const failedRefs = refs.filter(ref => !synced.get(ref));
      if (failedRefs.length > 0) {
        counters.count(
          'failed',
          `event ${event.id} (${event.what}): resync of ${failedRefs.join(
            ', ',
          )} failed`,
        );
        continue;
      }
      this.seen.add(event.id);
      done.push(message.receiptHandle);
      if (refs.length === 0) {
        counters.count('unmatched');
      } else {
        counters.count('resynced');
        this.options.logger.debug(
          `Drift event ${event.id} (${event.what}) resynced ${refs.join(', ')}`,
        );
      }
    }

    if (done.length > 0) {
      const notDeleted = await this.options.queue.delete(queue, done);
      if (notDeleted.length > 0) {
        // Delivered again later: the dedupe window or an idempotent resync
        // takes care of it.
        this.options.logger.warn(
          `Drift events: ${notDeleted.length} messages could not be deleted from ${queue.queueUrl}`,
        );
      }
    }
  }
}

function sleep(ms: number, signal?: AbortSignal) {
  return new Promise<void>(resolve => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done);
  });
}
