import {
  AdoptionLevel,
  AdoptionSnapshot,
  HistoryBucket,
} from './AdoptionStore';

/** The levels, best first. @internal */
export const ADOPTION_LEVELS: AdoptionLevel[] = [
  'gold',
  'silver',
  'bronze',
  'none',
];

/** The value at quantile `q` of values given as (value, count) pairs. */
function weightedQuantile(
  counts: Array<{ value: number; count: number }>,
  q: number,
): number | undefined {
  const sorted = [...counts].sort((a, b) => a.value - b.value);
  const total = sorted.reduce((n, c) => n + c.count, 0);
  if (total === 0) {
    return undefined;
  }
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (const { value, count } of sorted) {
    seen += count;
    if (seen >= rank) {
      return value;
    }
  }
  return sorted[sorted.length - 1].value;
}

/**
 * The figures of a set of components: what each headline, roll-up row and
 * day of the history shows.
 *
 * @internal
 */
export type AdoptionFigures = {
  services: number;
  enrolled: number;
  levels: Record<AdoptionLevel, number>;
  instances: number;
  instancesOnChannel: number;
  /** instancesOnChannel / instances; undefined without instances. */
  onChannelShare?: number;
  criticalFindings: number;
  /**
   * Median and p95, across enrolled components with a registered image
   * running, of the age of the oldest image each runs.
   */
  imageAgeMedianDays?: number;
  imageAgeP95Days?: number;
  /** Of those components, the share whose oldest image is within policy. */
  withinPolicyShare?: number;
  rollouts: { succeeded: number; failed: number; aborted: number };
};

function emptyFigures(): AdoptionFigures {
  return {
    services: 0,
    enrolled: 0,
    levels: { gold: 0, silver: 0, bronze: 0, none: 0 },
    instances: 0,
    instancesOnChannel: 0,
    criticalFindings: 0,
    rollouts: { succeeded: 0, failed: 0, aborted: 0 },
  };
}

/** Figures from per-component (or grouped) counts. */
class FiguresBuilder {
  private readonly figures = emptyFigures();
  private readonly ages: Array<{ value: number; count: number }> = [];
  private agedWithinPolicy = 0;

  add(part: {
    services: number;
    enrolled: boolean;
    level?: AdoptionLevel;
    instances: number;
    instancesOnChannel: number;
    criticalFindings: number;
    imageAgeDays?: number;
    withinPolicy?: boolean;
    rollouts: { succeeded: number; failed: number; aborted: number };
  }) {
    const f = this.figures;
    f.services += part.services;
    if (part.enrolled) {
      f.enrolled += part.services;
      f.levels[part.level ?? 'none'] += part.services;
      if (part.imageAgeDays !== undefined) {
        this.ages.push({ value: part.imageAgeDays, count: part.services });
        if (part.withinPolicy) {
          this.agedWithinPolicy += part.services;
        }
      }
    }
    f.instances += part.instances;
    f.instancesOnChannel += part.instancesOnChannel;
    f.criticalFindings += part.criticalFindings;
    f.rollouts.succeeded += part.rollouts.succeeded;
    f.rollouts.failed += part.rollouts.failed;
    f.rollouts.aborted += part.rollouts.aborted;
  }

  build(): AdoptionFigures {
    const f = { ...this.figures };
    if (f.instances > 0) {
      f.onChannelShare = f.instancesOnChannel / f.instances;
    }
    const aged = this.ages.reduce((n, a) => n + a.count, 0);
    if (aged > 0) {
      f.imageAgeMedianDays = weightedQuantile(this.ages, 0.5);
      f.imageAgeP95Days = weightedQuantile(this.ages, 0.95);
      f.withinPolicyShare = this.agedWithinPolicy / aged;
    }
    return f;
  }
}

function snapshotPart(s: AdoptionSnapshot) {
  return {
    services: 1,
    enrolled: s.enrolled,
    level: s.level,
    instances: s.instances,
    instancesOnChannel: s.instancesOnChannel,
    criticalFindings: s.findings.critical,
    imageAgeDays: s.imageAgeDays,
    withinPolicy:
      s.imageAgeDays !== undefined && s.imageAgePolicyDays !== undefined
        ? s.imageAgeDays <= s.imageAgePolicyDays
        : undefined,
    rollouts: s.rollouts,
  };
}

/** The figures of these components. @internal */
export function figuresOf(snapshots: AdoptionSnapshot[]): AdoptionFigures {
  const builder = new FiguresBuilder();
  for (const s of snapshots) {
    builder.add(snapshotPart(s));
  }
  return builder.build();
}

/** One day of the history. @internal */
export type AdoptionDay = { day: string } & AdoptionFigures;

/** The figures of each day, from the store's grouped buckets. @internal */
export function historyOf(buckets: HistoryBucket[]): AdoptionDay[] {
  const days = new Map<string, FiguresBuilder>();
  for (const b of buckets) {
    let builder = days.get(b.day);
    if (!builder) {
      builder = new FiguresBuilder();
      days.set(b.day, builder);
    }
    builder.add({
      services: b.services,
      enrolled: b.enrolled,
      level: b.level,
      instances: b.instances,
      instancesOnChannel: b.instancesOnChannel,
      criticalFindings: b.findingsCritical,
      imageAgeDays: b.imageAgeDays,
      withinPolicy: b.withinPolicy,
      rollouts: {
        succeeded: b.rolloutsSucceeded,
        failed: b.rolloutsFailed,
        aborted: b.rolloutsAborted,
      },
    });
  }
  return [...days.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([day, builder]) => ({ day, ...builder.build() }));
}

/**
 * The group tree of the catalog: each group's parent, for roll-ups by owner
 * that walk up from a team to its department.
 *
 * @internal
 */
export type GroupTree = Map<string, { parent?: string; title?: string }>;

/** The group and the groups above it, nearest first; no cycle followed. */
export function ancestorsOf(group: string, tree: GroupTree): string[] {
  const chain: string[] = [];
  const seen = new Set<string>();
  for (
    let at: string | undefined = group;
    at !== undefined && !seen.has(at);
    at = tree.get(at)?.parent
  ) {
    seen.add(at);
    chain.push(at);
  }
  return chain;
}

/** The groups at or below each of `groups`. @internal */
export function descendantsOf(groups: string[], tree: GroupTree): Set<string> {
  const below = new Set<string>();
  const wanted = new Set(groups);
  for (const group of new Set([...tree.keys(), ...groups])) {
    if (ancestorsOf(group, tree).some(g => wanted.has(g))) {
      below.add(group);
    }
  }
  return below;
}

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

/**
 * The figures per owner, system or domain. By owner, each component counts
 * for its owner and every group above it, so a department's row holds its
 * teams' components and each team's row its own. Components without a
 * value are under `(none)`.
 *
 * @internal
 */
export function rollUp(
  snapshots: AdoptionSnapshot[],
  by: AdoptionGrouping,
  tree: GroupTree = new Map(),
): RollUpRow[] {
  const rows = new Map<string, { builder: FiguresBuilder; direct: number }>();
  const row = (key: string) => {
    let found = rows.get(key);
    if (!found) {
      found = { builder: new FiguresBuilder(), direct: 0 };
      rows.set(key, found);
    }
    return found;
  };
  for (const s of snapshots) {
    const key = s[by] ?? '(none)';
    const keys = by === 'owner' && s.owner ? ancestorsOf(s.owner, tree) : [key];
    row(key).direct += 1;
    const part = snapshotPart(s);
    for (const k of keys) {
      row(k).builder.add(part);
    }
  }
  return [...rows.entries()]
    .map(([key, { builder, direct }]) => {
      const result: RollUpRow = {
        key,
        directServices: direct,
        figures: builder.build(),
      };
      if (by === 'owner' && key !== '(none)') {
        const chain = ancestorsOf(key, tree);
        result.parent = chain[1];
        result.depth = chain.length - 1;
      }
      return result;
    })
    .sort((a, b) => (a.key < b.key ? -1 : 1));
}
