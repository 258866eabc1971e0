import { Entity } from '@backstage/catalog-model';
import { createTestDatabases } from '../__testUtils__/databases';
import { migrateForTests } from '../__testUtils__/migrate';
import { DatabaseFleetStore } from '../fleet/DatabaseFleetStore';
import {
  createRegistryStores,
  RegistryStores,
} from '../registry/RegistryStores';
import { DatabaseEntitySnapshotStore } from '../catalog/EntitySnapshotStore';
import { EntityReadModel } from './EntityReadModel';

jest.setTimeout(60_000);

const databases = createTestDatabases();

const ACTOR = 'user:default/grace';
const WEB = 'component:default/web';

function entity(name: string, annotations: Record<string, string>): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      namespace: 'default',
      annotations: {
        'backstage.io/managed-by-location': 'url:https://example.com/x.yaml',
        ...annotations,
      },
    },
    spec: { type: 'service', owner: 'group:default/team', lifecycle: 'x' },
  };
}

function instance(instanceId: string, imageId: string, environment: string) {
  return {
    instanceId,
    region: 'us-east-1',
    imageId,
    environment,
    state: 'running',
    sshExposure: 'none' as const,
    sshSources: [],
    tags: { environment },
  };
}

describe.each(databases.eachSupportedId())('EntityReadModel on %p', id => {
  async function setup() {
    const knex = await databases.init(id);
    await migrateForTests(knex);
    const images = createRegistryStores(knex);
    const fleet = DatabaseFleetStore.create({ knex });
    const readModel = EntityReadModel.create({ knex });
    const snapshots = DatabaseEntitySnapshotStore.create({ knex });
    return { knex, images, fleet, readModel, snapshots };
  }

  async function register(
    images: RegistryStores,
    family: string,
    imageId: string,
    gitCommit: string,
  ) {
    const result = await images.versions.registerVersion({
      build: {
        family,
        gitCommit,
        artifacts: [{ region: 'us-east-1', imageId }],
        buildInputs: {},
      },
      digest: imageId,
      source: 'registered',
      actor: ACTOR,
    });
    if (result.outcome !== 'created') {
      throw new Error(`registration failed: ${result.outcome}`);
    }
    return result.version;
  }

  it('knows only entities with a snapshot, and keeps just its own annotations and owner', async () => {
    const { readModel, snapshots } = await setup();
    await expect(readModel.load(WEB)).resolves.toBeUndefined();
    await snapshots.putSnapshot(
      entity('web', { 'immutable-infra.io/image-family': 'web' }),
    );
    const data = await readModel.load(WEB);
    expect(data?.snapshot).toMatchObject({
      entityRef: WEB,
      annotations: { 'immutable-infra.io/image-family': 'web' },
      owner: 'group:default/team',
    });
    // Not enrolled in the registry and never synced yet.
    expect(data?.families).toEqual([]);
    expect(data?.inventory).toEqual({
      instances: [],
      launchTemplates: [],
      autoscalingGroups: [],
    });

    // Refs are lowercase; the default fleet selector keeps the name as written.
    await snapshots.putSnapshot(
      entity('Billing-API', { 'immutable-infra.io/image-family': 'billing' }),
    );
    const billing = await readModel.load('component:default/billing-api');
    expect(billing?.snapshot.parsed.annotations.fleetSelector).toEqual([
      { key: 'immutable-infra:service', value: 'Billing-API' },
    ]);
  });

  it('loads the inventory with the versions it runs and the channels with theirs', async () => {
    const { images, fleet, readModel, snapshots } = await setup();
    await images.families.enrollFamily({
      name: 'web',
      entityRef: WEB,
      actor: ACTOR,
    });
    const v1 = await register(images, 'web', 'ami-0000000000000000a', 'aaa1');
    const v2 = await register(images, 'web', 'ami-0000000000000000b', 'bbb2');
    await images.channels.assignChannel({
      family: 'web',
      channel: 'production',
      version: v1.version,
      actor: ACTOR,
    });
    await snapshots.putSnapshot(
      entity('web', { 'immutable-infra.io/image-family': 'web' }),
    );
    await fleet.replaceInventory({
      entityRef: WEB,
      instances: [
        instance('i-1', 'ami-0000000000000000a', 'production'),
        instance('i-2', 'ami-0000000000000000b', 'staging'),
        instance('i-3', 'ami-0000000000000000f', 'staging'),
      ],
      launchTemplates: [],
      autoscalingGroups: [],
    });

    const data = (await readModel.load(WEB))!;
    expect(data.families.map(f => f.name)).toEqual(['web']);
    expect(data.inventory.instances.map(i => i.instanceId)).toEqual([
      'i-1',
      'i-2',
      'i-3',
    ]);
    expect(data.inventory.sync?.status).toBe('ok');
    expect(data.versionsByImage.get('ami-0000000000000000a')).toMatchObject({
      id: 'web@1',
      state: 'active',
      gitCommit: 'aaa1',
    });
    expect(data.versionsByImage.get('ami-0000000000000000b')?.id).toBe(v2.id);
    // A hand-built AMI has no version.
    expect(data.versionsByImage.has('ami-0000000000000000f')).toBe(false);
    expect(data.channels.get('web')).toEqual([
      { name: 'latest', managed: true, version: 'web@2' },
      expect.objectContaining({
        name: 'production',
        managed: false,
        version: 'web@1',
        updatedBy: ACTOR,
      }),
    ]);
    expect(data.channelVersions.get('web@1')?.artifacts).toEqual([
      { region: 'us-east-1', imageId: 'ami-0000000000000000a' },
    ]);
  });

  it('shows every registry change on the next read, though it keeps the registry in memory', async () => {
    const { images, fleet, readModel, snapshots } = await setup();
    await images.families.enrollFamily({
      name: 'web',
      entityRef: WEB,
      actor: ACTOR,
    });
    const v1 = await register(images, 'web', 'ami-0000000000000000a', 'aaa1');
    await snapshots.putSnapshot(
      entity('web', { 'immutable-infra.io/image-family': 'web' }),
    );
    await fleet.replaceInventory({
      entityRef: WEB,
      instances: [instance('i-1', 'ami-0000000000000000a', 'production')],
      launchTemplates: [],
      autoscalingGroups: [],
    });
    expect(
      (await readModel.load(WEB))!.versionsByImage.get('ami-0000000000000000a')
        ?.state,
    ).toBe('active');

    await images.lifecycle.setRevoked({
      version: v1,
      revoked: true,
      descendants: false,
      reason: 'CVE-2026-1',
      actor: ACTOR,
    });
    const revoked = (await readModel.load(WEB))!.versionsByImage.get(
      'ami-0000000000000000a',
    );
    expect(revoked).toMatchObject({
      state: 'revoked',
      revokeReason: 'CVE-2026-1',
    });
    expect((await readModel.load(WEB))!.channels.get('web')).toEqual([
      { name: 'latest', managed: true, version: undefined },
    ]);

    await register(images, 'web', 'ami-0000000000000000c', 'ccc3');
    expect((await readModel.load(WEB))!.channels.get('web')?.[0]).toEqual({
      name: 'latest',
      managed: true,
      version: 'web@2',
    });

    // A family enrolled for the entity later shows too.
    await images.families.enrollFamily({
      name: 'web-batch',
      entityRef: WEB,
      actor: ACTOR,
    });
    expect(
      (await readModel.load(WEB))!.families.map(f => f.name).sort(),
    ).toEqual(['web', 'web-batch']);
  });

  it('keeps the last good inventory when a sync fails', async () => {
    const { fleet, readModel, snapshots } = await setup();
    await snapshots.putSnapshot(
      entity('web', { 'immutable-infra.io/image-family': 'web' }),
    );
    await fleet.replaceInventory({
      entityRef: WEB,
      instances: [instance('i-1', 'ami-0000000000000000a', 'production')],
      launchTemplates: [],
      autoscalingGroups: [],
    });
    await fleet.recordSyncFailure({ entityRef: WEB, error: 'throttled' });
    const data = (await readModel.load(WEB))!;
    expect(data.inventory.sync).toMatchObject({
      status: 'failed',
      error: 'throttled',
    });
    expect(data.inventory.instances.map(i => i.instanceId)).toEqual(['i-1']);
  });

  it('reads instance rows of entities synced before instance documents were kept', async () => {
    const { knex, fleet, readModel, snapshots } = await setup();
    await snapshots.putSnapshot(
      entity('web', { 'immutable-infra.io/image-family': 'web' }),
    );
    await fleet.replaceInventory({
      entityRef: WEB,
      instances: [instance('i-1', 'ami-0000000000000000a', 'production')],
      launchTemplates: [],
      autoscalingGroups: [],
    });
    await knex('entity_sync_state').update({ instances: null });
    const data = (await readModel.load(WEB))!;
    expect(data.inventory.instances).toEqual([
      expect.objectContaining({ instanceId: 'i-1', environment: 'production' }),
    ]);
  });

  it('replaces snapshots with what the catalog lists: changed ones written, missing ones removed', async () => {
    const { readModel, snapshots } = await setup();
    const web = entity('web', { 'immutable-infra.io/image-family': 'web' });
    const api = entity('api', { 'immutable-infra.io/image-family': 'api' });
    await expect(snapshots.replaceSnapshots([web, api])).resolves.toEqual({
      written: 2,
      removed: 0,
    });
    await expect(snapshots.replaceSnapshots([web, api])).resolves.toEqual({
      written: 0,
      removed: 0,
    });
    const changed = entity('web', {
      'immutable-infra.io/image-family': 'web',
      'immutable-infra.io/stateful': 'true',
    });
    await expect(snapshots.replaceSnapshots([changed])).resolves.toEqual({
      written: 1,
      removed: 1,
    });
    expect((await readModel.load(WEB))?.snapshot.annotations).toEqual({
      'immutable-infra.io/image-family': 'web',
      'immutable-infra.io/stateful': 'true',
    });
    await expect(
      readModel.load('component:default/api'),
    ).resolves.toBeUndefined();
  });
});
