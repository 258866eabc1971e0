import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';

const POSTGRES_IDS: TestDatabaseId[] = [
  'POSTGRES_18',
  'POSTGRES_17',
  'POSTGRES_16',
  'POSTGRES_15',
  'POSTGRES_14',
  'POSTGRES_13',
];

/**
 * SQLite plus every PostgreSQL server named by a
 * `BACKSTAGE_TEST_DATABASE_POSTGRES<major>_CONNECTION_STRING` (scripts/test
 * starts one), so that `yarn test` without a server runs on SQLite instead of
 * failing to start containers. When `IMMUTABLE_INFRA_REQUIRE_POSTGRES=1` (set
 * by scripts/test), a run without a PostgreSQL server fails instead of
 * quietly testing SQLite alone.
 */
export function createTestDatabases(): TestDatabases {
  const postgres = POSTGRES_IDS.filter(
    id =>
      process.env[
        `BACKSTAGE_TEST_DATABASE_${id.replace('_', '')}_CONNECTION_STRING`
      ] !== undefined,
  );
  const databases = TestDatabases.create({ ids: [...postgres, 'SQLITE_3'] });
  if (
    process.env.IMMUTABLE_INFRA_REQUIRE_POSTGRES === '1' &&
    postgres.length === 0
  ) {
    throw new Error(
      'IMMUTABLE_INFRA_REQUIRE_POSTGRES=1 but no BACKSTAGE_TEST_DATABASE_POSTGRES<major>_CONNECTION_STRING is set',
    );
  }
  return databases;
}
