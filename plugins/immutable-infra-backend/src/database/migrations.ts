import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { Knex } from 'knex';

const migrationsDir = resolvePackagePath(
  '@immutable-infra/backstage-plugin-backend',
  'migrations',
);

/**
 * Opens the plugin's database and brings its schema up to date, unless the
 * deployment manages migrations itself (`database.migrations.skip`).
 *
 * @internal
 */
export async function connectDatabase(
  database: DatabaseService,
): Promise<Knex> {
  const client = await database.getClient();
  if (!database.migrations?.skip) {
    await client.migrate.latest({ directory: migrationsDir });
  }
  return client;
}
