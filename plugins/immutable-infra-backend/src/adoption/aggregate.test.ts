import {
  ancestorsOf,
  descendantsOf,
  figuresOf,
  GroupTree,
  rollUp,
} from './aggregate';
import { quantile } from '../drift/views';
import { snapshot } from './testSnapshots.testUtil';

// engineering ← platform ← golden-images; engineering ← payments
const TREE: GroupTree = new Map([
  ['group:default/engineering', {}],
  ['group:default/platform', { parent: 'group:default/engineering' }],
  ['group:default/golden-images', { parent: 'group:default/platform' }],
  ['group:default/payments', { parent: 'group:default/engineering' }],
]);

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

  it('has no shares or percentiles without instances or images', () => {
    const figures = figuresOf([]);
    expect(figures.services).toBe(0);
    expect(figures.onChannelShare).toBeUndefined();
    expect(figures.imageAgeMedianDays).toBeUndefined();
  });
});

describe('group parents', () => {
  it('walks up from a group, and stops at a cycle', () => {
    expect(ancestorsOf('group:default/golden-images', TREE)).toEqual([
      'group:default/golden-images',
      'group:default/platform',
      'group:default/engineering',
    ]);
    const cycle: GroupTree = new Map([
      ['group:default/x', { parent: 'group:default/y' }],
      ['group:default/y', { parent: 'group:default/x' }],
    ]);
    expect(ancestorsOf('group:default/x', cycle)).toEqual([
      'group:default/x',
      'group:default/y',
    ]);
  });

  it('finds the groups below a group, itself included', () => {
    expect([...descendantsOf(['group:default/platform'], TREE)].sort()).toEqual(
      ['group:default/golden-images', 'group:default/platform'],
    );
  });
});

describe('rollUp', () => {
  const snapshots = [
    snapshot('component:default/bake', {
      owner: 'group:default/golden-images',
      level: 'gold',
    }),
    snapshot('component:default/portal', {
      owner: 'group:default/platform',
      level: 'bronze',
    }),
    snapshot('component:default/ledger', {
      owner: 'group:default/payments',
      system: 'system:default/payments',
      domain: undefined,
      enrolled: false,
      level: undefined,
    }),
    snapshot('component:default/lonely', {
      owner: undefined,
      system: undefined,
    }),
  ];

  it('by owner: a department holds its teams, each team its own components', () => {
    const rows = rollUp(snapshots, 'owner', TREE);
    const byKey = new Map(rows.map(r => [r.key, r]));
    expect(byKey.get('group:default/engineering')).toMatchObject({
      depth: 0,
      parent: undefined,
      directServices: 0,
      figures: { services: 3, enrolled: 2, levels: { gold: 1, bronze: 1 } },
    });
    expect(byKey.get('group:default/platform')).toMatchObject({
      depth: 1,
      parent: 'group:default/engineering',
      directServices: 1,
      figures: { services: 2, enrolled: 2 },
    });
    expect(byKey.get('group:default/golden-images')).toMatchObject({
      depth: 2,
      parent: 'group:default/platform',
      directServices: 1,
      figures: { services: 1, levels: { gold: 1 } },
    });
    expect(byKey.get('group:default/payments')?.figures).toMatchObject({
      services: 1,
      enrolled: 0,
    });
    expect(byKey.get('(none)')?.figures.services).toBe(1);
  });

  it('by system and by domain: each component once', () => {
    const systems = rollUp(snapshots, 'system');
    expect(systems.map(r => [r.key, r.figures.services])).toEqual([
      ['(none)', 1],
      ['system:default/payments', 1],
      ['system:default/shop', 2],
    ]);
    const domains = rollUp(snapshots, 'domain');
    expect(domains.map(r => [r.key, r.figures.services])).toEqual([
      ['(none)', 1],
      ['domain:default/commerce', 3],
    ]);
  });
});
