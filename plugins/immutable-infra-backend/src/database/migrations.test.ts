import { createTestDatabases } from '../__testUtils__/databases';
import { resolvePackagePath } from '@backstage/backend-plugin-api';

jest.setTimeout(60_000);

const databases = createTestDatabases();
const directory = resolvePackagePath(
  '@immutable-infra/backstage-plugin-backend',
  'migrations',
);

describe.each(databases.eachSupportedId())('migrations on %p', id => {
  it('migrate up, all the way down, and up again', async () => {
    const knex = await databases.init(id);
    await knex.migrate.latest({ directory });
    expect(await knex.schema.hasTable('image_families')).toBe(true);
    expect(await knex.schema.hasTable('audit_events')).toBe(true);
    expect(await knex.schema.hasTable('finding_lifetimes')).toBe(true);
    expect(await knex.schema.hasTable('remediation_actions')).toBe(true);
    expect(
      await knex.schema.hasColumn('adoption_snapshots', 'findings_gone'),
    ).toBe(true);

    await knex.migrate.rollback({ directory }, true);
    expect(await knex.schema.hasTable('image_families')).toBe(false);
    expect(await knex.schema.hasTable('audit_events')).toBe(false);
    expect(await knex.schema.hasTable('finding_lifetimes')).toBe(false);
    expect(await knex.schema.hasTable('remediation_actions')).toBe(false);

    await knex.migrate.latest({ directory });
    expect(await knex.schema.hasTable('image_families')).toBe(true);
  });
});
