/* Shared by the benchmarks: a database to write to, a silent logger, a median and percentiles. */
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

/** The 50th and 99th percentiles of the times (the nearest rank below). */
export function percentiles(times: number[]): { p50: number; p99: number } {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5), p99: at(0.99) };
}

/**
 * BENCH_DATABASE_URL, for the benchmarks that run only on PostgreSQL (the
 * whole backend's, on the catalog's and the plugin's tables).
 */
export function requiredPostgresUrl(): string {
  const url = process.env.BENCH_DATABASE_URL;
  if (!url) {
    throw new Error(
      'Set BENCH_DATABASE_URL to a PostgreSQL server, e.g. postgresql://postgres@127.0.0.1:5432',
    );
  }
  return url;
}
