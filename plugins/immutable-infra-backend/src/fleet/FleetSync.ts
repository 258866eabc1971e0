import { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { parseImmutableInfraAnnotations } from '@immutable-infra/backstage-plugin-common';
import { FleetStore, InventoryUpdate } from './FleetStore';
import { FleetProvider } from '../providers/FleetProvider';
import { listEnrolledEntities } from '../catalog/EntityRefresh';
import { EntitySnapshotStore } from '../catalog/EntitySnapshotStore';
import { InstanceFactsOptions } from './instanceFacts';
import { InventoryWriter } from './InventoryWriter';
import {
  addInventoryPart,
  errorMessage,
  groupByAccountRegion,
  InventoryPart,
  readAccountRegion,
} from './accountInventory';
import { fetchEntityInventory, markOwnedTwice } from './entityInventory';
import { lastSyncAttempts, leastRecentlyAttemptedFirst } from './syncBudget';

export {
  FLEET_SYNC_BUDGET_SHARE,
  FLEET_SYNC_STOP_SHARE,
  fleetSyncBudgetMs,
  fleetSyncStopMs,
} from './syncBudget';

/** Entities a sync has in flight unless told otherwise. @internal */
export const FLEET_SYNC_CONCURRENCY = 4;

/**
 * What triggered a sync: the periodic poll (the default), or an event that
 * said something changed.
 *
 * @internal
 */
export type SyncTrigger = 'poll' | 'event';

/** What a sync with a time budget did and left for the next run. @internal */
export type FleetSyncRun = {
  results: EntitySyncResult[];
  /**
   * Entities not synced because the budget ran out before one of their
   * accounts and regions was reached, or the sync stopped waiting for it:
   * their last inventories stay as they were, and the next run starts with
   * them.
   */
  deferred: string[];
};

/** Outcome of syncing one entity. @internal */
export type EntitySyncResult = {
  entityRef: string;
  status: 'ok' | 'failed';
  instances: number;
  error?: string;
};

/**
 * Finds every enrolled entity in the catalog and replaces its inventory with
 * what EC2 reports. A failure for one entity records it (the entity's last
 * good inventory stays, marked stale) and the others go on.
 *
 * @internal
 */
export class FleetSync {
  constructor(
    private readonly options: {
      catalog: CatalogService;
      auth: AuthService;
      fleet: FleetStore;
      /** Takes the enrolled entities each sync reads. */
      snapshots: EntitySnapshotStore;
      /** A provider per run, so its caches last one sync. */
      providerFactory: () => FleetProvider;
      logger: LoggerService;
      regions: string[];
      environmentTag: string;
      /** The facts beyond EC2 the drift rules ask for; none unless told. */
      facts?: InstanceFactsOptions;
      /** Entities synced at once; defaults to {@link FLEET_SYNC_CONCURRENCY}. */
      concurrency?: number;
      /** The clock a time budget is read from; a fake in tests. */
      now?: () => number;
      /**
       * Runs after each good sync of an entity, once its inventory is
       * written (the drift lifetimes); its failure is logged, the sync
       * stays good.
       */
      afterSync?: (sync: {
        entityRef: string;
        trigger: SyncTrigger;
      }) => Promise<unknown>;
    },
  ) {}

  /**
   * Syncs every enrolled entity, or the one named. A full sync lists each
   * account and region once and partitions its instances by the entities'
   * selectors; the one named is asked for with its own selector alone.
   */
  async run(
    entityRef?: string,
    options: { trigger?: SyncTrigger } = {},
  ): Promise<EntitySyncResult[]> {
    return (await this.sync(entityRef, options)).results;
  }

  /**
   * A full sync that starts no account and region once `budgetMs` has
   * passed (the periodic task, bounded by the scheduler's timeout). The
   * accounts and regions least recently attempted go first, so those a run
   * could not reach open the next one; an entity whose account and region
   * was not reached is left as it was (its last inventory stays, and turns
   * stale only as any inventory does, past two periods). With `stopMs`, an
   * account and region still answering then is given up (its calls are
   * abandoned, its entities left as those not reached), so a slow account
   * cannot hold the sync past the task's timeout.
   */
  async runWithin(
    budgetMs: number,
    options: { stopMs?: number } = {},
  ): Promise<FleetSyncRun> {
    return this.sync(undefined, { budgetMs, stopMs: options.stopMs });
  }

  private async sync(
    entityRef: string | undefined,
    options: { trigger?: SyncTrigger; budgetMs?: number; stopMs?: number },
  ): Promise<FleetSyncRun> {
    const now = this.options.now ?? Date.now;
    const deadline =
      options.budgetMs === undefined ? undefined : now() + options.budgetMs;
    const stop =
      options.stopMs === undefined ? undefined : now() + options.stopMs;
    const trigger = options.trigger ?? 'poll';
    const credentials = await this.options.auth.getOwnServiceCredentials();
    let entities: Entity[];
    if (entityRef) {
      const entity = await this.options.catalog.getEntityByRef(entityRef, {
        credentials,
      });
      entities = entity ? [entity] : [];
      if (
        entity &&
        parseImmutableInfraAnnotations(entity).annotations.imageFamily
      ) {
        await this.options.snapshots.putSnapshot(entity);
      }
    } else {
      entities = await listEnrolledEntities(this.options.catalog, credentials);
      await this.options.snapshots.replaceSnapshots(entities);
    }
    const provider = this.options.providerFactory();
    const writer = new InventoryWriter(this.options.fleet);
    const outcome: FleetSyncRun & { stopped?: number } =
      entityRef || !provider.listAccountInstances
        ? await this.syncEach(entities, provider, writer, trigger, deadline)
        : await this.syncByAccount(entities, provider, writer, trigger, {
            deadline,
            stop,
          });
    const results = outcome.results;
    const failed = results.filter(r => r.status === 'failed');
    this.options.logger.info(
      `Fleet sync: ${results.length - failed.length} entities synced, ${
        failed.length
      } failed${
        failed.length ? ` (${failed.map(f => f.entityRef).join(', ')})` : ''
      }${
        outcome.deferred.length
          ? `, ${
              outcome.deferred.length
            } left for the next run (its time budget of ${Math.round(
              options.budgetMs! / 1000,
            )} s ran out${
              outcome.stopped
                ? `, and ${outcome.stopped} accounts and regions still answering were given up`
                : ''
            }; they go first then)`
          : ''
      }`,
    );
    return { results: outcome.results, deferred: outcome.deferred };
  }

  /**
   * Writes a good inventory (grouped with others by the writer) and runs
   * what follows a good sync; the outcome settles once written.
   */
  private written(
    writer: InventoryWriter,
    update: InventoryUpdate,
    trigger: SyncTrigger,
  ): Promise<EntitySyncResult> {
    const outcome = writer.write(update).then(
      async () => {
        await this.afterSync(update.entityRef, trigger);
        return {
          entityRef: update.entityRef,
          status: 'ok' as const,
          instances: update.instances.length,
        };
      },
      error => this.failed(update.entityRef, error),
    );
    // Rejected only if the failure cannot be recorded: that is thrown once
    // every write has ended.
    outcome.catch(() => {});
    return outcome;
  }

  /**
   * Entity by entity, each asked for with its own selector: the targeted
   * resync, and a provider that cannot list an account's inventory.
   */
  private async syncEach(
    input: Entity[],
    provider: FleetProvider,
    writer: InventoryWriter,
    trigger: SyncTrigger,
    deadline?: number,
  ): Promise<FleetSyncRun> {
    const now = this.options.now ?? Date.now;
    let entities = input;
    if (deadline !== undefined) {
      // The least recently attempted first.
      const attempts = await lastSyncAttempts(
        this.options.fleet,
        entities.map(e => stringifyEntityRef(e)),
      );
      entities = leastRecentlyAttemptedFirst(
        entities,
        e => [stringifyEntityRef(e)],
        attempts,
      );
    }
    // A few entities at a time in AWS; their writes are grouped meanwhile.
    // Memory stays bounded by the entities in flight and the instances
    // waiting for their write.
    const outcomes: Promise<EntitySyncResult>[] = new Array(entities.length);
    const deferred: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < entities.length) {
        if (deadline !== undefined && now() >= deadline) {
          deferred.push(
            ...entities.slice(next).map(e => stringifyEntityRef(e)),
          );
          next = entities.length;
          break;
        }
        const index = next++;
        const ref = stringifyEntityRef(entities[index]);
        let update: InventoryUpdate;
        try {
          update = await fetchEntityInventory(entities[index], provider, {
            regions: this.options.regions,
            environmentTag: this.options.environmentTag,
            facts: this.options.facts,
          });
          await markOwnedTwice(this.options.fleet, update);
        } catch (error) {
          outcomes[index] = this.failed(ref, error);
          await outcomes[index];
          continue;
        }
        // The write goes on without this worker, which takes the next
        // entity as soon as there is room.
        outcomes[index] = this.written(writer, update, trigger);
        await writer.room();
      }
    };
    await this.workers(entities.length, worker);
    await writer.drain();
    return {
      results: await Promise.all(outcomes.filter(Boolean)),
      deferred,
    };
  }

  /**
   * Every account and region listed once, groups of them at a time: the
   * instances carrying any of the entities' selector keys, then their
   * security groups, launch templates and Auto Scaling groups in batches,
   * then the facts beyond EC2. Instances are assigned to entities by their
   * selectors here. An entity is written once each of its regions has
   * answered; a region that could not be listed fails the entities that
   * look there (their last good inventories stay), the others go on.
   *
   * With a deadline, the accounts and regions whose entities were least
   * recently attempted go first, and none is started past the deadline:
   * the entities of one not reached are deferred, neither written nor
   * failed, and open the next run. At `stop`, those still in flight are
   * given up the same way.
   */
  private async syncByAccount(
    entities: Entity[],
    provider: FleetProvider,
    writer: InventoryWriter,
    trigger: SyncTrigger,
    limits: { deadline?: number; stop?: number },
  ): Promise<FleetSyncRun & { stopped: number }> {
    const { deadline, stop } = limits;
    const now = this.options.now ?? Date.now;
    const stopping = new AbortController();
    const timer =
      stop === undefined
        ? undefined
        : setTimeout(() => stopping.abort(), Math.max(0, stop - now()));
    const stopped = new Promise<'stopped'>(resolve =>
      stopping.signal.addEventListener('abort', () => resolve('stopped'), {
        once: true,
      }),
    );
    let given = 0;
    const outcomes: Promise<EntitySyncResult>[] = new Array(entities.length);
    const { groups: listed, pending } = groupByAccountRegion(
      entities,
      this.options.regions,
      {
        onFailed: (index, ref, error) => {
          outcomes[index] = this.failed(ref, error);
        },
        onComplete: (index, update) => {
          outcomes[index] = this.written(writer, update, trigger);
        },
      },
    );

    let groups = listed;
    if (deadline !== undefined) {
      const attempts = await lastSyncAttempts(
        this.options.fleet,
        [...pending.values()].map(p => p.update.entityRef),
      );
      groups = leastRecentlyAttemptedFirst(
        groups,
        group => group.members.map(m => m.ref),
        attempts,
      );
    }
    let next = 0;
    const worker = async () => {
      while (next < groups.length) {
        if (
          (deadline !== undefined && now() >= deadline) ||
          stopping.signal.aborted
        ) {
          next = groups.length;
          break;
        }
        const group = groups[next++];
        const read = readAccountRegion(group, provider, {
          environmentTag: this.options.environmentTag,
          facts: this.options.facts,
          signal: stopping.signal,
        }).catch((error): Map<number, InventoryPart | Error> | 'stopped' => {
          if (stopping.signal.aborted) {
            return 'stopped';
          }
          const failure = new Error(errorMessage(error));
          return new Map(group.members.map(m => [m.index, failure]));
        });
        const found = await Promise.race([read, stopped]);
        if (found === 'stopped') {
          // Its members stay pending: deferred, neither written nor failed.
          given += 1;
          continue;
        }
        for (const member of group.members) {
          const entry = pending.get(member.index)!;
          if (!addInventoryPart(entry, found.get(member.index)!)) {
            continue;
          }
          pending.delete(member.index);
          outcomes[member.index] =
            entry.errors.length > 0
              ? this.failed(entry.update.entityRef, entry.errors.join('; '))
              : this.written(writer, entry.update, trigger);
        }
        await writer.room();
      }
    };
    await this.workers(groups.length, worker);
    clearTimeout(timer);
    await writer.drain();
    // What is still pending waits for an account and region not reached.
    const deferred = [...pending.values()].map(p => p.update.entityRef);
    return {
      results: await Promise.all(outcomes.filter(Boolean)),
      deferred,
      stopped: given,
    };
  }

  /** Runs `worker` as many times at once as the sync's concurrency allows. */
  private async workers(items: number, worker: () => Promise<void>) {
    const count = Math.min(
      this.options.concurrency ?? FLEET_SYNC_CONCURRENCY,
      items,
    );
    await Promise.all(Array.from({ length: count }, worker));
  }

  private async afterSync(entityRef: string, trigger: SyncTrigger) {
    try {
      await this.options.afterSync?.({ entityRef, trigger });
    } catch (error) {
      this.options.logger.warn(
        `After the fleet sync of ${entityRef}: ${
          (error as Error)?.message ?? String(error)
        }`,
      );
    }
  }

  /** Records a failed sync; the entity's last good inventory stays. */
  private async failed(
    entityRef: string,
    error: unknown,
  ): Promise<EntitySyncResult> {
    const message = (error as Error)?.message ?? String(error);
    this.options.logger.warn(`Fleet sync of ${entityRef} failed: ${message}`);
    await this.options.fleet.recordSyncFailure({ entityRef, error: message });
    return { entityRef, status: 'failed', instances: 0, error: message };
  }
}
