import { ADOPTION_LEVELS } from '@immutable-infra/backstage-plugin-common';
import {
  and,
  atMost,
  count,
  equals,
  FigureKind,
  hasValue,
  isTrue,
  quantile,
  share,
  sum,
} from './figureKinds';
import { columnsOf } from './snapshotRows';
import {
  AdoptionDay,
  AdoptionFigures,
  AdoptionLevel,
  AdoptionSnapshot,
  Measure,
  NumericColumn,
  SnapshotGroup,
  SnapshotSql,
} from './types';

/** The dotted path of each number in an object type, two levels deep. */
type Leaves<T> = {
  [K in keyof T & string]-?: NonNullable<T[K]> extends number
    ? K
    : `${K}.${keyof NonNullable<T[K]> & string}`;
}[keyof T & string];

/** A figure's name: where it stands in `AdoptionFigures`. @internal */
export type FigureName = Leaves<AdoptionFigures>;

/** An adoption figure: its name, and how it is taken. @internal */
export type AdoptionFigure = { name: FigureName; kind: FigureKind };

const enrolled = isTrue('enrolled');

const atLevel = (level: AdoptionLevel) =>
  and(enrolled, equals('level', level, { orNull: level === 'none' }));

/** Enrolled components with a registered image running: those with an age. */
const aged = and(enrolled, hasValue('image_age_days'));

const agedWithinPolicy = and(
  aged,
  atMost('image_age_days', 'image_age_policy_days'),
);

/**
 * Every adoption figure, each declared once: the headlines, each roll-up row
 * and each day of the history take them from these, from snapshots in
 * memory or grouped in the database alike. See docs/contributing.md,
 * "Adding an adoption figure".
 *
 * @internal
 */
export const ADOPTION_FIGURES: readonly AdoptionFigure[] = [
  { name: 'services', kind: count() },
  { name: 'enrolled', kind: count(enrolled) },
  ...ADOPTION_LEVELS.map(
    (level): AdoptionFigure => ({
      name: `levels.${level}`,
      kind: count(atLevel(level)),
    }),
  ),
  { name: 'instances', kind: sum('instances') },
  { name: 'instancesOnChannel', kind: sum('instances_on_channel') },
  {
    name: 'onChannelShare',
    kind: share(sum('instances_on_channel'), sum('instances')),
  },
  { name: 'criticalFindings', kind: sum('findings_critical') },
  // Across enrolled components with a registered image running, the age of
  // the oldest image each runs, and the share within its policy.
  { name: 'imageAgeMedianDays', kind: quantile(0.5, 'image_age_days', aged) },
  { name: 'imageAgeP95Days', kind: quantile(0.95, 'image_age_days', aged) },
  {
    name: 'withinPolicyShare',
    kind: share(count(agedWithinPolicy), count(aged)),
  },
  // Drift lifetime: across enrolled components with findings gone in the 30
  // days before, each one's median (p95) life of a finding; and of all those
  // findings, the share an automatic rollout erased.
  {
    name: 'driftLifetimeP50Minutes',
    kind: quantile(0.5, 'drift_lifetime_p50_minutes', enrolled),
  },
  {
    name: 'driftLifetimeP95Minutes',
    kind: quantile(0.95, 'drift_lifetime_p95_minutes', enrolled),
  },
  {
    name: 'erasedAutomaticallyShare',
    kind: share(sum('findings_erased_automatically'), sum('findings_gone')),
  },
  { name: 'rollouts.succeeded', kind: sum('rollouts_succeeded') },
  { name: 'rollouts.failed', kind: sum('rollouts_failed') },
  { name: 'rollouts.aborted', kind: sum('rollouts_aborted') },
];

/** Every measure the figures read, each once however many read it. */
const MEASURES: Measure[] = [
  ...new Map(
    ADOPTION_FIGURES.flatMap(f => f.kind.measures).map(m => [m.key, m]),
  ).values(),
];

/** The columns the figures group by, in memory and on SQLite. */
const GROUP_BY: NumericColumn[] = [
  ...new Set(ADOPTION_FIGURES.flatMap(f => f.kind.groupBy)),
];

/**
 * What the database takes for the figures: per day and per value of the
 * `groupBy` columns, the sums of `measures`; with `taken`, figures it takes
 * whole per day (PostgreSQL's percentiles), so that it needs not group by
 * their columns.
 *
 * @internal
 */
export type FigureQuery = {
  groupBy: NumericColumn[];
  measures: Measure[];
  taken: Array<{ name: FigureName; sql: SnapshotSql }>;
};

/** The query of the figures for PostgreSQL, or any database. @internal */
export function figureQuery(options: { postgres: boolean }): FigureQuery {
  const whole = ADOPTION_FIGURES.filter(
    f => options.postgres && f.kind.postgres,
  );
  return {
    groupBy: [
      ...new Set(
        ADOPTION_FIGURES.filter(f => !whole.includes(f)).flatMap(
          f => f.kind.groupBy,
        ),
      ),
    ],
    measures: MEASURES,
    taken: whole.map(f => ({ name: f.name, sql: f.kind.postgres! })),
  };
}

const PATHS = ADOPTION_FIGURES.map(f => f.name.split('.'));

/** Where each figure's measures stand in a group's sums. */
const AT = ADOPTION_FIGURES.map(f =>
  f.kind.measures.map(m => MEASURES.findIndex(known => known.key === m.key)),
);

/** The values of the columns grouped by, as one key. */
const keyOf: (values: SnapshotGroup['values']) => unknown =
  GROUP_BY.length === 1
    ? values => values[GROUP_BY[0]]
    : values => JSON.stringify(GROUP_BY.map(c => values[c]));

/**
 * The figures of a set of snapshots, added a group at a time: the set keeps
 * the sums per value of the columns grouped by (as the database does), and
 * the figures are taken from those when built, but those the database took
 * whole.
 *
 * @internal
 */
export class FigureSet {
  private readonly groups = new Map<
    unknown,
    { values: SnapshotGroup['values']; sums: number[] }
  >();
  private taken: Record<string, number | null> = {};

  add(group: SnapshotGroup): void {
    if (group.taken) {
      this.taken = { ...this.taken, ...group.taken };
    }
    const key = keyOf(group.values);
    const kept = this.groups.get(key);
    if (!kept) {
      this.groups.set(key, { values: group.values, sums: [...group.sums] });
      return;
    }
    for (let i = 0; i < kept.sums.length; i++) {
      kept.sums[i] += group.sums[i];
    }
  }

  build(): AdoptionFigures {
    const figures: Record<string, any> = {};
    ADOPTION_FIGURES.forEach((figure, i) => {
      let value: number | null | undefined = this.taken[figure.name];
      if (!(figure.name in this.taken)) {
        const tally = figure.kind.tally(AT[i]);
        for (const group of this.groups.values()) {
          tally.add(group);
        }
        value = tally.value();
      }
      if (value === undefined || value === null) {
        return;
      }
      const path = PATHS[i];
      let at = figures;
      for (const key of path.slice(0, -1)) {
        at = at[key] ??= {};
      }
      at[path[path.length - 1]] = value;
    });
    return figures as AdoptionFigures;
  }
}

/** One snapshot, as a group of one. @internal */
export function groupOf(snapshot: AdoptionSnapshot): SnapshotGroup {
  const columns = columnsOf(snapshot);
  return { values: columns, sums: MEASURES.map(m => m.of(columns)) };
}

/** The figures of these snapshots. @internal */
export function figuresOf(snapshots: AdoptionSnapshot[]): AdoptionFigures {
  const set = new FigureSet();
  for (const s of snapshots) {
    set.add(groupOf(s));
  }
  return set.build();
}

/** The figures of each day, from its groups of snapshots. @internal */
export function figuresByDay(
  groups: Array<{ day: string } & SnapshotGroup>,
): AdoptionDay[] {
  const days = new Map<string, FigureSet>();
  for (const group of groups) {
    let set = days.get(group.day);
    if (!set) {
      set = new FigureSet();
      days.set(group.day, set);
    }
    set.add(group);
  }
  return [...days.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([day, set]) => ({ day, ...set.build() }));
}
