import { Entity } from '@backstage/catalog-model';
import { createTestDatabases } from '../__testUtils__/databases';
import { migrateForTests } from '../__testUtils__/migrate';
import { DatabaseEntitySnapshotStore } from '../catalog/EntitySnapshotStore';
import { DatabaseFleetStore } from '../fleet/DatabaseFleetStore';
import { createRegistryStores } from '../registry/RegistryStores';
import { EntityReadCache } from './EntityReadCache';
import { EntityReadModel } from './EntityReadModel';

jest.setTimeout(60_000);

const databases = createTestDatabases();

const ACTOR = 'user:default/grace';
const WEB = 'component:default/web';
const AMI_A = 'ami-0000000000000000a';

function entity(name: string, annotations: Record<string, string>): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, namespace: 'default', annotations },
    spec: { type: 'service', owner: 'group:default/team', lifecycle: 'x' },
  };
}

function instance(instanceId: string) {
  return {
    instanceId,
    region: 'us-east-1',
    imageId: AMI_A,
    environment: 'production',
    state: 'running',
    sshExposure: 'none' as const,
    sshSources: [],
    tags: {},
  };
}

describe.each(databases.eachSupportedId())('EntityReadCache on %p', id => {
  async function setup(options: { maxInstances?: number } = {}) {
    const knex = await databases.init(id);
    await migrateForTests(knex);
    const images = createRegistryStores(knex);
    const fleet = DatabaseFleetStore.create({ knex });
    const snapshots = DatabaseEntitySnapshotStore.create({ knex });
    const readModel = EntityReadModel.create({ knex });
    const loads = jest.spyOn(readModel, 'load');
    // Two backend replicas, each with its own cache, on one database.
    const cache = new EntityReadCache(readModel, options);
    const other = new EntityReadCache(EntityReadModel.create({ knex }));
    await images.families.enrollFamily({
      name: 'web',
      entityRef: WEB,
      actor: ACTOR,
    });
    const registered = await images.versions.registerVersion({
      build: {
        family: 'web',
        gitCommit: 'aaa1',
        artifacts: [{ region: 'us-east-1', imageId: AMI_A }],
        buildInputs: {},
      },
      digest: AMI_A,
      source: 'registered',
      actor: ACTOR,
    });
    if (registered.outcome !== 'created') {
      throw new Error(registered.outcome);
    }
    await snapshots.putSnapshot(
      entity('web', { 'immutable-infra.io/image-family': 'web' }),
    );
    const sync = (instanceIds: string[]) =>
      fleet.replaceInventory({
        entityRef: WEB,
        instances: instanceIds.map(instance),
        launchTemplates: [],
        autoscalingGroups: [],
      });
    return {
      images,
      fleet,
      snapshots,
      readModel,
      loads,
      cache,
      other,
      sync,
      version: registered.version,
    };
  }

  const ids = (data: { inventory: { instances: { instanceId: string }[] } }) =>
    data.inventory.instances.map(i => i.instanceId);

  it('reads the instances once between two writes, and again after each', async () => {
    const { cache, other, loads, sync, fleet } = await setup();
    await sync(['i-1', 'i-2']);
    const first = (await cache.load(WEB))!;
    expect(ids(first)).toEqual(['i-1', 'i-2']);
    await expect(cache.load(WEB)).resolves.toBe(first);
    await expect(cache.load(WEB)).resolves.toBe(first);
    expect(loads).toHaveBeenCalledTimes(1);

    // A sync that finds the same fleet is still a new read (a new attempt,
    // its time and status), written by whichever replica synced.
    await expect(other.load(WEB)).resolves.toMatchObject({
      version: first.version,
    });
    await sync(['i-1', 'i-2']);
    const again = (await cache.load(WEB))!;
    expect(again).not.toBe(first);
    expect(again.version).not.toBe(first.version);

    // Writes in quick succession (no time between them) are each seen.
    await sync(['i-3']);
    await sync(['i-4']);
    expect(ids((await cache.load(WEB))!)).toEqual(['i-4']);
    await fleet.recordSyncFailure({ entityRef: WEB, error: 'throttled' });
    const failed = (await cache.load(WEB))!;
    expect(failed.inventory.sync).toMatchObject({
      status: 'failed',
      error: 'throttled',
    });
    expect(ids(failed)).toEqual(['i-4']);
    await expect(other.load(WEB)).resolves.toMatchObject({
      version: failed.version,
      inventory: { sync: { status: 'failed' } },
    });
  });

  it('shows a revocation, a channel move and a changed annotation on the next read', async () => {
    const { cache, images, snapshots, sync, version } = await setup();
    await sync(['i-1']);
    const before = (await cache.load(WEB))!;
    expect(before.versionsByImage.get(AMI_A)?.state).toBe('active');

    await images.lifecycle.setRevoked({
      version,
      revoked: true,
      descendants: false,
      reason: 'CVE-2026-1',
      actor: ACTOR,
    });
    const revoked = (await cache.load(WEB))!;
    expect(revoked.versionsByImage.get(AMI_A)).toMatchObject({
      state: 'revoked',
      revokeReason: 'CVE-2026-1',
    });

    await images.lifecycle.setRevoked({
      version: { ...version, state: 'revoked' },
      revoked: false,
      descendants: false,
      actor: ACTOR,
    });
    await images.channels.assignChannel({
      family: 'web',
      channel: 'production',
      version: version.version,
      actor: ACTOR,
    });
    expect((await cache.load(WEB))!.channels.get('web')).toContainEqual(
      expect.objectContaining({ name: 'production', version: 'web@1' }),
    );

    await snapshots.putSnapshot(
      entity('web', {
        'immutable-infra.io/image-family': 'web',
        'immutable-infra.io/environments': 'production',
      }),
    );
    expect(
      (await cache.load(WEB))!.snapshot.parsed.annotations.environments,
    ).toEqual(['production']);
  });

  it('reads an entity never synced, and then its first sync', async () => {
    const { cache, loads, sync } = await setup();
    const empty = (await cache.load(WEB))!;
    expect(ids(empty)).toEqual([]);
    await expect(cache.load(WEB)).resolves.toBe(empty);
    expect(loads).toHaveBeenCalledTimes(1);
    await sync(['i-1']);
    expect(ids((await cache.load(WEB))!)).toEqual(['i-1']);
  });

  it('keeps no more instances than its bound, and nothing read from the caller’s copy of an entity', async () => {
    const { cache, loads, sync } = await setup({ maxInstances: 2 });
    await sync(['i-1', 'i-2', 'i-3']);
    const first = (await cache.load(WEB))!;
    const second = (await cache.load(WEB))!;
    expect(second).not.toBe(first);
    expect(ids(second)).toEqual(['i-1', 'i-2', 'i-3']);
    expect(loads).toHaveBeenCalledTimes(2);

    const unknown = entity('api', { 'immutable-infra.io/image-family': 'api' });
    const api = 'component:default/api';
    await expect(cache.load(api)).resolves.toBeUndefined();
    const read = (await cache.load(api, { entity: unknown }))!;
    expect(read.snapshot.entityRef).toBe(api);
    await expect(cache.load(api)).resolves.toBeUndefined();
  });
});
