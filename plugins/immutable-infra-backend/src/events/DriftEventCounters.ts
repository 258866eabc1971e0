import { LoggerService } from '@backstage/backend-plugin-api';
import { metrics } from '@opentelemetry/api';

/** What became of a message. @internal */
export type DriftEventOutcome =
  /** Acted on: the entities it touches were resynced. */
  | 'resynced'
  /** Of a kind the consumer knows, but touching no enrolled entity. */
  | 'unmatched'
  /** Known, but nothing to do: a rollout's own launch, a refused call. */
  | 'ignored'
  /** Not JSON, not an EventBridge event, or a known event of another shape. */
  | 'malformed'
  /** An event of another account or region than its queue's. */
  | 'foreign'
  /** A detail type or API call the consumer does not read. */
  | 'unknown'
  /** Larger than the largest event EventBridge sends. */
  | 'oversize'
  /** An event id already acted on within the window. */
  | 'duplicate'
  /** Processing failed: left on the queue for SQS to deliver again. */
  | 'failed';

/** Outcomes that drop a message unread or unacted on, logged at a bounded rate. */
const DROPS = new Set<DriftEventOutcome>([
  'malformed',
  'foreign',
  'unknown',
  'oversize',
  'duplicate',
  'failed',
]);

/** Lines logged per outcome per minute; the rest are summed in the next line. */
const LOG_LINES_PER_MINUTE = 5;

/** The counts of the consumer since the process started. @internal */
export type DriftEventCounts = Record<DriftEventOutcome, number> & {
  received: number;
};

/**
 * Counts every message by outcome, in memory (the consumer's status) and
 * as the OpenTelemetry counter `immutable_infra.drift_events` with the
 * outcome as attribute (Backstage exports the plugin's metrics where the
 * backend is set up to), and logs drops at a bounded rate: a flood of
 * hostile events costs a few lines a minute.
 *
 * @internal
 */
export class DriftEventCounters {
  private readonly counts: DriftEventCounts = {
    received: 0,
    resynced: 0,
    unmatched: 0,
    ignored: 0,
    malformed: 0,
    foreign: 0,
    unknown: 0,
    oversize: 0,
    duplicate: 0,
    failed: 0,
  };
  private readonly logWindow = new Map<
    DriftEventOutcome,
    { start: number; lines: number; suppressed: number }
  >();
  private readonly counter = metrics
    .getMeter('immutable-infra')
    .createCounter('immutable_infra.drift_events', {
      description: 'Drift events received from the queue, by outcome',
    });

  constructor(
    private readonly logger: LoggerService,
    private readonly now: () => number = Date.now,
  ) {}

  received(n: number) {
    this.counts.received += n;
  }

  count(outcome: DriftEventOutcome, message?: string) {
    this.counts[outcome] += 1;
    this.counter.add(1, { outcome });
    if (!DROPS.has(outcome) || message === undefined) {
      return;
    }
    const now = this.now();
    let window = this.logWindow.get(outcome);
    if (!window || now - window.start >= 60_000) {
      const suppressed = window?.suppressed ?? 0;
      window = { start: now, lines: 0, suppressed: 0 };
      this.logWindow.set(outcome, window);
      if (suppressed > 0) {
        this.logger.warn(
          `Drift events: ${suppressed} more ${outcome} events dropped in the last minute`,
        );
      }
    }
    if (window.lines < LOG_LINES_PER_MINUTE) {
      window.lines += 1;
      this.logger.warn(`Drift event ${outcome}: ${message}`);
    } else {
      window.suppressed += 1;
    }
  }

  snapshot(): DriftEventCounts {
    return { ...this.counts };
  }
}
