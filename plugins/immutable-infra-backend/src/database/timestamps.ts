import { Knex } from 'knex';

/** A timestamp as a database hands it back. @internal */
export type Timestamp = string | number | Date;

/**
 * A database timestamp as ISO 8601. SQLite hands timestamps back as
 * "YYYY-MM-DD HH:MM:SS" strings in UTC, or as epoch milliseconds when they
 * were written as JavaScript dates; PostgreSQL as Date objects.
 *
 * @internal
 */
export function toIso(value: Timestamp): string {
  if (value instanceof Date) {
    return value.toISOString();
  }
  if (typeof value === 'number' || /^\d+$/.test(value)) {
    return new Date(Number(value)).toISOString();
  }
  return new Date(
    /[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value.replace(' ', 'T')}Z`,
  ).toISOString();
}

/** @internal */
export function optionalIso(
  value: Timestamp | null | undefined,
): string | undefined {
  return value === null || value === undefined ? undefined : toIso(value);
}

/** @internal */
export function isPostgres(knex: Knex): boolean {
  return ['pg', 'postgres', 'postgresql', 'pgnative'].includes(
    String(knex.client.config.client),
  );
}

/**
 * Whether a database error is a unique-constraint violation (PostgreSQL
 * 23505, SQLite SQLITE_CONSTRAINT_UNIQUE).
 *
 * @internal
 */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string };
  // A primary key is unique too (SQLite names it apart).
  return (
    e?.code === '23505' ||
    e?.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}

/**
 * Runs a write once more when it lost a race to a concurrent one on a unique
 * key: the second run sees the winner's row and answers accordingly.
 *
 * @internal
 */
export async function retryOnUniqueViolation<T>(
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (isUniqueViolation(error)) {
      return fn();
    }
    throw error;
  }
}
