import { ROLLOUT_STRATEGIES } from '@immutable-infra/backstage-plugin-common';
import { planRollout, PlanInput } from './plan';
import { ROLLOUT_STRATEGY_REGISTRY } from './strategies';
import { Inventory } from '../drift/types';

const annotations = {
  imageFamily: 'ledger',
  fleetSelector: [{ key: 'app', value: 'ledger' }],
  environments: ['staging', 'production'],
  stateful: false,
};

function inventory(
  images: string[],
  extra: Partial<Inventory> = {},
): Inventory {
  return {
    instances: images.map((imageId, n) => ({
      entityRef: 'component:default/ledger',
      instanceId: `i-${n}`,
      environment: 'production',
      region: 'us-east-1',
      imageId,
      state: 'running',
      sshExposure: 'none',
      sshSources: [],
      firstSeenAt: '2026-01-01T00:00:00.000Z',
      lastSeenAt: '2026-01-01T00:00:00.000Z',
    })),
    launchTemplates: [
      { id: 'lt-1', name: 'ledger', region: 'us-east-1', defaultVersion: 3 },
    ],
    autoscalingGroups: [],
    ...extra,
  };
}

describe('planRollout', () => {
  const targets = new Map([['us-east-1', 'ami-new']]);

  it('a stateful entity: one wave per instance still to replace, each but the last followed by a pause', () => {
    const { plan } = planRollout({
      environment: 'production',
      annotations: { ...annotations, stateful: true },
      inventory: inventory(['ami-old', 'ami-new', 'ami-old']),
      targetImages: targets,
    });
    expect(
      plan!.steps.map(s => [s.kind, s.targets['instances:us-east-1']]),
    ).toEqual([
      ['setWeight', 2],
      ['pause', 2],
      ['setWeight', 3],
    ]);
  });

  it('names every problem that stops a plan', () => {
    const result = planRollout({
      environment: 'production',
      annotations,
      inventory: inventory(['ami-old'], {
        launchTemplates: [],
        autoscalingGroups: [
          {
            environment: 'production',
            name: 'legacy',
            region: 'eu-west-1',
            group: {
              name: 'legacy',
              region: 'eu-west-1',
              minSize: 1,
              maxSize: 2,
              desiredCapacity: 1,
              launchConfiguration: { name: 'legacy-lc', imageId: 'ami-x' },
              instances: [],
              targetGroupArns: [],
            },
          },
        ],
      }),
      targetImages: targets,
    });
    expect(result.problems).toEqual([
      'Auto Scaling group legacy (eu-west-1) launches from launch configuration legacy-lc: move it to a launch template first',
      '1 production instance in us-east-1 belongs to no Auto Scaling group, and no launch template to launch replacements is known there: set immutable-infra.io/launch-template',
    ]);
  });

  it('a version without an AMI in a region of the fleet cannot be rolled out there', () => {
    const result = planRollout({
      environment: 'production',
      annotations,
      inventory: inventory(['ami-old']),
      targetImages: new Map([['eu-west-1', 'ami-new']]),
    });
    expect(result.problems).toEqual([
      'the version has no AMI in us-east-1: register one there first',
    ]);
  });

  it('an environment with no fleet has nothing to roll out', () => {
    const result = planRollout({
      environment: 'staging',
      annotations,
      inventory: inventory(['ami-old']),
      targetImages: targets,
    });
    expect(result.problems[0]).toContain(
      'the staging environment has no fleet to roll out',
    );
  });

  it('has a strategy for every strategy name', () => {
    expect(
      Object.values(ROLLOUT_STRATEGY_REGISTRY)
        .map(strategy => strategy.name)
        .sort(),
    ).toEqual([...ROLLOUT_STRATEGIES].sort());
  });
});

describe('planRollout, blue-green', () => {
  const input: PlanInput = {
    environment: 'production',
    annotations: { ...annotations, rolloutAlarms: ['ledger-5xx'] },
    inventory: inventory(['ami-old', 'ami-old']),
    targetImages: new Map([['us-east-1', 'ami-new']]),
    spec: {
      strategy: 'blueGreen',
      blueGreen: {
        autoPromote: false,
        prePromotionAnalysis: { duration: '5m' },
        bakeTime: '10m',
        postPromotionAnalysis: { duration: '2m', alarms: ['ledger-latency'] },
        scaleDownDelay: '30s',
      },
    },
  };
  /** The plan with the fleets as the planner completes them from AWS. */
  const withFleets = (
    extra: {
      previewTargetGroupArns?: string[];
      deregistrationDelayMs?: number;
    },
    overrides: Partial<PlanInput> = {},
  ) => {
    const first = planRollout({ ...input, ...overrides });
    return planRollout({
      ...input,
      ...overrides,
      fleets: first.plan!.fleets.map(f => ({ ...f, ...extra })),
    });
  };

  it('gates green, analyses, waits for a promote, switches, bakes on the alarms, analyses again, then keeps blue for the longest of the scale-down and deregistration delays', () => {
    const { plan, problems } = withFleets({
      previewTargetGroupArns: ['arn:preview'],
      deregistrationDelayMs: 120_000,
    });
    expect(problems).toEqual([]);
    const full = { 'instances:us-east-1': 2 };
    expect(plan!.steps).toEqual([
      {
        index: 0,
        kind: 'setWeight',
        weight: 100,
        keepOld: true,
        targets: full,
      },
      {
        index: 1,
        kind: 'analysis',
        durationMs: 300_000,
        alarms: ['ledger-5xx'],
        targets: full,
      },
      { index: 2, kind: 'pause', targets: full },
      { index: 3, kind: 'switch', targets: full },
      {
        index: 4,
        kind: 'bake',
        durationMs: 600_000,
        alarms: ['ledger-5xx'],
        targets: full,
      },
      {
        index: 5,
        kind: 'analysis',
        durationMs: 120_000,
        alarms: ['ledger-latency'],
        targets: full,
      },
      { index: 6, kind: 'pause', durationMs: 120_000, targets: full },
      { index: 7, kind: 'setWeight', weight: 100, targets: full },
    ]);
    expect(plan!.notes).toEqual([
      "scale-down delay raised to 120s, the target groups' deregistration delay",
      'green serves production traffic from the moment it passes the gate: the entity names no preview target group for production',
    ]);
  });

  it('says nothing when the preview target group keeps green out of production and the scale-down delay outlasts the draining', () => {
    const { plan } = withFleets(
      {
        previewTargetGroupArns: ['arn:preview'],
        deregistrationDelayMs: 10_000,
      },
      {
        annotations: {
          ...input.annotations,
          previewTargetGroups: { production: ['ledger-preview'] },
        },
      },
    );
    expect(plan!.steps.at(-2)).toMatchObject({
      kind: 'pause',
      durationMs: 30_000,
    });
    expect(plan!.notes).toBeUndefined();
  });

  it('names the fleet whose region has none of the preview target groups', () => {
    const { plan } = withFleets(
      {},
      {
        annotations: {
          ...input.annotations,
          previewTargetGroups: {
            production: [
              'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/ledger-preview/0123456789abcdef',
            ],
          },
        },
      },
    );
    expect(plan!.notes).toEqual([
      'green of production instances in us-east-1 serves production traffic from the moment it passes the gate: no preview target group of production is in us-east-1',
    ]);
  });

  it('refuses a bake when the entity has no alarms to watch', () => {
    const result = planRollout({
      ...input,
      annotations,
      spec: { strategy: 'blueGreen', blueGreen: { bakeTime: '10m' } } as any,
    });
    expect(result.problems).toEqual([
      "a bake watches the entity's immutable-infra.io/rollout-alarms and it has none: name its alarms there, or leave bakeTime out",
    ]);
  });

  it('without bake or analyses: green, promote, switch, scale-down delay, retire', () => {
    const { plan } = planRollout({
      ...input,
      spec: { strategy: 'blueGreen', blueGreen: { autoPromote: true } } as any,
    });
    expect(plan!.steps.map(s => [s.kind, s.durationMs])).toEqual([
      ['setWeight', undefined],
      ['switch', undefined],
      ['pause', 30_000],
      ['setWeight', undefined],
    ]);
  });

  it('refuses a stateful entity', () => {
    const result = planRollout({
      ...input,
      annotations: { ...input.annotations, stateful: true },
    });
    expect(result.problems).toEqual([
      expect.stringContaining('never blue-green beside a second copy'),
    ]);
  });
});
