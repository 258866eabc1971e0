import { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { parseImmutableInfraAnnotations } from '@immutable-infra/backstage-plugin-common';
import { AutoScalingGroupRecord } from '../drift/types';
import { FleetStore, InventoryUpdate } from './FleetStore';
import {
  FleetInstance,
  FleetProvider,
  LaunchTemplateDefault,
} from '../providers/FleetProvider';
import { listEnrolledEntities } from '../catalog/EntityRefresh';
import { EntitySnapshotStore } from '../catalog/EntitySnapshotStore';
import { InstanceFactsOptions, readInstanceFacts } from './instanceFacts';

/** Entities a sync has in flight unless told otherwise. @internal */
export const FLEET_SYNC_CONCURRENCY = 4;

/**
 * Instances written in one transaction once that many wait; twice as many
 * waiting hold the AWS calls back.
 */
const WRITE_BATCH_INSTANCES = 2_000;

/** How long an inventory waits for others to share its transaction. */
const WRITE_LINGER_MS = 1_000;

/**
 * What triggered a sync: the periodic poll (the default), or an event that
 * said something changed.
 *
 * @internal
 */
export type SyncTrigger = 'poll' | 'event';

/** Outcome of syncing one entity. @internal */
export type EntitySyncResult = {
  entityRef: string;
  status: 'ok' | 'failed';
  instances: number;
  error?: string;
};

/**
 * Writes inventories in groups, one transaction each: a commit (which on
 * SQLite waits for the disk, with the process blocked) is then paid once for
 * many entities, and rows go in multi-row inserts. A group is written when
 * {@link WRITE_BATCH_INSTANCES} instances wait, when the first of them has
 * waited {@link WRITE_LINGER_MS}, or when the sync has nothing more to
 * fetch; one group at a time.
 */
class InventoryWriter {
  private pending: {
    update: InventoryUpdate;
    settle: (error?: unknown) => void;
  }[] = [];
  private pendingInstances = 0;
  private writing: Promise<void> | undefined;
  private linger: ReturnType<typeof setTimeout> | undefined;
  private draining = false;

  constructor(private readonly fleet: FleetStore) {}

  /** Resolves once the update is committed, rejects with its own error. */
  write(update: InventoryUpdate): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({
        update,
        settle: error => (error === undefined ? resolve() : reject(error)),
      });
      this.pendingInstances += update.instances.length;
      this.schedule();
    });
  }

  /** Waits while too many instances wait for their write. */
  async room(): Promise<void> {
    while (this.pendingInstances >= 2 * WRITE_BATCH_INSTANCES) {
      await this.writing;
    }
  }

  /** Writes whatever waits, without lingering. */
  async drain(): Promise<void> {
    this.draining = true;
    this.schedule();
    while (this.writing) {
      await this.writing;
    }
  }

  private schedule() {
    if (this.writing || this.pending.length === 0) {
      return;
    }
    if (this.draining || this.pendingInstances >= WRITE_BATCH_INSTANCES) {
      clearTimeout(this.linger);
      this.linger = undefined;
      this.writeGroup();
    } else if (!this.linger) {
      this.linger = setTimeout(() => {
        this.linger = undefined;
        if (!this.writing) {
          this.writeGroup();
        }
      }, WRITE_LINGER_MS);
    }
  }

  private writeGroup() {
    let instances = 0;
    let count = 0;
    while (
      count < this.pending.length &&
      (count === 0 ||
        instances + this.pending[count].update.instances.length <=
          WRITE_BATCH_INSTANCES)
    ) {
      instances += this.pending[count].update.instances.length;
      count += 1;
    }
    const group = this.pending.slice(0, count);
    this.pending = this.pending.slice(count);
    this.writing = this.commit(group).finally(() => {
      this.pendingInstances -= instances;
      this.writing = undefined;
      this.schedule();
    });
  }

  private async commit(group: typeof this.pending) {
    try {
      await this.fleet.replaceInventories(group.map(g => g.update));
      group.forEach(g => g.settle());
    } catch (error) {
      if (group.length === 1) {
        group[0].settle(error ?? new Error('write failed'));
        return;
      }
      // Nothing of the group was written: each entity alone, so that one
      // entity's failure is its own.
      for (const g of group) {
        try {
          await this.fleet.replaceInventories([g.update]);
          g.settle();
        } catch (own) {
          g.settle(own ?? new Error('write failed'));
        }
      }
    }
  }
}

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

  /** Syncs every enrolled entity, or the one named. */
  async run(
    entityRef?: string,
    options: { trigger?: SyncTrigger } = {},
  ): Promise<EntitySyncResult[]> {
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
    // A few entities at a time in AWS; their writes are grouped meanwhile.
    // Memory stays bounded by the entities in flight and the instances
    // waiting for their write.
    const outcomes: Promise<EntitySyncResult>[] = new Array(entities.length);
    let next = 0;
    const worker = async () => {
      while (next < entities.length) {
        const index = next++;
        const ref = stringifyEntityRef(entities[index]);
        let update: InventoryUpdate;
        try {
          update = await this.fetchInventory(entities[index], provider);
        } catch (error) {
          outcomes[index] = this.failed(ref, error);
          await outcomes[index];
          continue;
        }
        // The write goes on without this worker, which takes the next
        // entity as soon as there is room.
        outcomes[index] = writer.write(update).then(
          async () => {
            await this.afterSync(ref, trigger);
            return {
              entityRef: ref,
              status: 'ok' as const,
              instances: update.instances.length,
            };
          },
          error => this.failed(ref, error),
        );
        // Rejected only if the failure cannot be recorded: that is thrown
        // once every write has ended.
        outcomes[index].catch(() => {});
        await writer.room();
      }
    };
    await Promise.all(
      Array.from(
        {
          length: Math.min(
            this.options.concurrency ?? FLEET_SYNC_CONCURRENCY,
            entities.length,
          ),
        },
        worker,
      ),
    );
    await writer.drain();
    const results = await Promise.all(outcomes);
    const failed = results.filter(r => r.status === 'failed');
    this.options.logger.info(
      `Fleet sync: ${results.length - failed.length} entities synced, ${
        failed.length
      } failed${
        failed.length ? ` (${failed.map(f => f.entityRef).join(', ')})` : ''
      }`,
    );
    return results;
  }

  /** What EC2 says of an entity's fleet now; throws when it cannot tell. */
  private async fetchInventory(
    entity: Entity,
    provider: FleetProvider,
  ): Promise<InventoryUpdate> {
    const { annotations, errors } = parseImmutableInfraAnnotations(entity);
    if (errors.length > 0) {
      throw new Error(
        `malformed annotations: ${errors
          .map(e => `${e.annotation} ${e.message}`)
          .join('; ')}`,
      );
    }
    if (!annotations.imageFamily) {
      throw new Error('the entity is not enrolled');
    }
    const regions = annotations.regions ?? this.options.regions;
    const account = annotations.awsAccountId;
    const instances: (FleetInstance & { environment?: string })[] = [];
    const launchTemplates: LaunchTemplateDefault[] = [];
    const autoscalingGroups: AutoScalingGroupRecord[] = [];
    const groupNames = Object.entries(annotations.autoscalingGroups ?? {});
    for (const region of regions) {
      const found = await provider.listInstances({
        region,
        account,
        selector: annotations.fleetSelector,
      });
      await readInstanceFacts(
        provider,
        { region, account },
        annotations,
        found,
        this.options.facts ?? {},
      );
      for (const instance of found) {
        instances.push({
          ...instance,
          environment: instance.tags[this.options.environmentTag] || undefined,
        });
      }
      if (annotations.launchTemplate) {
        const template = await provider.getLaunchTemplateDefault({
          region,
          account,
          launchTemplate: annotations.launchTemplate,
        });
        if (template) {
          launchTemplates.push(template);
        }
      }
      if (groupNames.length > 0) {
        const groups = await provider.describeAutoScalingGroups({
          region,
          account,
          names: groupNames.map(([, name]) => name),
        });
        for (const [environment, name] of groupNames) {
          autoscalingGroups.push({
            environment,
            name,
            region,
            group: groups.find(g => g.name === name),
          });
        }
      }
    }
    return {
      entityRef: stringifyEntityRef(entity),
      instances,
      launchTemplates,
      autoscalingGroups,
    };
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
