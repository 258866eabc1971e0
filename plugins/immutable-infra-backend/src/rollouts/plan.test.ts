import { planRollout } from './plan';
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
});
