/* Shared by the benchmarks: a database to write to, a silent logger, a median. */
import {
  LoggerService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import Knex, { Knex as KnexType } from 'knex';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A logger that says nothing. */
export const silentLogger: LoggerService = {
  error() {},
  warn() {},
  info() {},
  debug() {},
  child: () => silentLogger,
};

/**
 * PostgreSQL when BENCH_DATABASE_URL is set, else a fresh SQLite file; the
 * schema is rebuilt from scratch.
 */
export async function openBenchDatabase(): Promise<{
  knex: KnexType;
  kind: 'PostgreSQL' | 'SQLite';
}> {
  const url = process.env.BENCH_DATABASE_URL;
  const knex = url
    ? Knex({ client: 'pg', connection: url })
    : Knex({
        client: 'better-sqlite3',
        connection: join(mkdtempSync(join(tmpdir(), 'bench-')), 'bench.sqlite'),
        useNullAsDefault: true,
      });
  const directory = resolvePackagePath(
    '@immutable-infra/backstage-plugin-backend',
    'migrations',
  );
  await knex.migrate.rollback({ directory }, true);
  await knex.migrate.latest({ directory });
  return { knex, kind: url ? 'PostgreSQL' : 'SQLite' };
}

/** The middle of the values (the mean of the two middle ones when even). */
export function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? sorted[middle]
    : (sorted[middle - 1] + sorted[middle]) / 2;
}
