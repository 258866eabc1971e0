import {
  BooleanColumn,
  Measure,
  NumericColumn,
  SnapshotColumns,
  SnapshotGroup,
  SnapshotSql,
  SummedColumn,
} from './types';

/**
 * Which snapshots a figure takes in. Built from the conditions below, each
 * of which says the same thing in SQL and in memory (SQL's nulls included:
 * a comparison with no value does not hold).
 *
 * @internal
 */
export type Condition = {
  sql: SnapshotSql;
  holds(row: SnapshotColumns): boolean;
};

/** The snapshots whose `column` says yes. @internal */
export function isTrue(column: BooleanColumn): Condition {
  return { sql: { sql: '??', bindings: [column] }, holds: row => row[column] };
}

/** The snapshots with a value in `column`. @internal */
export function hasValue(column: keyof SnapshotColumns): Condition {
  return {
    sql: { sql: '?? is not null', bindings: [column] },
    holds: row => row[column] !== null && row[column] !== undefined,
  };
}

/** The snapshots whose `column` is `value`; with `orNull`, also those with none in it. @internal */
export function equals<K extends keyof SnapshotColumns>(
  column: K,
  value: NonNullable<SnapshotColumns[K]> & (string | number),
  options: { orNull?: boolean } = {},
): Condition {
  return {
    sql: options.orNull
      ? { sql: 'coalesce(??, ?) = ?', bindings: [column, value, value] }
      : { sql: '?? = ?', bindings: [column, value] },
    holds: row =>
      row[column] === value ||
      (Boolean(options.orNull) &&
        (row[column] === null || row[column] === undefined)),
  };
}

/** The snapshots whose `column` is at most `limit`'s value (both having one). @internal */
export function atMost(column: NumericColumn, limit: NumericColumn): Condition {
  return {
    sql: { sql: '?? <= ??', bindings: [column, limit] },
    holds: row => {
      const [a, b] = [row[column], row[limit]];
      return a !== null && b !== null && a <= b;
    },
  };
}

/** The snapshots that meet every one of the conditions. @internal */
export function and(...conditions: Condition[]): Condition {
  return {
    sql: {
      sql: conditions.map(c => `(${c.sql.sql})`).join(' and ') || '1 = 1',
      bindings: conditions.flatMap(c => c.sql.bindings),
    },
    holds: row => {
      for (let i = 0; i < conditions.length; i++) {
        if (!conditions[i].holds(row)) return false;
      }
      return true;
    },
  };
}

function measure(sql: SnapshotSql, of: Measure['of']): Measure {
  return { key: JSON.stringify(sql), sql, of };
}

/** 1 for each snapshot that meets the condition (every one without). */
function countOf(condition?: Condition): Measure {
  return condition
    ? measure(
        {
          sql: `case when ${condition.sql.sql} then 1 else 0 end`,
          bindings: condition.sql.bindings,
        },
        row => (condition.holds(row) ? 1 : 0),
      )
    : measure({ sql: '1', bindings: [] }, () => 1);
}

/** A column of each snapshot that meets the condition (every one without). */
function valueOf(column: SummedColumn, condition?: Condition): Measure {
  return condition
    ? measure(
        {
          sql: `case when ${condition.sql.sql} then ?? else 0 end`,
          bindings: [...condition.sql.bindings, column],
        },
        row => (condition.holds(row) ? row[column] : 0),
      )
    : measure({ sql: '??', bindings: [column] }, row => row[column]);
}

/** What a figure keeps while it takes in the groups of snapshots of a set. @internal */
export type FigureTally<V extends number | undefined = number | undefined> = {
  add(group: SnapshotGroup): void;
  value(): V;
};

/**
 * How a figure is taken from snapshots and how the snapshots of a set (a
 * day, a roll-up row) combine into it. The same definition takes it from
 * snapshots in memory and from the database's sums of them.
 *
 * @internal
 */
export type FigureKind<V extends number | undefined = number | undefined> = {
  /** The sums it reads: the database takes them per day. */
  measures: readonly Measure[];
  /**
   * The columns whose values it reads: the database sums per value of them
   * too (so they should have few values).
   */
  groupBy: readonly NumericColumn[];
  /** `at[i]`: where the sum of `measures[i]` stands in a group's sums. */
  tally(at: readonly number[]): FigureTally<V>;
  /**
   * The figure of a day as one PostgreSQL aggregate, where it has one: the
   * day's query then needs not group by `groupBy` (and an ordered-set
   * aggregate keeps it on the index of days). SQLite has none.
   */
  postgres?: SnapshotSql;
};

/** A figure that every set has: a count or a sum. @internal */
export type TotalKind = FigureKind<number>;

function total(m: Measure): TotalKind {
  return {
    measures: [m],
    groupBy: [],
    tally(at) {
      let n = 0;
      return {
        add(group) {
          n += group.sums[at[0]];
        },
        value: () => n,
      };
    },
  };
}

/** How many snapshots meet the condition (every one without). @internal */
export function count(condition?: Condition): TotalKind {
  return total(countOf(condition));
}

/** The sum of a column over the snapshots that meet the condition. @internal */
export function sum(column: SummedColumn, condition?: Condition): TotalKind {
  return total(valueOf(column, condition));
}

/** `part` / `whole`; none when `whole` is 0. @internal */
export function share(part: TotalKind, whole: TotalKind): FigureKind {
  return {
    measures: [...part.measures, ...whole.measures],
    groupBy: [...part.groupBy, ...whole.groupBy],
    tally(at) {
      const p = part.tally(at.slice(0, part.measures.length));
      const w = whole.tally(at.slice(part.measures.length));
      return {
        add(group) {
          p.add(group);
          w.add(group);
        },
        value: () => (w.value() > 0 ? p.value() / w.value() : undefined),
      };
    },
  };
}

/**
 * The value at quantile `q` of a column over the snapshots that meet the
 * condition and have a value: the nearest rank, the smallest value with at
 * least `q` of them at or below it (PostgreSQL's `percentile_disc`, and
 * `quantile` of drift/views). None without such snapshots.
 *
 * @internal
 */
export function quantile(
  q: number,
  column: NumericColumn,
  condition?: Condition,
): FigureKind {
  const filter = condition
    ? {
        sql: ` filter (where ${condition.sql.sql})`,
        bindings: condition.sql.bindings,
      }
    : { sql: '', bindings: [] };
  return {
    // Grouped by the column's value: the group without one is passed over.
    measures: [countOf(condition)],
    groupBy: [column],
    // The same nearest rank; it passes over the snapshots without a value.
    postgres: {
      sql: `percentile_disc(?) within group (order by ??)${filter.sql}`,
      bindings: [q, column, ...filter.bindings],
    },
    tally(at) {
      const counts = new Map<number, number>();
      return {
        add(group) {
          const n = group.sums[at[0]];
          const value = group.values[column];
          if (n > 0 && value !== null && value !== undefined) {
            counts.set(value, (counts.get(value) ?? 0) + n);
          }
        },
        value: () => weightedQuantile(counts, q),
      };
    },
  };
}

/** The value at quantile `q` of values given with how often each occurs. */
function weightedQuantile(
  counts: Map<number, number>,
  q: number,
): number | undefined {
  const sorted = [...counts].sort(([a], [b]) => a - b);
  const all = sorted.reduce((n, [, c]) => n + c, 0);
  if (all === 0) {
    return undefined;
  }
  const rank = Math.max(1, Math.ceil(q * all));
  let seen = 0;
  for (const [value, c] of sorted) {
    seen += c;
    if (seen >= rank) {
      return value;
    }
  }
  return sorted[sorted.length - 1][0];
}
