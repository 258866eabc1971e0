import { mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { createTestDatabases } from '../__testUtils__/databases';
import { migrateForTests } from '../__testUtils__/migrate';
import { component } from '../__testUtils__/routerTestApp';
import { EntityReadModel } from '../entities/EntityReadModel';
import { EntityRefresh } from './EntityRefresh';
import { DatabaseEntitySnapshotStore } from './EntitySnapshotStore';

jest.setTimeout(60_000);

const databases = createTestDatabases();

describe.each(databases.eachSupportedId())('EntityRefresh on %p', id => {
  it('copies enrolled entities from the catalog, follows changes and forgets removed ones', async () => {
    const knex = await databases.init(id);
    await migrateForTests(knex);
    const readModel = EntityReadModel.create({ knex });
    const web = component('web', {
      'immutable-infra.io/image-family': 'web',
      'backstage.io/source-location': 'url:https://example.com/web',
    });
    const api = component('api', { 'immutable-infra.io/image-family': 'api' });
    const plain = component('plain');
    const refresh = (entities: object[]) =>
      new EntityRefresh({
        catalog: catalogServiceMock({ entities: entities as any }),
        auth: mockServices.auth(),
        snapshots: DatabaseEntitySnapshotStore.create({ knex }),
        logger: mockServices.logger.mock(),
      }).run();

    await expect(refresh([web, api, plain])).resolves.toEqual({
      written: 2,
      removed: 0,
    });
    const copy = await readModel.load('component:default/web');
    // Only the plugin's own annotations are kept.
    expect(copy?.snapshot.annotations).toEqual({
      'immutable-infra.io/image-family': 'web',
    });
    await expect(
      readModel.load('component:default/plain'),
    ).resolves.toBeUndefined();

    const stateful = component('web', {
      'immutable-infra.io/image-family': 'web',
      'immutable-infra.io/stateful': 'true',
    });
    await expect(refresh([stateful])).resolves.toEqual({
      written: 1,
      removed: 1,
    });
    expect(
      (await readModel.load('component:default/web'))?.snapshot.parsed
        .annotations.stateful,
    ).toBe(true);
    await expect(
      readModel.load('component:default/api'),
    ).resolves.toBeUndefined();
    await knex.destroy();
  });
});
