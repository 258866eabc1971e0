import { figuresOf } from './figures';
import { ancestorsOf, descendantsOf, rollUp } from './rollUp';
import { snapshot } from './testSnapshots.testUtil';
import { GroupTree } from './types';

// engineering ← platform ← golden-images; engineering ← payments
const TREE: GroupTree = new Map([
  ['group:default/engineering', {}],
  ['group:default/platform', { parent: 'group:default/engineering' }],
  ['group:default/golden-images', { parent: 'group:default/platform' }],
  ['group:default/payments', { parent: 'group:default/engineering' }],
]);

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
    const { figures, rows } = rollUp(snapshots, 'owner', TREE);
    expect(figures).toEqual(figuresOf(snapshots));
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
    const systems = rollUp(snapshots, 'system').rows;
    expect(systems.map(r => [r.key, r.figures.services])).toEqual([
      ['(none)', 1],
      ['system:default/payments', 1],
      ['system:default/shop', 2],
    ]);
    const domains = rollUp(snapshots, 'domain').rows;
    expect(domains.map(r => [r.key, r.figures.services])).toEqual([
      ['(none)', 1],
      ['domain:default/commerce', 3],
    ]);
  });
});
