import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import {
  DescribeInstancesCommand,
  DescribeVpcsCommand,
  DescribeLaunchTemplateVersionsCommand,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateTargetGroupCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  CloudWatchClient,
  PutMetricAlarmCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  parseImmutableInfraAnnotations,
  ROLLOUT_ID_TAG,
  RolloutSpec,
} from '@immutable-infra/backstage-plugin-common';
import Knex from 'knex';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { Ec2Fixtures, emulatorClients } from '../__testUtils__/ec2Fixtures';
import { migrateForTests } from '../__testUtils__/migrate';
import { emulatorConfig, MotoServer, startMoto } from '../__testUtils__/moto';
import { DatabaseEntitySnapshotStore } from '../catalog/EntitySnapshotStore';
import { DatabaseFleetStore } from '../fleet/DatabaseFleetStore';
import { FleetSync } from '../fleet/FleetSync';
import { AwsClientFactory } from '../providers/aws/AwsClientFactory';
import { Ec2FleetProvider } from '../providers/aws/Ec2FleetProvider';
import { Ec2RolloutProvider } from '../providers/aws/Ec2RolloutProvider';
import { DatabaseRolloutStore } from './DatabaseRolloutStore';
import { planRollout } from './plan';
import { RolloutEngine } from './RolloutEngine';
import { withTargetGroups } from './targetGroups';

jest.setTimeout(180_000);

const region = 'us-east-1';

/**
 * The engine against the EC2 emulator: Auto Scaling groups behind target
 * groups and standalone instances, synced by the real fleet sync, rolled
 * out by the real provider.
 */
describe('rollouts on the EC2 emulator', () => {
  let moto: MotoServer;
  let fixtures: Ec2Fixtures;
  let oldAmi: string;
  let newAmi: string;
  let elb: ElasticLoadBalancingV2Client;

  beforeAll(async () => {
    moto = await startMoto();
    const { ec2, autoscaling } = emulatorClients(moto.endpoint, region);
    fixtures = new Ec2Fixtures(ec2, autoscaling);
    oldAmi = await fixtures.image();
    newAmi = await fixtures.image();
    elb = new ElasticLoadBalancingV2Client({
      region,
      endpoint: moto.endpoint,
      maxAttempts: 1,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
  });

  afterAll(async () => {
    await moto?.stop();
  });

  /** Rollouts made so far: part of each one's id, so no two share one. */
  let rollouts = 0;

  async function setup(
    name: string,
    annotations: Record<string, string>,
    spec: RolloutSpec = {
      strategy: 'canary',
      steps: [{ setWeight: 50 }, { setWeight: 100 }],
      progressDeadline: '2m',
    },
    probe?: { allowedHosts: string[] },
    target: { image?: string; drifted?: string[] } = {},
  ) {
    const knex = Knex({
      client: 'better-sqlite3',
      connection: ':memory:',
      useNullAsDefault: true,
    });
    await migrateForTests(knex);
    const clients = AwsClientFactory.fromConfig(
      new ConfigReader(emulatorConfig(moto.endpoint)),
    );
    const fleet = DatabaseFleetStore.create({ knex });
    const entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name,
        namespace: 'default',
        annotations: {
          'immutable-infra.io/image-family': name,
          ...annotations,
        },
      },
      spec: { type: 'service', owner: 'group:default/team' },
    };
    const sync = new FleetSync({
      catalog: catalogServiceMock({ entities: [entity as any] }),
      auth: mockServices.auth(),
      fleet,
      snapshots: DatabaseEntitySnapshotStore.create({ knex }),
      providerFactory: () => new Ec2FleetProvider(clients),
      logger: mockServices.logger.mock(),
      regions: [region],
      environmentTag: 'environment',
    });
    await sync.run();
    const entityRef = `component:default/${name}`;
    const parsed = parseImmutableInfraAnnotations(entity as any).annotations;
    const planned = planRollout({
      environment: 'production',
      annotations: parsed,
      inventory: await fleet.getInventory(entityRef),
      targetImages: new Map([[region, target.image ?? newAmi]]),
      spec,
      driftedInstanceIds: target.drifted && new Set(target.drifted),
    });
    expect(planned.problems).toEqual([]);
    planned.plan!.fleets = await withTargetGroups({
      provider: new Ec2RolloutProvider(clients),
      fleets: planned.plan!.fleets,
      targetGroups: parsed.targetGroups?.production ?? [],
    });
    const store = DatabaseRolloutStore.create({ knex });
    let clock = Date.now();
    const engine = new RolloutEngine({
      // The emulators show what they launch at once.
      launchVisibilityMs: 0,
      store,
      provider: new Ec2RolloutProvider(clients),
      logger: mockServices.logger.mock(),
      syncEntity: ref => sync.run(ref),
      now: () => clock,
      probe,
    });
    const rollout = await store.create({
      rollout: {
        id: `00000000-0000-4000-8000-${String(
          Date.now() * 10 + (rollouts++ % 10),
        ).slice(-12)}`,
        entityRef,
        environment: 'production',
        family: name,
        toVersion: `${name}@2`,
        movesChannel: false,
        strategy: planned.plan!.strategy,
        state: 'pending',
        currentStep: 0,
        promoted: false,
        createdBy: 'user:default/ada',
        plan: {
          ...planned.plan!,
          selector: parsed.fleetSelector,
          environmentTag: 'environment',
        },
      },
      events: [],
      audit: [],
    });
    const tickUntil = async (
      done: (state: string) => boolean,
      observe?: () => Promise<void>,
    ) => {
      for (let i = 0; i < 30; i++) {
        await engine.tick();
        await observe?.();
        const current = (await store.get(rollout.id))!;
        if (done(current.state) && !current.active) {
          return current;
        }
      }
      throw new Error(
        `rollout did not end: ${JSON.stringify(
          await store.getView(rollout.id),
        )}`,
      );
    };
    return {
      knex,
      store,
      rollout,
      tickUntil,
      fleet,
      entityRef,
      advance: (ms: number) => {
        clock += ms;
      },
    };
  }

  async function running(filters: { Name: string; Values: string[] }[]) {
    const answer = await fixtures.ec2.send(
      new DescribeInstancesCommand({
        Filters: [
          ...filters,
          { Name: 'instance-state-name', Values: ['pending', 'running'] },
        ],
      }),
    );
    return (answer.Reservations ?? []).flatMap(r => r.Instances ?? []);
  }

  async function groupBehindTargetGroup(name: string, capacity: number) {
    const template = await fixtures.launchTemplate(`${name}-lt`, [oldAmi]);
    await fixtures.groupBehindTargetGroup(elb, {
      name: `${name}-prod`,
      templateId: template,
      capacity,
      tags: { app: name, environment: 'production' },
      region,
    });
    return template;
  }

  it('rolls a canary through an Auto Scaling group behind a target group, never below its capacity, and pins the group to the new version', async () => {
    const template = await groupBehindTargetGroup('shop', 3);
    const { tickUntil, fleet, entityRef, knex, rollout } = await setup('shop', {
      'immutable-infra.io/fleet-selector': 'app=shop',
      'immutable-infra.io/autoscaling-group': 'production=shop-prod',
    });
    const seen: number[] = [];
    const done = await tickUntil(
      state => state === 'succeeded',
      async () => {
        seen.push(
          (await running([{ Name: 'tag:app', Values: ['shop'] }])).length,
        );
      },
    );
    expect(done.state).toBe('succeeded');
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(3);
    expect(Math.max(...seen)).toBeLessThanOrEqual(4);
    const instances = await running([{ Name: 'tag:app', Values: ['shop'] }]);
    expect(instances.map(i => i.ImageId)).toEqual([newAmi, newAmi, newAmi]);

    const group = (
      await fixtures.autoscaling.send(
        new DescribeAutoScalingGroupsCommand({
          AutoScalingGroupNames: ['shop-prod'],
        }),
      )
    ).AutoScalingGroups![0];
    expect(group.LaunchTemplate?.Version).toBe('2');
    expect([group.MinSize, group.MaxSize]).toEqual([3, 3]);
    // The old instances went by a lower desired capacity (the new ones
    // protected from that scale-in meanwhile), not one by one.
    const actions = (
      await knex('rollout_steps').where({ rollout_id: rollout.id })
    ).map(a => a.action);
    expect(actions).toContain('scale-in');
    expect(actions).not.toContain('terminate');
    expect(group.NewInstancesProtectedFromScaleIn).toBe(false);
    expect(group.Instances!.map(i => i.ProtectedFromScaleIn)).toEqual([
      false,
      false,
      false,
    ]);
    expect(group.Tags?.some(t => t.Key === ROLLOUT_ID_TAG)).toBe(false);
    const defaults = await fixtures.ec2.send(
      new DescribeLaunchTemplateVersionsCommand({
        LaunchTemplateId: template,
        Versions: ['$Default'],
      }),
    );
    expect(defaults.LaunchTemplateVersions![0]).toMatchObject({
      VersionNumber: 2,
      LaunchTemplateData: expect.objectContaining({ ImageId: newAmi }),
    });
    // The sync after it sees the fleet on the new version.
    const inventory = await fleet.getInventory(entityRef);
    expect(inventory.autoscalingGroups[0].group?.launchTemplate).toMatchObject({
      version: '2',
      imageId: newAmi,
    });
  });

  /** Production instances in no group, launched from the template. */
  function standalone(name: string, template: string, count: number) {
    return fixtures.fromTemplate(template, count, {
      app: name,
      environment: 'production',
    });
  }

  it('replaces standalone instances from the launch template, each tagged with the rollout', async () => {
    const template = await fixtures.launchTemplate('api', [oldAmi]);
    await standalone('api', template, 2);
    const { tickUntil, rollout } = await setup('api', {
      'immutable-infra.io/fleet-selector': 'app=api',
      'immutable-infra.io/launch-template': 'api',
    });
    const done = await tickUntil(state => state === 'succeeded');
    expect(done.state).toBe('succeeded');
    const instances = await running([{ Name: 'tag:app', Values: ['api'] }]);
    expect(instances.map(i => i.ImageId)).toEqual([newAmi, newAmi]);
    for (const instance of instances) {
      expect(instance.Tags).toEqual(
        expect.arrayContaining([
          { Key: ROLLOUT_ID_TAG, Value: rollout.id },
          { Key: 'environment', Value: 'production' },
        ]),
      );
    }
  });

  it('replaces standalone instances behind the target group the annotation names: the new registered and healthy before the old leave it', async () => {
    const template = await fixtures.launchTemplate('web', [oldAmi]);
    const launched = await standalone('web', template, 2);
    const old = launched.Instances!.map(i => i.InstanceId!);
    const vpc = (await fixtures.ec2.send(new DescribeVpcsCommand({}))).Vpcs![0]
      .VpcId;
    const { TargetGroups } = await elb.send(
      new CreateTargetGroupCommand({
        Name: 'web-blue',
        Protocol: 'HTTP',
        Port: 8080,
        VpcId: vpc,
      }),
    );
    const arn = TargetGroups![0].TargetGroupArn!;
    await elb.send(
      new RegisterTargetsCommand({
        TargetGroupArn: arn,
        Targets: old.map(Id => ({ Id })),
      }),
    );
    const targets = async () =>
      (
        await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }))
      ).TargetHealthDescriptions!.map(d => ({
        id: d.Target!.Id!,
        state: d.TargetHealth?.State,
      }));
    const { tickUntil, rollout } = await setup('web', {
      'immutable-infra.io/fleet-selector': 'app=web',
      'immutable-infra.io/launch-template': 'web',
      'immutable-infra.io/target-groups': 'production=web-blue',
    });
    expect(rollout.plan.fleets[0].targetGroupArns).toEqual([arn]);

    // At every tick the load balancer has two healthy targets at least:
    // an old instance leaves the target group only once its twin serves.
    const healthy: number[] = [];
    const done = await tickUntil(
      state => state === 'succeeded',
      async () => {
        healthy.push(
          (await targets()).filter(t => t.state === 'healthy').length,
        );
      },
    );

    expect(done.state).toBe('succeeded');
    expect(Math.min(...healthy)).toBeGreaterThanOrEqual(2);
    const live = await running([{ Name: 'tag:app', Values: ['web'] }]);
    expect(live.map(i => i.ImageId)).toEqual([newAmi, newAmi]);
    expect((await targets()).sort((a, b) => a.id.localeCompare(b.id))).toEqual(
      live
        .map(i => ({ id: i.InstanceId!, state: 'healthy' }))
        .sort((a, b) => a.id.localeCompare(b.id)),
    );
  });

  it('refuses a plan whose annotation names a target group that does not exist', async () => {
    const clients = AwsClientFactory.fromConfig(
      new ConfigReader(emulatorConfig(moto.endpoint)),
    );
    await expect(
      withTargetGroups({
        provider: new Ec2RolloutProvider(clients),
        fleets: [
          {
            key: `instances:${region}`,
            kind: 'instances',
            region,
            name: `production instances in ${region}`,
            targetImageId: newAmi,
            oldInstanceIds: [],
            targetGroupArns: [],
            capacity: 1,
            maxSurge: 1,
            minHealthy: 1,
          } as any,
        ],
        targetGroups: ['no-such-group'],
      }),
    ).rejects.toThrow(
      `immutable-infra.io/target-groups names no-such-group, which does not exist in ${region}`,
    );
  });

  it('holds new instances at the gate while the HTTP probe fails, and goes on once it answers 2xx', async () => {
    let status = 503;
    const asked: string[] = [];
    const server = createServer((request, response) => {
      asked.push(request.url!);
      response.writeHead(status).end();
    });
    await new Promise<void>(done => server.listen(0, '127.0.0.1', done));
    const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const template = await fixtures.launchTemplate('probed', [oldAmi]);
      await standalone('probed', template, 1);
      const { tickUntil, store, rollout } = await setup(
        'probed',
        {
          'immutable-infra.io/fleet-selector': 'app=probed',
          'immutable-infra.io/launch-template': 'probed',
          'immutable-infra.io/rollout-probe': `http://${host}/healthz/{instanceId}`,
        },
        undefined,
        { allowedHosts: [host] },
      );
      await expect(tickUntil(state => state === 'succeeded')).rejects.toThrow(
        /HTTP probe http:\/\/127\.0\.0\.1:\d+\/healthz\/i-\w+: answered 503/,
      );
      expect((await store.get(rollout.id))!.state).toBe('running');
      const old = await running([{ Name: 'tag:app', Values: ['probed'] }]);
      expect(old.map(i => i.ImageId).sort()).toEqual([newAmi, oldAmi].sort());

      status = 200;
      const done = await tickUntil(state => state === 'succeeded');
      expect(done.state).toBe('succeeded');
      const live = await running([{ Name: 'tag:app', Values: ['probed'] }]);
      expect(live.map(i => i.ImageId)).toEqual([newAmi]);
      expect(asked).toContain(`/healthz/${live[0].InstanceId}`);
    } finally {
      server.close();
    }
  });

  it('replace-drifted in an Auto Scaling group: only the drifted instance gets a twin from the channel image, one by one (scale-in could choose another), the others stay', async () => {
    await groupBehindTargetGroup('feed', 3);
    const before = (await running([{ Name: 'tag:app', Values: ['feed'] }]))
      .map(i => i.InstanceId!)
      .sort();
    const [drifted, ...kept] = before;
    const { tickUntil, knex, rollout } = await setup(
      'feed',
      {
        'immutable-infra.io/fleet-selector': 'app=feed',
        'immutable-infra.io/autoscaling-group': 'production=feed-prod',
      },
      { strategy: 'replaceDrifted' },
      undefined,
      { image: oldAmi, drifted: [drifted] },
    );
    const seen: number[] = [];
    const done = await tickUntil(
      state => state === 'succeeded',
      async () => {
        seen.push(
          (await running([{ Name: 'tag:app', Values: ['feed'] }])).length,
        );
      },
    );
    expect(done.state).toBe('succeeded');
    const after = await running([{ Name: 'tag:app', Values: ['feed'] }]);
    const ids = after.map(i => i.InstanceId!);
    expect(ids).not.toContain(drifted);
    expect(ids).toEqual(expect.arrayContaining(kept));
    expect(after).toHaveLength(3);
    expect(after.map(i => i.ImageId)).toEqual([oldAmi, oldAmi, oldAmi]);
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(3);
    const steps = await knex('rollout_steps').where({
      rollout_id: rollout.id,
    });
    expect(
      steps.filter(a => a.action === 'terminate').map(a => a.detail),
    ).toEqual([JSON.stringify({ instanceIds: [drifted] })]);
    expect(steps.map(a => a.action)).not.toContain('scale-in');
  });

  it('rolls back: a fast rollback to the version before, in one wave, the template defaulting to it again', async () => {
    const template = await fixtures.launchTemplate('ledger', [oldAmi]);
    await standalone('ledger', template, 2);
    const annotations = {
      'immutable-infra.io/fleet-selector': 'app=ledger',
      'immutable-infra.io/launch-template': 'ledger',
    };
    const forward = await setup('ledger', annotations);
    expect((await forward.tickUntil(s => s === 'succeeded')).state).toBe(
      'succeeded',
    );
    const onNew = await running([{ Name: 'tag:app', Values: ['ledger'] }]);
    expect(onNew.map(i => i.ImageId)).toEqual([newAmi, newAmi]);

    const back = await setup(
      'ledger',
      annotations,
      { strategy: 'rollback', fast: true },
      undefined,
      { image: oldAmi },
    );
    expect(
      (await back.store.getView(back.rollout.id))!.steps.map(s => s.kind),
    ).toEqual(['setWeight']);
    expect((await back.tickUntil(s => s === 'succeeded')).state).toBe(
      'succeeded',
    );
    const after = await running([{ Name: 'tag:app', Values: ['ledger'] }]);
    expect(after.map(i => i.ImageId)).toEqual([oldAmi, oldAmi]);
    expect(after.map(i => i.InstanceId)).not.toEqual(
      expect.arrayContaining(onNew.map(i => i.InstanceId)),
    );
    const defaults = await fixtures.ec2.send(
      new DescribeLaunchTemplateVersionsCommand({
        LaunchTemplateId: template,
        Versions: ['$Default'],
      }),
    );
    expect(defaults.LaunchTemplateVersions![0]).toMatchObject({
      VersionNumber: 3,
      LaunchTemplateData: expect.objectContaining({ ImageId: oldAmi }),
    });
  });

  it('fails when a new instance does not pass (stopped), says which, and keeps the old capacity', async () => {
    await groupBehindTargetGroup('cart', 2);
    const { tickUntil, store, rollout, advance } = await setup('cart', {
      'immutable-infra.io/fleet-selector': 'app=cart',
      'immutable-infra.io/autoscaling-group': 'production=cart-prod',
    });
    let stopped: string | undefined;
    const done = await tickUntil(
      state => state === 'failed',
      async () => {
        const fresh = (
          await running([{ Name: 'tag:app', Values: ['cart'] }])
        ).filter(i => i.ImageId === newAmi);
        if (!stopped && fresh.length > 0) {
          stopped = fresh[0].InstanceId!;
          await fixtures.ec2.send(
            new StopInstancesCommand({ InstanceIds: [stopped] }),
          );
        }
        if (stopped) {
          advance(60_000);
        }
      },
    );
    expect(done.reason).toContain(stopped);
    expect(done.reason).toContain('passed its progress deadline');
    const view = (await store.getView(rollout.id))!;
    expect(view.events.map(e => e.kind)).toContain('cleaned-up');
    const left = await running([{ Name: 'tag:app', Values: ['cart'] }]);
    expect(left.filter(i => i.ImageId === oldAmi)).toHaveLength(2);
    const group = (
      await fixtures.autoscaling.send(
        new DescribeAutoScalingGroupsCommand({
          AutoScalingGroupNames: ['cart-prod'],
        }),
      )
    ).AutoScalingGroups![0];
    expect(group.LaunchTemplate?.Version).toBe('1');
  });

  async function targetsOf(group: string) {
    const arn = (
      await fixtures.autoscaling.send(
        new DescribeAutoScalingGroupsCommand({
          AutoScalingGroupNames: [group],
        }),
      )
    ).AutoScalingGroups![0].TargetGroupARNs![0];
    const health = await elb.send(
      new DescribeTargetHealthCommand({ TargetGroupArn: arn }),
    );
    return (health.TargetHealthDescriptions ?? [])
      .map(d => d.Target!.Id!)
      .sort();
  }

  it('blue-green: green launched beside blue, blue out of the target group at the switch, then terminated', async () => {
    await groupBehindTargetGroup('basket', 2);
    const blue = (await running([{ Name: 'tag:app', Values: ['basket'] }]))
      .map(i => i.InstanceId!)
      .sort();
    const { tickUntil, store, rollout, advance } = await setup(
      'basket',
      {
        'immutable-infra.io/fleet-selector': 'app=basket',
        'immutable-infra.io/autoscaling-group': 'production=basket-prod',
      },
      {
        strategy: 'blueGreen',
        blueGreen: { autoPromote: true, scaleDownDelay: '1m' },
      },
    );
    let switched: string[] | undefined;
    let runningAtSwitch = 0;
    const seen: number[] = [];
    const done = await tickUntil(
      state => state === 'succeeded',
      async () => {
        const current = (await store.get(rollout.id))!;
        const step = current.plan.steps[current.currentStep];
        seen.push(
          (await running([{ Name: 'tag:app', Values: ['basket'] }])).length,
        );
        if (step?.kind === 'pause' && !switched) {
          // Blue still runs, out of the target group: green serves alone.
          switched = await targetsOf('basket-prod');
          runningAtSwitch = (
            await running([{ Name: 'tag:app', Values: ['basket'] }])
          ).length;
          advance(61_000);
        }
      },
    );
    expect(done.state).toBe('succeeded');
    const green = (await running([{ Name: 'tag:app', Values: ['basket'] }]))
      .map(i => i.InstanceId!)
      .sort();
    expect(switched).toEqual(green);
    expect(runningAtSwitch).toBe(4);
    expect(green.some(id => blue.includes(id))).toBe(false);
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(2);
    expect(Math.max(...seen)).toBeLessThanOrEqual(4);
  });

  it('an alarm set to ALARM aborts the rollout automatically and names it', async () => {
    await groupBehindTargetGroup('pay', 2);
    const cloudwatch = new CloudWatchClient({
      region,
      endpoint: moto.endpoint,
      maxAttempts: 1,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    await cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: 'pay-5xx',
        MetricName: 'HTTPCode_Target_5XX_Count',
        Namespace: 'AWS/ApplicationELB',
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 5,
        ComparisonOperator: 'GreaterThanThreshold',
      }),
    );
    await cloudwatch.send(
      new SetAlarmStateCommand({
        AlarmName: 'pay-5xx',
        StateValue: 'OK',
        StateReason: 'quiet',
      }),
    );
    const { tickUntil, store, rollout } = await setup(
      'pay',
      {
        'immutable-infra.io/fleet-selector': 'app=pay',
        'immutable-infra.io/autoscaling-group': 'production=pay-prod',
        'immutable-infra.io/rollout-alarms': 'pay-5xx',
      },
      {
        strategy: 'canary',
        steps: [{ setWeight: 50 }, { pause: {} }, { setWeight: 100 }],
      },
    );
    const done = await tickUntil(
      state => state === 'aborted',
      async () => {
        const current = (await store.get(rollout.id))!;
        if (current.currentStep === 1) {
          await cloudwatch.send(
            new SetAlarmStateCommand({
              AlarmName: 'pay-5xx',
              StateValue: 'ALARM',
              StateReason: 'Threshold Crossed: 12 errors',
            }),
          );
        }
      },
    );
    expect(done.reason).toBe(
      'aborted automatically: alarm pay-5xx is in ALARM: Threshold Crossed: 12 errors',
    );
    const group = (
      await fixtures.autoscaling.send(
        new DescribeAutoScalingGroupsCommand({
          AutoScalingGroupNames: ['pay-prod'],
        }),
      )
    ).AutoScalingGroups![0];
    expect(group.LaunchTemplate?.Version).toBe('1');
    expect(
      (await running([{ Name: 'tag:app', Values: ['pay'] }])).length,
    ).toBeGreaterThanOrEqual(2);
  });
});
