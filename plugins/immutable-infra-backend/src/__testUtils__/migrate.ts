import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';

/** Brings a fresh test database to the latest schema. */
export async function migrateForTests(knex: Knex): Promise<void> {
  await knex.migrate.latest({
    directory: resolvePackagePath(
      '@immutable-infra/backstage-plugin-backend',
      'migrations',
    ),
  });
}
