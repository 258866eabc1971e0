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
 * SQLite plus every PostgreSQL server the environment offers. When
 * `IMMUTABLE_INFRA_REQUIRE_POSTGRES=1` (set by scripts/test), a run without a
 * PostgreSQL server fails instead of quietly testing SQLite alone.
 */
export function createTestDatabases(): TestDatabases {
  const databases = TestDatabases.create({
    ids: [...POSTGRES_IDS, 'SQLITE_3'],
  });
  if (
    process.env.IMMUTABLE_INFRA_REQUIRE_POSTGRES === '1' &&
    !POSTGRES_IDS.some(id => databases.supports(id))
  ) {
    throw new Error(
      'IMMUTABLE_INFRA_REQUIRE_POSTGRES=1 but no BACKSTAGE_TEST_DATABASE_POSTGRES<major>_CONNECTION_STRING is set',
    );
  }
  return databases;
}
