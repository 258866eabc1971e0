import { Knex } from 'knex';

/**
 * A database timestamp as ISO 8601. SQLite hands timestamps back as
 * "YYYY-MM-DD HH:MM:SS" strings in UTC, or as epoch milliseconds when they
 * were written as JavaScript dates; PostgreSQL as Date objects.
 *
 * @internal
 */
export function toIso(value: string | number | Date): string {
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
  value: string | number | Date | null | undefined,
): string | undefined {
  return value === null || value === undefined ? undefined : toIso(value);
}

/** @internal */
export function isPostgres(knex: Knex): boolean {
  return ['pg', 'postgres', 'postgresql', 'pgnative'].includes(
    String(knex.client.config.client),
  );
}
