import { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { parseImmutableInfraAnnotations } from '@immutable-infra/backstage-plugin-common';
import { FleetStore } from './FleetStore';
import {
  FleetInstance,
  FleetProvider,
  LaunchTemplateDefault,
} from '../providers/FleetProvider';
import { listEnrolledEntities } from '../catalog/EntityRefresh';
import { EntitySnapshotStore } from '../catalog/EntitySnapshotStore';

/** Entities a sync has in flight unless told otherwise. @internal */
export const FLEET_SYNC_CONCURRENCY = 4;

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
      /** Entities synced at once; defaults to {@link FLEET_SYNC_CONCURRENCY}. */
      concurrency?: number;
    },
  ) {}

  /** Syncs every enrolled entity, or the one named. */
  async run(entityRef?: string): Promise<EntitySyncResult[]> {
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
    // A few entities at a time: one's database write overlaps the next one's
    // AWS calls, while memory stays bounded by the entities in flight.
    const results: EntitySyncResult[] = new Array(entities.length);
    let next = 0;
    const worker = async () => {
      while (next < entities.length) {
        const index = next++;
        results[index] = await this.syncEntity(entities[index], provider);
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

  private async syncEntity(
    entity: Entity,
    provider: FleetProvider,
  ): Promise<EntitySyncResult> {
    const entityRef = stringifyEntityRef(entity);
    try {
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
      for (const region of regions) {
        const found = await provider.listInstances({
          region,
          account,
          selector: annotations.fleetSelector,
        });
        instances.push(
          ...found.map(i => ({
            ...i,
            environment: i.tags[this.options.environmentTag] || undefined,
          })),
        );
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
      }
      await this.options.fleet.replaceInventory({
        entityRef,
        instances,
        launchTemplates,
      });
      return { entityRef, status: 'ok', instances: instances.length };
    } catch (error) {
      const message = (error as Error).message ?? String(error);
      this.options.logger.warn(`Fleet sync of ${entityRef} failed: ${message}`);
      await this.options.fleet.recordSyncFailure({ entityRef, error: message });
      return { entityRef, status: 'failed', instances: 0, error: message };
    }
  }
}
