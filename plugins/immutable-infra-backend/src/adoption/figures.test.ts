import { adoptionFiguresSchema } from '@immutable-infra/backstage-plugin-common';
import { quantile } from '../drift/views';
import {
  ADOPTION_FIGURES,
  figureQuery,
  figuresByDay,
  figuresOf,
  groupOf,
} from './figures';
import { snapshot, spread } from './testSnapshots.testUtil';

describe('quantile', () => {
  it('takes the nearest rank', () => {
    const values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(quantile(values, 0.5)).toBe(5);
    expect(quantile(values, 0.95)).toBe(10);
    expect(quantile([7], 0.95)).toBe(7);
    expect(quantile([], 0.5)).toBeUndefined();
  });
});

describe('figuresOf', () => {
  it('counts enrolment and levels, sums instances and findings, and takes age percentiles over enrolled components with an image', () => {
    const figures = figuresOf([
      snapshot('component:default/a', { level: 'gold', imageAgeDays: 2 }),
      snapshot('component:default/b', { imageAgeDays: 40 }),
      snapshot('component:default/c', {
        level: 'none',
        imageAgeDays: undefined,
        findings: { critical: 2, high: 0, medium: 0, low: 0 },
      }),
      snapshot('component:default/d', {
        enrolled: false,
        level: undefined,
        instances: 5,
        instancesOnChannel: 0,
        imageAgeDays: 99,
      }),
    ]);
    expect(figures).toMatchObject({
      services: 4,
      enrolled: 3,
      levels: { gold: 1, silver: 1, bronze: 0, none: 1 },
      instances: 17,
      instancesOnChannel: 9,
      criticalFindings: 2,
      // a (2) and b (40): not c (no image), not d (not enrolled).
      imageAgeMedianDays: 2,
      imageAgeP95Days: 40,
      withinPolicyShare: 0.5,
      rollouts: { succeeded: 4, failed: 0, aborted: 0 },
    });
    expect(figures.onChannelShare).toBeCloseTo(9 / 17);
  });

  it('takes drift lifetime percentiles over enrolled components with findings gone, and the share erased automatically over all findings gone', () => {
    const drift = (
      p50: number | undefined,
      p95: number | undefined,
      gone: number,
      erasedAutomatically: number,
    ) => ({
      drift: {
        lifetimeP50Minutes: p50,
        lifetimeP95Minutes: p95,
        gone,
        erasedAutomatically,
      },
    });
    const figures = figuresOf([
      snapshot('component:default/a', drift(4, 30, 3, 3)),
      snapshot('component:default/b', drift(60, 600, 1, 0)),
      snapshot('component:default/c', drift(10, 20, 4, 1)),
      // Nothing gone: no lifetime, and nothing to share.
      snapshot('component:default/d', drift(undefined, undefined, 0, 0)),
      // Not enrolled: its figures are left out of the percentiles.
      snapshot('component:default/e', {
        enrolled: false,
        level: undefined,
        ...drift(1, 1, 0, 0),
      }),
    ]);
    // a (4), c (10), b (60): the median is c's; the p95 b's 600.
    expect(figures.driftLifetimeP50Minutes).toBe(10);
    expect(figures.driftLifetimeP95Minutes).toBe(600);
    expect(figures.erasedAutomaticallyShare).toBeCloseTo(4 / 8);
    const none = figuresOf([
      snapshot('component:default/d', drift(undefined, undefined, 0, 0)),
    ]);
    expect(none.driftLifetimeP50Minutes).toBeUndefined();
    expect(none.erasedAutomaticallyShare).toBeUndefined();
  });

  it('has no shares or percentiles without instances or images', () => {
    const figures = figuresOf([]);
    expect(figures.services).toBe(0);
    expect(figures.onChannelShare).toBeUndefined();
    expect(figures.imageAgeMedianDays).toBeUndefined();
  });
});

describe('ADOPTION_FIGURES', () => {
  it('declares each number of the figures once', () => {
    const leaves = (shape: Record<string, any>, prefix = ''): string[] =>
      Object.entries(shape).flatMap(([key, schema]) =>
        schema.shape
          ? leaves(schema.shape, `${prefix}${key}.`)
          : [`${prefix}${key}`],
      );
    const names = ADOPTION_FIGURES.map(f => f.name);
    expect([...names].sort()).toEqual(
      leaves(adoptionFiguresSchema.shape).sort(),
    );
    expect(
      adoptionFiguresSchema.strict().safeParse(figuresOf(spread(40))).success,
    ).toBe(true);
  });

  it('takes the same figures from sums over groups of snapshots as from the snapshots', () => {
    const snapshots = spread(200);
    // What the database answers: per value of the columns grouped by, the
    // sums of the measures.
    const groups = new Map<string, { values: object; sums: number[] }>();
    for (const s of snapshots) {
      const { values, sums } = groupOf(s);
      const kept = Object.fromEntries(
        figureQuery({ postgres: false }).groupBy.map(c => [c, values[c]]),
      );
      const key = JSON.stringify(kept);
      const group = groups.get(key) ?? {
        values: kept,
        sums: sums.map(() => 0),
      };
      sums.forEach((n, i) => (group.sums[i] += n));
      groups.set(key, group);
    }
    expect(groups.size).toBeLessThan(snapshots.length / 2);
    const [day] = figuresByDay(
      [...groups.values()].map(g => ({ day: '2026-12-01', ...g })),
    );
    expect(day).toEqual({ day: '2026-12-01', ...figuresOf(snapshots) });
  });

  it('takes percentiles as the nearest rank, as quantile does', () => {
    const snapshots = spread(101);
    const ages = snapshots
      .filter(s => s.enrolled && s.imageAgeDays !== undefined)
      .map(s => s.imageAgeDays!)
      .sort((a, b) => a - b);
    const figures = figuresOf(snapshots);
    expect(figures.imageAgeMedianDays).toBe(quantile(ages, 0.5));
    expect(figures.imageAgeP95Days).toBe(quantile(ages, 0.95));
  });
});
