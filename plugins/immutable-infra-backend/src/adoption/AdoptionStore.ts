import { Knex } from 'knex';
import { writeTransaction } from '../audit/writeTransaction';
import { isPostgres } from '../database/timestamps';
import { FigureQuery, figureQuery, figuresByDay, figuresOf } from './figures';
import { fromRow, SnapshotRow, toRow } from './snapshotRows';
import {
  AdoptionDay,
  AdoptionSnapshot,
  SnapshotFilter,
  SnapshotGroup,
} from './types';

/** Rows inserted per statement: within every database's bound-value limit. */
const INSERT_CHUNK = 500;

/**
 * The daily adoption snapshots of every component.
 *
 * @internal
 */
export class DatabaseAdoptionStore {
  static create(options: { knex: Knex }): DatabaseAdoptionStore {
    return new DatabaseAdoptionStore(options.knex);
  }

  private constructor(private readonly db: Knex) {}

  /**
   * Replaces the snapshots of `day` with these, and the day's figures over
   * all of them: a component the catalog no longer lists has no row that
   * day. Other days are left as they are.
   */
  async writeDay(
    day: string,
    snapshots: AdoptionSnapshot[],
    /** Who asked for it, when a person or a service did (audited). */
    requested?: { actor?: string; backfillDays?: number },
  ): Promise<void> {
    await writeTransaction(this.db, async trx => {
      await trx('adoption_snapshots').where({ day }).delete();
      const rows = snapshots.map(s => toRow({ ...s, day }));
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
        await trx('adoption_snapshots').insert(rows.slice(i, i + INSERT_CHUNK));
      }
      await trx('adoption_daily_figures').where({ day }).delete();
      if (snapshots.length > 0) {
        await trx('adoption_daily_figures').insert({
          day,
          figures: JSON.stringify(figuresOf(snapshots)),
          computed_at: new Date(),
        });
      }
      return {
        result: undefined,
        readModelChanged: false,
        audit: requested?.actor
          ? [
              {
                actor: requested.actor,
                action: 'adoption.snapshot',
                subject: day,
                payload: {
                  components: snapshots.length,
                  backfillDays: requested.backfillDays ?? 0,
                },
              },
            ]
          : undefined,
      };
    });
  }

  /** The last day with snapshots, if any. */
  async latestDay(): Promise<string | undefined> {
    const row = await this.db('adoption_snapshots').max({ day: 'day' }).first();
    return row?.day ?? undefined;
  }

  /** The snapshots of one day that the filter covers. */
  async listDay(
    day: string,
    filter: SnapshotFilter,
  ): Promise<AdoptionSnapshot[]> {
    const rows: SnapshotRow[] = await this.filtered(
      this.db('adoption_snapshots').where({ day }),
      filter,
    ).orderBy('entity_ref');
    return rows.map(fromRow);
  }

  /**
   * The snapshots of every day from `from` to `to` (inclusive) that the
   * filter covers, grouped by the day and the values of `groupBy`: the sums
   * of `measures` over each group, and the figures `taken` whole. By
   * default, what the figures read on this database.
   */
  async snapshotGroups(options: {
    from: string;
    to: string;
    filter: SnapshotFilter;
    query?: FigureQuery;
  }): Promise<Array<{ day: string } & SnapshotGroup>> {
    const { db } = this;
    const { groupBy, measures, taken } =
      options.query ?? figureQuery({ postgres: isPostgres(db) });
    const rows: any[] = await this.filtered(
      db('adoption_snapshots').whereBetween('day', [options.from, options.to]),
      options.filter,
    )
      .select(
        'day',
        ...groupBy,
        ...measures.map((m, i) =>
          db.raw(`sum(${m.sql.sql}) as ??`, [...m.sql.bindings, `m${i}`]),
        ),
        ...taken.map((t, i) =>
          db.raw(`${t.sql.sql} as ??`, [...t.sql.bindings, `t${i}`]),
        ),
      )
      .groupBy('day', ...groupBy)
      .orderBy('day');
    return rows.map(r => ({
      day: r.day,
      values: Object.fromEntries(groupBy.map(c => [c, r[c]])),
      // PostgreSQL answers a sum of integers as text.
      sums: measures.map((_, i) => Number(r[`m${i}`])),
      taken: Object.fromEntries(
        taken.map((t, i) => [
          t.name,
          r[`t${i}`] === null ? null : Number(r[`t${i}`]),
        ]),
      ),
    }));
  }

  /**
   * The figures of every day from `from` to `to` (inclusive) over the
   * snapshots the filter covers, taken from the day's sums as from snapshots
   * in memory (`figures.ts`); PostgreSQL takes the percentiles whole.
   */
  async historyFigures(options: {
    from: string;
    to: string;
    filter: SnapshotFilter;
  }): Promise<AdoptionDay[]> {
    return figuresByDay(await this.snapshotGroups(options));
  }

  /**
   * The figures of every day from `from` to `to` (inclusive) over all of
   * that day's snapshots, as written with them: what `historyFigures` gives
   * for every entity, without grouping the snapshot rows. A day written
   * before the figures were kept is missing until `fillDailyFigures`.
   */
  async dailyFigures(options: {
    from: string;
    to: string;
  }): Promise<AdoptionDay[]> {
    const rows: Array<{ day: string; figures: string }> = await this.db(
      'adoption_daily_figures',
    )
      .whereBetween('day', [options.from, options.to])
      .select('day', 'figures')
      .orderBy('day');
    return rows.map(r => ({ day: r.day, ...JSON.parse(r.figures) }));
  }

  /**
   * Computes the figures of the days with snapshots and none kept (written
   * before the figures were), in one grouped query. Returns how many days.
   */
  async fillDailyFigures(): Promise<number> {
    const missing: string[] = (
      await this.db('adoption_snapshots')
        .distinct('day')
        .whereNotIn('day', this.db('adoption_daily_figures').select('day'))
        .orderBy('day')
    ).map((r: { day: string }) => r.day);
    if (missing.length === 0) {
      return 0;
    }
    const wanted = new Set(missing);
    const days = (
      await this.historyFigures({
        from: missing[0],
        to: missing[missing.length - 1],
        filter: { entityRefs: 'all' },
      })
    ).filter(d => wanted.has(d.day));
    await writeTransaction(this.db, async trx => {
      const computedAt = new Date();
      for (let i = 0; i < days.length; i += INSERT_CHUNK) {
        await trx('adoption_daily_figures')
          .insert(
            days.slice(i, i + INSERT_CHUNK).map(({ day, ...figures }) => ({
              day,
              figures: JSON.stringify(figures),
              computed_at: computedAt,
            })),
          )
          // A snapshot written meanwhile brought its own.
          .onConflict('day')
          .ignore();
      }
      return { result: undefined, readModelChanged: false };
    });
    return days.length;
  }

  /** Removes the snapshots, and the figures, of days before `day`. */
  async pruneBefore(day: string): Promise<number> {
    return writeTransaction(this.db, async trx => {
      await trx('adoption_daily_figures').where('day', '<', day).delete();
      return {
        result: await trx('adoption_snapshots').where('day', '<', day).delete(),
        readModelChanged: false,
      };
    });
  }

  private filtered(query: Knex.QueryBuilder, filter: SnapshotFilter) {
    return applySnapshotFilter(this.db, query, filter);
  }
}

/**
 * Narrows a query of `adoption_snapshots` to what the filter covers.
 *
 * @internal
 */
export function applySnapshotFilter(
  db: Knex,
  query: Knex.QueryBuilder,
  filter: SnapshotFilter,
): Knex.QueryBuilder {
  const refs = filter.entityRefs;
  if (refs !== 'all' && !Array.isArray(refs)) {
    // The components with a snapshot that day (the catalog's then).
    query.whereIn(
      'entity_ref',
      db('adoption_snapshots')
        .where({ day: refs.presentOn })
        .select('entity_ref'),
    );
  } else if (refs !== 'all') {
    // One bound value however many entities: PostgreSQL takes an array,
    // SQLite a JSON array.
    if (isPostgres(db)) {
      query.whereRaw('entity_ref = any(?)', [filter.entityRefs]);
    } else {
      query.whereRaw('entity_ref in (select value from json_each(?))', [
        JSON.stringify(filter.entityRefs),
      ]);
    }
  }
  const among = (column: string, values?: string[]) => {
    if (values) {
      query.whereIn(column, values);
    }
  };
  among('owner', filter.owners);
  among('system', filter.systems);
  among('domain', filter.domains);
  among('lifecycle', filter.lifecycles);
  among('type', filter.types);
  among('level', filter.levels);
  if (filter.enrolled !== undefined) {
    query.where('enrolled', filter.enrolled);
  }
  const { anyOf } = filter;
  if (anyOf && (anyOf.owners.length > 0 || anyOf.systems.length > 0)) {
    // An initiative's scope: the components of its owners or its systems.
    query.where(q => {
      if (anyOf.owners.length > 0) q.orWhereIn('owner', anyOf.owners);
      if (anyOf.systems.length > 0) q.orWhereIn('system', anyOf.systems);
    });
  }
  return query;
}
