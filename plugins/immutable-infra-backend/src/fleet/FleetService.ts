import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import {
  BlastRadius,
  immutableInfraFleetSyncPermission,
} from '@immutable-infra/backstage-plugin-common';
import { Caller } from '../audit/principalRef';
import { EntityAccess } from '../catalog/EntityAccess';
import { InstanceRecord } from '../drift/types';
import { EntitySnapshotStore } from '../catalog/EntitySnapshotStore';
import { ImageRegistry } from '../registry/ImageRegistry';
import { FleetStore } from './FleetStore';
import { EntitySyncResult, FleetSync } from './FleetSync';

/**
 * What callers ask of fleets: which instances an image runs on (its blast
 * radius), and a sync now.
 *
 * @internal
 */
export class FleetService {
  constructor(
    private readonly options: {
      access: EntityAccess;
      registry: ImageRegistry;
      fleet: FleetStore;
      snapshots: EntitySnapshotStore;
      fleetSync: FleetSync;
    },
  ) {}

  /**
   * Every instance running a version's AMIs, by entity, among the entities
   * the caller may read (the others are left out, not named).
   */
  async blastRadius(id: string, credentials: Caller): Promise<BlastRadius> {
    const { version } = await this.options.registry.readableVersion(
      id,
      credentials,
    );
    const imageIds = version.artifacts.map(a => a.imageId);
    const instances = await this.options.fleet.findInstancesByImage(imageIds);
    const byEntity = new Map<string, InstanceRecord[]>();
    for (const instance of instances) {
      byEntity.set(instance.entityRef, [
        ...(byEntity.get(instance.entityRef) ?? []),
        instance,
      ]);
    }
    // One permission check for all the entities, and their owners from the
    // plugin's copy; an entity it has no copy of is read from the catalog.
    const refs = [...byEntity.keys()];
    const [mayRead, snapshots] = await Promise.all([
      this.options.access.mayRead(refs, credentials),
      this.options.snapshots.getSnapshots(refs),
    ]);
    const entities: BlastRadius['entities'] = [];
    for (const [index, entityRef] of refs.entries()) {
      const list = byEntity.get(entityRef)!;
      const snapshot = snapshots.get(entityRef);
      let owner: string | undefined;
      if (snapshot) {
        if (!mayRead[index]) {
          continue;
        }
        owner = snapshot.owner ?? undefined;
      } else {
        const entity = await this.options.access.readEntity(
          entityRef,
          credentials,
        );
        if (!entity) {
          continue;
        }
        owner = (entity.spec as { owner?: string } | undefined)?.owner;
      }
      entities.push({
        entityRef,
        owner: owner
          ? stringifyEntityRef(parseEntityRef(owner, { defaultKind: 'group' }))
          : undefined,
        environments: [
          ...new Set(list.map(i => i.environment ?? 'untagged')),
        ].sort(),
        instanceIds: list.map(i => i.instanceId),
      });
    }
    return {
      version: version.id,
      imageIds,
      instances: entities.reduce((n, e) => n + e.instanceIds.length, 0),
      entities,
    };
  }

  /**
   * Syncs one entity (which the caller must be able to read) or all. Users
   * need `immutable-infra.fleet.sync`; services may always ask.
   */
  async sync(options: {
    entityRef?: string;
    credentials: Caller;
  }): Promise<EntitySyncResult[]> {
    if (options.entityRef) {
      await this.options.access.requireEntity(
        options.entityRef,
        options.credentials,
      );
    }
    if (options.credentials.principal.type === 'user') {
      await this.options.access.authorizeBasic({
        permission: immutableInfraFleetSyncPermission,
        credentials: options.credentials,
        message: 'You may not sync fleets',
      });
    }
    return this.options.fleetSync.run(options.entityRef);
  }
}
