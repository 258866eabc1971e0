import type {
  ADOPTION_LEVELS,
  AdoptionFigures,
} from '@immutable-infra/backstage-plugin-common';

/** A level of the immutability score, or none. @internal */
export type AdoptionLevel = (typeof ADOPTION_LEVELS)[number];

/**
 * The figures of a set of components: what each headline, roll-up row and
 * day of the history shows. Each one is declared once, in `figures.ts`.
 *
 * @internal
 */
export type { AdoptionFigures };

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
  /**
   * Its drift findings gone in the 30 days before (finding_lifetimes): the
   * median and p95 of their lives in whole minutes (none without any), how
   * many went, and how many an automatic rollout erased.
   */
  drift: {
    lifetimeP50Minutes?: number;
    lifetimeP95Minutes?: number;
    gone: number;
    erasedAutomatically: number;
  };
  takenAt: string;
};

/**
 * A snapshot as its table's columns hold it (but the passing checks and when
 * it was taken): what the figures read, from one snapshot in memory or from
 * the snapshots grouped in the database alike. An absent value is null.
 *
 * @internal
 */
export type SnapshotColumns = {
  day: string;
  entity_ref: string;
  owner: string | null;
  system: string | null;
  domain: string | null;
  type: string | null;
  lifecycle: string | null;
  enrolled: boolean;
  level: AdoptionLevel | null;
  score: number | null;
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
  drift_lifetime_p50_minutes: number | null;
  drift_lifetime_p95_minutes: number | null;
  findings_gone: number;
  findings_erased_automatically: number;
};

/** The columns that every snapshot has a number in: those a figure can sum. @internal */
export type SummedColumn = {
  [K in keyof SnapshotColumns]: SnapshotColumns[K] extends number ? K : never;
}[keyof SnapshotColumns];

/** The columns that hold a number, when they hold one. @internal */
export type NumericColumn = {
  [K in keyof SnapshotColumns]: SnapshotColumns[K] extends number | null
    ? K
    : never;
}[keyof SnapshotColumns];

/** The columns that hold a yes or no. @internal */
export type BooleanColumn = {
  [K in keyof SnapshotColumns]: SnapshotColumns[K] extends boolean ? K : never;
}[keyof SnapshotColumns];

/**
 * A piece of SQL that reads the columns of one snapshot, portable across
 * PostgreSQL and SQLite: `??` stands for a column, `?` for a value.
 *
 * @internal
 */
export type SnapshotSql = {
  sql: string;
  bindings: ReadonlyArray<string | number>;
};

/**
 * A number taken from each snapshot and summed over a set: a figure reads
 * its sums. `sql` takes it in the database, `of` in memory.
 *
 * @internal
 */
export type Measure = {
  /** The same for the same measure, so that figures share it. */
  key: string;
  sql: SnapshotSql;
  of(row: SnapshotColumns): number;
};

/**
 * Snapshots that share the values of some columns (a quantile's), as the
 * figures take them: those values and the sums of the measures over them,
 * in the order of `FigureQuery.measures`. One snapshot in memory is a group
 * of one whose values are its columns.
 *
 * @internal
 */
export type SnapshotGroup = {
  values: Partial<SnapshotColumns>;
  sums: readonly number[];
  /**
   * The figures the database took whole for the group's day, by name
   * (PostgreSQL's percentiles); null where the day has none.
   */
  taken?: Readonly<Record<string, number | null>>;
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

/** One day of the history. @internal */
export type AdoptionDay = { day: string } & AdoptionFigures;

/**
 * The group tree of the catalog: each group's parent, for roll-ups by owner
 * that walk up from a team to its department.
 *
 * @internal
 */
export type GroupTree = Map<string, { parent?: string; title?: string }>;

/** What a roll-up groups by. @internal */
export type AdoptionGrouping = 'owner' | 'system' | 'domain';

/** One row of a roll-up. @internal */
export type RollUpRow = {
  key: string;
  /** Owner roll-ups: the group above, and how deep this one is. */
  parent?: string;
  depth?: number;
  /** The components owned by the key itself (not by groups below it). */
  directServices: number;
  figures: AdoptionFigures;
};
