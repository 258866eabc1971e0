import { Knex } from 'knex';
import { writeTransaction } from '../audit/writeTransaction';
import { isPostgres, Timestamp, toIso } from '../database/timestamps';
import {
  ADOPTION_LEVELS,
  AdoptionDay,
  figuresOf,
  historyOf,
} from './aggregate';

/** A level of the immutability score, or none. @internal */
export type AdoptionLevel = 'gold' | 'silver' | 'bronze' | 'none';

/**
 * One component's adoption figures on one day.
 *
 * @internal
 */
export type AdoptionSnapshot = {
  /** YYYY-MM-DD, UTC. */
  day: string;
  entityRef: string;
  owner?: string;
  system?: string;
  domain?: string;
  type?: string;
  lifecycle?: string;
  enrolled: boolean;
  /** Enrolled components only. */
  level?: AdoptionLevel;
  score?: number;
  /** The ids of the score checks that pass. */
  passingChecks: string[];
  findings: { critical: number; high: number; medium: number; low: number };
  instances: number;
  /** Instances running their environment's channel version. */
  instancesOnChannel: number;
  /** The age of the oldest registered image its instances run. */
  imageAgeDays?: number;
  imageAgePolicyDays?: number;
  /** Rollouts that ended that day. */
  rollouts: { succeeded: number; failed: number; aborted: number };
  takenAt: string;
};

/**
 * Which snapshots a read covers: the caller's readable entities (`'all'`
 * when they may read every one) and the view's filters.
 *
 * @internal
 */
export type SnapshotFilter = {
  entityRefs: string[] | 'all' | { presentOn: string };
  /** Owner entity refs (already widened to the groups below them). */
  owners?: string[];
  systems?: string[];
  domains?: string[];
  lifecycles?: string[];
  types?: string[];
  levels?: AdoptionLevel[];
  enrolled?: boolean;
  /** Components of any of these owners or systems (an initiative's scope). */
  anyOf?: { owners: string[]; systems: string[] };
};

/**
 * One day's figures of the snapshots a filter covers, grouped by what the
 * history needs: counts and sums per enrolment, level and image age (exact
 * percentiles of the age are derived from the counts).
 *
 * @internal
 */
export type HistoryBucket = {
  day: string;
  enrolled: boolean;
  level?: AdoptionLevel;
  imageAgeDays?: number;
  withinPolicy?: boolean;
  services: number;
  instances: number;
  instancesOnChannel: number;
  findingsCritical: number;
  rolloutsSucceeded: number;
  rolloutsFailed: number;
  rolloutsAborted: number;
};

type SnapshotRow = {
  day: string;
  entity_ref: string;
  owner: string | null;
  system: string | null;
  domain: string | null;
  type: string | null;
  lifecycle: string | null;
  enrolled: boolean | number;
  level: string | null;
  score: number | null;
  passing_checks: string | null;
  findings_critical: number;
  findings_high: number;
  findings_medium: number;
  findings_low: number;
  instances: number;
  instances_on_channel: number;
  image_age_days: number | null;
  image_age_policy_days: number | null;
  rollouts_succeeded: number;
  rollouts_failed: number;
  rollouts_aborted: number;
  taken_at: Timestamp;
};

function toRow(s: AdoptionSnapshot): SnapshotRow {
  return {
    day: s.day,
    entity_ref: s.entityRef,
    owner: s.owner ?? null,
    system: s.system ?? null,
    domain: s.domain ?? null,
    type: s.type ?? null,
    lifecycle: s.lifecycle ?? null,
    enrolled: s.enrolled,
    level: s.level ?? null,
    score: s.score ?? null,
    passing_checks: JSON.stringify(s.passingChecks),
    findings_critical: s.findings.critical,
    findings_high: s.findings.high,
    findings_medium: s.findings.medium,
    findings_low: s.findings.low,
    instances: s.instances,
    instances_on_channel: s.instancesOnChannel,
    image_age_days: s.imageAgeDays ?? null,
    image_age_policy_days: s.imageAgePolicyDays ?? null,
    rollouts_succeeded: s.rollouts.succeeded,
    rollouts_failed: s.rollouts.failed,
    rollouts_aborted: s.rollouts.aborted,
    taken_at: s.takenAt,
  };
}

const orUndefined = <T>(value: T | null): T | undefined =>
  value === null ? undefined : value;

function fromRow(r: SnapshotRow): AdoptionSnapshot {
  return {
    day: r.day,
    entityRef: r.entity_ref,
    owner: orUndefined(r.owner),
    system: orUndefined(r.system),
    domain: orUndefined(r.domain),
    type: orUndefined(r.type),
    lifecycle: orUndefined(r.lifecycle),
    enrolled: Boolean(r.enrolled),
    level: orUndefined(r.level) as AdoptionLevel | undefined,
    score: orUndefined(r.score),
    passingChecks: r.passing_checks ? JSON.parse(r.passing_checks) : [],
    findings: {
      critical: r.findings_critical,
      high: r.findings_high,
      medium: r.findings_medium,
      low: r.findings_low,
    },
    instances: r.instances,
    instancesOnChannel: r.instances_on_channel,
    imageAgeDays: orUndefined(r.image_age_days),
    imageAgePolicyDays: orUndefined(r.image_age_policy_days),
    rollouts: {
      succeeded: r.rollouts_succeeded,
      failed: r.rollouts_failed,
      aborted: r.rollouts_aborted,
    },
    takenAt: toIso(r.taken_at),
  };
}

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
   * The figures of every day from `from` to `to` (inclusive) over the
   * snapshots the filter covers, grouped for the history.
   */
  async history(options: {
    from: string;
    to: string;
    filter: SnapshotFilter;
  }): Promise<HistoryBucket[]> {
    const { db } = this;
    const within = db.raw(
      'case when image_age_days is null or image_age_policy_days is null then null when image_age_days <= image_age_policy_days then 1 else 0 end',
    );
    const rows = await this.filtered(
      db('adoption_snapshots').whereBetween('day', [options.from, options.to]),
      options.filter,
    )
      .select(
        'day',
        'enrolled',
        'level',
        'image_age_days',
        db.raw(`${within.toQuery()} as within_policy`),
      )
      .count({ services: '*' })
      .sum({
        instances: 'instances',
        on_channel: 'instances_on_channel',
        critical: 'findings_critical',
        succeeded: 'rollouts_succeeded',
        failed: 'rollouts_failed',
        aborted: 'rollouts_aborted',
      })
      .groupBy(
        'day',
        'enrolled',
        'level',
        'image_age_days',
        db.raw(within.toQuery()),
      )
      .orderBy('day');
    return rows.map((r: any) => ({
      day: r.day,
      enrolled: Boolean(r.enrolled),
      level: orUndefined(r.level),
      imageAgeDays: orUndefined(r.image_age_days),
      withinPolicy:
        r.within_policy === null ? undefined : Number(r.within_policy) === 1,
      services: Number(r.services),
      instances: Number(r.instances ?? 0),
      instancesOnChannel: Number(r.on_channel ?? 0),
      findingsCritical: Number(r.critical ?? 0),
      rolloutsSucceeded: Number(r.succeeded ?? 0),
      rolloutsFailed: Number(r.failed ?? 0),
      rolloutsAborted: Number(r.aborted ?? 0),
    }));
  }

  /**
   * The figures of every day from `from` to `to` (inclusive) over the
   * snapshots the filter covers. PostgreSQL computes them in one grouped
   * query (percentiles with `percentile_disc`, the nearest rank, as
   * `quantile` takes it); SQLite from the grouped buckets.
   */
  async historyFigures(options: {
    from: string;
    to: string;
    filter: SnapshotFilter;
  }): Promise<AdoptionDay[]> {
    const { db } = this;
    if (!isPostgres(db)) {
      return historyOf(await this.history(options));
    }
    const aged = 'enrolled and image_age_days is not null';
    const query = this.filtered(
      db('adoption_snapshots').whereBetween('day', [options.from, options.to]),
      options.filter,
    )
      .select(
        'day',
        db.raw('count(*) as services'),
        db.raw('count(*) filter (where enrolled) as enrolled'),
        ...ADOPTION_LEVELS.map(level =>
          db.raw(
            `count(*) filter (where enrolled and coalesce(level, 'none') = ?) as ??`,
            [level, `level_${level}`],
          ),
        ),
        db.raw('coalesce(sum(instances), 0) as instances'),
        db.raw('coalesce(sum(instances_on_channel), 0) as on_channel'),
        db.raw('coalesce(sum(findings_critical), 0) as critical'),
        db.raw('coalesce(sum(rollouts_succeeded), 0) as succeeded'),
        db.raw('coalesce(sum(rollouts_failed), 0) as failed'),
        db.raw('coalesce(sum(rollouts_aborted), 0) as aborted'),
        db.raw(`count(*) filter (where ${aged}) as aged`),
        db.raw(
          `count(*) filter (where ${aged} and image_age_policy_days is not null and image_age_days <= image_age_policy_days) as within_policy`,
        ),
        db.raw(
          `percentile_disc(0.5) within group (order by image_age_days) filter (where ${aged}) as age_p50`,
        ),
        db.raw(
          `percentile_disc(0.95) within group (order by image_age_days) filter (where ${aged}) as age_p95`,
        ),
      )
      .groupBy('day')
      .orderBy('day');
    const rows: any[] = await query;
    return rows.map(r => {
      const instances = Number(r.instances);
      const agedCount = Number(r.aged);
      const day: AdoptionDay = {
        day: r.day,
        services: Number(r.services),
        enrolled: Number(r.enrolled),
        levels: {
          gold: Number(r.level_gold),
          silver: Number(r.level_silver),
          bronze: Number(r.level_bronze),
          none: Number(r.level_none),
        },
        instances,
        instancesOnChannel: Number(r.on_channel),
        criticalFindings: Number(r.critical),
        rollouts: {
          succeeded: Number(r.succeeded),
          failed: Number(r.failed),
          aborted: Number(r.aborted),
        },
      };
      if (instances > 0) {
        day.onChannelShare = day.instancesOnChannel / instances;
      }
      if (agedCount > 0) {
        day.imageAgeMedianDays = Number(r.age_p50);
        day.imageAgeP95Days = Number(r.age_p95);
        day.withinPolicyShare = Number(r.within_policy) / agedCount;
      }
      return day;
    });
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
