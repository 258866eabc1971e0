import {
  DescribeAutoScalingGroupsCommand,
  SetDesiredCapacityCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  DescribeInstancesCommand,
  DescribeLaunchTemplateVersionsCommand,
} from '@aws-sdk/client-ec2';
import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  parseImmutableInfraAnnotations,
  RolloutSpec,
} from '@immutable-infra/backstage-plugin-common';
import Knex from 'knex';
import { randomUUID } from 'node:crypto';
import { Ec2Fixtures, emulatorClients } from '../__testUtils__/ec2Fixtures';
import { migrateForTests } from '../__testUtils__/migrate';
import { emulatorConfig, MotoServer, startMoto } from '../__testUtils__/moto';
import { DatabaseEntitySnapshotStore } from '../catalog/EntitySnapshotStore';
import { DatabaseFleetStore } from '../fleet/DatabaseFleetStore';
import { FleetSync } from '../fleet/FleetSync';
import { AwsClientFactory } from '../providers/aws/AwsClientFactory';
import { Ec2FleetProvider } from '../providers/aws/Ec2FleetProvider';
import { Ec2RolloutProvider } from '../providers/aws/Ec2RolloutProvider';
import { RolloutProvider } from '../providers/RolloutProvider';
import { DatabaseRolloutStore } from './DatabaseRolloutStore';
import { planRollout } from './plan';
import { RolloutEngine } from './RolloutEngine';
import { RolloutRecord } from './RolloutStore';
import {
  withDeregistrationDelays,
  withPreviewTargetGroups,
  withTargetGroups,
} from './targetGroups';

/*
 * The rollout engine's safety on the EC2 emulator, with the real
 * Ec2RolloutProvider and the real engine: a group that a scaling policy
 * grows during a canary's pause is followed and never cut back; a
 * blue-green's green waits in its preview target group and takes no
 * production traffic before the switch; an abort after the switch has
 * blue serving again before green goes.
 *
 * It runs on the emulator scripts/test starts
 * (IMMUTABLE_INFRA_TEST_EC2_ENDPOINT), shared with other test files (every
 * name here is unique to its test; nothing resets the emulator), else on a
 * moto server of its own: with no moto at all the file fails, naming what
 * to install.
 */

jest.setTimeout(180_000);

const region = 'us-east-1';

describe('rollout safety on the EC2 emulator', () => {
  let moto: MotoServer | undefined;
  let endpoint: string;
  let fixtures: Ec2Fixtures;
  let elb: ElasticLoadBalancingV2Client;
  let oldAmi: string;
  let newAmi: string;

  beforeAll(async () => {
    endpoint = process.env.IMMUTABLE_INFRA_TEST_EC2_ENDPOINT ?? '';
    if (!endpoint) {
      moto = await startMoto();
      endpoint = moto.endpoint;
    }
    const clients = emulatorClients(endpoint, region);
    fixtures = new Ec2Fixtures(clients.ec2, clients.autoscaling);
    elb = clients.elb;
    oldAmi = await fixtures.image();
    newAmi = await fixtures.image();
  });

  /** Each test's database, closed after it. */
  const databases: Knex.Knex[] = [];

  afterEach(async () => {
    await Promise.all(databases.splice(0).map(db => db.destroy()));
  });

  afterAll(async () => {
    await moto?.stop();
  });

  /** A name no other test on the shared emulator uses (at most 20 characters). */
  let names = 0;
  const unique = (base: string) =>
    `${base}-${Date.now().toString(36)}${(names++).toString(36)}`;

  /**
   * The rollout of an entity's production fleet, planned as the planner
   * plans it (the last sync's fleets, then their target groups, preview
   * target groups and deregistration delays read from AWS), run by the
   * real engine on the real provider. `beforeCall` runs before each call
   * the engine makes to the provider.
   */
  async function setup(options: {
    name: string;
    annotations: Record<string, string>;
    spec: RolloutSpec;
    beforeCall?: (method: string, args: any[]) => Promise<void>;
  }) {
    const { name, annotations, spec } = options;
    const knex = Knex({
      client: 'better-sqlite3',
      connection: ':memory:',
      useNullAsDefault: true,
    });
    databases.push(knex);
    await migrateForTests(knex);
    const clients = AwsClientFactory.fromConfig(
      new ConfigReader(emulatorConfig(endpoint)),
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
    const real = new Ec2RolloutProvider(clients);
    const input = {
      environment: 'production',
      annotations: parsed,
      inventory: await fleet.getInventory(entityRef),
      targetImages: new Map([[region, newAmi]]),
      spec,
    };
    const first = planRollout(input);
    expect(first.problems).toEqual([]);
    const withTargets = await withTargetGroups({
      provider: real,
      fleets: first.plan!.fleets,
      targetGroups: parsed.targetGroups?.production ?? [],
    });
    const previewed = await withPreviewTargetGroups({
      provider: real,
      fleets: withTargets,
      previewTargetGroups: parsed.previewTargetGroups?.production ?? [],
    });
    expect(previewed.problems).toEqual([]);
    const planned = planRollout({
      ...input,
      fleets: await withDeregistrationDelays({
        provider: real,
        fleets: previewed.fleets,
      }),
    });
    expect(planned.problems).toEqual([]);

    // The real provider, each call announced before it is made.
    const provider = new Proxy(real, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') {
          return value;
        }
        return async (...args: any[]) => {
          await options.beforeCall?.(String(property), args);
          return value.apply(target, args);
        };
      },
    }) as RolloutProvider;

    const store = DatabaseRolloutStore.create({ knex });
    let clock = Date.now();
    const engine = new RolloutEngine({
      // The emulator shows what it launches at once.
      launchVisibilityMs: 0,
      store,
      provider,
      logger: mockServices.logger.mock(),
      syncEntity: ref => sync.run(ref),
      now: () => clock,
    });
    const rollout = await store.create({
      rollout: {
        id: randomUUID(),
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

    /**
     * Ticks the engine until the rollout ends in a state `done` accepts and
     * is released; `afterTick` sees the rollout after each tick.
     */
    const tickUntil = async (
      done: (state: string) => boolean,
      afterTick?: (current: RolloutRecord) => Promise<void>,
    ) => {
      for (let i = 0; i < 40; i++) {
        await engine.tick();
        const current = (await store.get(rollout.id))!;
        await afterTick?.(current);
        if (done(current.state) && !current.active) {
          return (await store.get(rollout.id))!;
        }
      }
      throw new Error(
        `rollout did not end: ${JSON.stringify(
          await store.getView(rollout.id),
        )}`,
      );
    };

    /** Ends the pause the rollout is at, as a promote of that step does. */
    const promote = async (current: RolloutRecord) => {
      expect(
        await store.update(
          rollout.id,
          current.revision,
          { promoted: true },
          { currentStep: current.currentStep },
        ),
      ).toBe(true);
    };

    return {
      store,
      rollout,
      tickUntil,
      promote,
      advance: (ms: number) => {
        clock += ms;
      },
    };
  }

  async function group(name: string) {
    return (
      await fixtures.autoscaling.send(
        new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }),
      )
    ).AutoScalingGroups![0];
  }

  async function instances(ids: string[]) {
    if (ids.length === 0) {
      return [];
    }
    const answer = await fixtures.ec2.send(
      new DescribeInstancesCommand({ InstanceIds: ids }),
    );
    return (answer.Reservations ?? []).flatMap(r => r.Instances ?? []);
  }

  /** The fleet's running (or starting) instances, by its tag. */
  async function running(app: string) {
    const answer = await fixtures.ec2.send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: 'tag:app', Values: [app] },
          { Name: 'instance-state-name', Values: ['pending', 'running'] },
        ],
      }),
    );
    return (answer.Reservations ?? []).flatMap(r => r.Instances ?? []);
  }

  /** The targets registered in a target group, each with its health state. */
  async function targets(arn: string): Promise<Map<string, string>> {
    const answer = await elb.send(
      new DescribeTargetHealthCommand({ TargetGroupArn: arn }),
    );
    return new Map(
      (answer.TargetHealthDescriptions ?? []).map(d => [
        d.Target!.Id!,
        d.TargetHealth?.State ?? '',
      ]),
    );
  }

  const sorted = (ids: Iterable<string>) => [...ids].sort();

  it('canary: a group a scaling policy grows during the pause is followed, never cut back, and ends all on the new version at the grown capacity', async () => {
    const name = unique('grow');
    const template = await fixtures.launchTemplate(name, [oldAmi]);
    await fixtures.groupBehindTargetGroup(elb, {
      name,
      templateId: template,
      capacity: 2,
      minSize: 2,
      maxSize: 6,
      tags: { app: name, environment: 'production' },
      region,
      deregistrationDelaySeconds: 1,
    });
    const { tickUntil, promote, store, rollout } = await setup({
      name,
      annotations: {
        'immutable-infra.io/fleet-selector': `app=${name}`,
        'immutable-infra.io/autoscaling-group': `production=${name}`,
      },
      spec: {
        strategy: 'canary',
        steps: [{ setWeight: 50 }, { pause: {} }, { setWeight: 100 }],
        progressDeadline: '2m',
      },
    });
    expect(rollout.plan.fleets[0].capacity).toBe(2);

    // The group at every tick: its desired capacity and what is in service.
    const samples: {
      raised: boolean;
      desired: number;
      inService: number;
      step: number;
    }[] = [];
    let raised = false;
    let promoted = false;
    const done = await tickUntil(
      state => state === 'succeeded',
      async current => {
        const now = await group(name);
        samples.push({
          raised,
          desired: now.DesiredCapacity!,
          inService: (now.Instances ?? []).filter(
            i => i.LifecycleState === 'InService',
          ).length,
          step: current.currentStep,
        });
        if (current.state !== 'running' || current.currentStep !== 1) {
          return;
        }
        if (!raised) {
          // A scaling policy (someone else) takes the group to 5 during the
          // pause; the group launches from the template version it names:
          // https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-scaling-manually.html
          await fixtures.autoscaling.send(
            new SetDesiredCapacityCommand({
              AutoScalingGroupName: name,
              DesiredCapacity: 5,
            }),
          );
          raised = true;
        } else if (!promoted) {
          // One tick of the pause with the group grown, then the promote.
          await promote(current);
          promoted = true;
        }
      },
    );

    expect(done.state).toBe('succeeded');
    expect(raised).toBe(true);
    // Before the raise the group kept its 2 in service, after it its 5:
    // at no tick did the rollout lower what the group wants.
    const before = samples.filter(s => !s.raised);
    const after = samples.filter(s => s.raised);
    expect(before.length).toBeGreaterThan(0);
    expect(after.length).toBeGreaterThan(2);
    expect(Math.min(...before.map(s => s.inService))).toBeGreaterThanOrEqual(2);
    expect(Math.min(...after.map(s => s.desired))).toBeGreaterThanOrEqual(5);
    expect(Math.min(...after.map(s => s.inService))).toBeGreaterThanOrEqual(5);

    const end = await group(name);
    expect(end.DesiredCapacity).toBe(5);
    expect([end.MinSize, end.MaxSize]).toEqual([2, 6]);
    expect(end.LaunchTemplate?.Version).toBe(
      String(done.plan.fleets[0].newTemplateVersion),
    );
    const members = await instances(end.Instances!.map(i => i.InstanceId!));
    expect(members).toHaveLength(5);
    expect(members.map(i => i.ImageId)).toEqual(Array(5).fill(newAmi));
    expect(members.map(i => i.State?.Name)).toEqual(Array(5).fill('running'));
    expect(end.Instances!.map(i => i.ProtectedFromScaleIn)).toEqual(
      Array(5).fill(false),
    );
    expect(sorted((await running(name)).map(i => i.InstanceId!))).toEqual(
      sorted(members.map(i => i.InstanceId!)),
    );
    // The timeline says the group's own scaling moved it, and to what.
    const view = (await store.getView(rollout.id))!;
    expect(view.events.map(e => e.message)).toContainEqual(
      expect.stringContaining('moved its capacity from 2 to 5'),
    );
  });

  /**
   * Two standalone production instances (blue) from a launch template,
   * registered in a production target group; a preview target group beside
   * it. Both drain for 1 s (AWS's default is 300 s).
   */
  async function blueBehindTargetGroups(name: string) {
    const template = await fixtures.launchTemplate(name, [oldAmi]);
    const launched = await fixtures.fromTemplate(template, 2, {
      app: name,
      environment: 'production',
    });
    const blue = sorted(launched.Instances!.map(i => i.InstanceId!));
    const production = await fixtures.targetGroup(elb, {
      name: `${name}-prod`,
      deregistrationDelaySeconds: 1,
    });
    const preview = await fixtures.targetGroup(elb, {
      name: `${name}-pre`,
      deregistrationDelaySeconds: 1,
    });
    await elb.send(
      new RegisterTargetsCommand({
        TargetGroupArn: production,
        Targets: blue.map(Id => ({ Id })),
      }),
    );
    return {
      template,
      blue,
      production,
      preview,
      annotations: {
        'immutable-infra.io/fleet-selector': `app=${name}`,
        'immutable-infra.io/launch-template': name,
        'immutable-infra.io/target-groups': `production=${name}-prod`,
        'immutable-infra.io/preview-target-groups': `production=${name}-pre`,
      },
    };
  }

  const blueGreenSpec: RolloutSpec = {
    strategy: 'blueGreen',
    blueGreen: { autoPromote: false, scaleDownDelay: '1m' },
    progressDeadline: '2m',
  };

  it('blue-green with a preview target group: green waits there and takes no production traffic before the switch; it ends healthy in production, blue terminated', async () => {
    const name = unique('bgp');
    const { blue, production, preview, annotations } =
      await blueBehindTargetGroups(name);

    // Every registration in the production target group, and the step the
    // rollout was at when the engine asked for it.
    const registrations: { ids: string[]; step: number; switched: boolean }[] =
      [];
    let current: RolloutRecord | undefined;
    const { tickUntil, promote, rollout, advance } = await setup({
      name,
      annotations,
      spec: blueGreenSpec,
      beforeCall: async (method, [call]) => {
        if (
          method === 'setTargetMembership' &&
          call.registered &&
          call.targetGroupArns.includes(production)
        ) {
          registrations.push({
            ids: call.instanceIds,
            step: current!.currentStep,
            switched: !!current!.plan.switched,
          });
        }
      },
    });
    const [fleet] = rollout.plan.fleets;
    expect(fleet.previewTargetGroupArns).toEqual([preview]);
    expect(fleet.targetGroupArns).toEqual([production]);
    expect(fleet.deregistrationDelayMs).toBe(1000);
    const kinds = rollout.plan.steps.map(s => s.kind);
    const switchStep = kinds.indexOf('switch');
    expect(kinds.slice(0, switchStep + 1)).toEqual([
      'setWeight',
      'pause',
      'switch',
    ]);

    // Both target groups at every tick, with the step the rollout is at.
    const samples: {
      step: number;
      switched: boolean;
      production: Map<string, string>;
      preview: Map<string, string>;
    }[] = [];
    let promoted = false;
    current = rollout;
    const done = await tickUntil(
      state => state === 'succeeded',
      async now => {
        current = now;
        const sample = {
          step: now.currentStep,
          switched: !!now.plan.switched,
          production: await targets(production),
          preview: await targets(preview),
        };
        samples.push(sample);
        const step = now.plan.steps[now.currentStep];
        if (now.state !== 'running' || step?.kind !== 'pause') {
          return;
        }
        if (step.durationMs === undefined && !promoted) {
          // Green waits for the promote, healthy in the preview group only.
          await promote(now);
          promoted = true;
        } else if (step.durationMs !== undefined) {
          advance(step.durationMs + 1000);
        }
      },
    );
    expect(done.state).toBe('succeeded');

    const green = sorted((await running(name)).map(i => i.InstanceId!));
    expect(green).toHaveLength(2);
    expect(green.some(id => blue.includes(id))).toBe(false);
    expect((await instances(green)).map(i => i.ImageId)).toEqual([
      newAmi,
      newAmi,
    ]);

    // Before the switch, production held blue only, healthy, at every tick;
    // and green was seen healthy in the preview group.
    const beforeSwitch = samples.filter(s => !s.switched);
    expect(beforeSwitch.length).toBeGreaterThan(1);
    for (const sample of beforeSwitch) {
      expect(sample.step).toBeLessThanOrEqual(switchStep);
      expect(sorted(sample.production.keys())).toEqual(blue);
      expect([...sample.production.values()]).toEqual(['healthy', 'healthy']);
    }
    expect(
      beforeSwitch.some(
        s =>
          sorted(s.preview.keys()).join() === green.join() &&
          [...s.preview.values()].every(state => state === 'healthy'),
      ),
    ).toBe(true);
    // Green was registered in production only by the switch step.
    const greenRegistrations = registrations.filter(r =>
      r.ids.some(id => green.includes(id)),
    );
    expect(greenRegistrations.length).toBeGreaterThan(0);
    for (const registration of greenRegistrations) {
      expect(registration.step).toBe(switchStep);
      expect(registration.switched).toBe(false);
    }
    // Right after the switch, production is green alone, healthy.
    const firstSwitched = samples.find(s => s.switched)!;
    expect(Object.fromEntries(firstSwitched.production)).toEqual(
      Object.fromEntries(green.map(id => [id, 'healthy'])),
    );

    // The end: green healthy in production, out of the preview group; blue
    // terminated.
    expect(Object.fromEntries(await targets(production))).toEqual(
      Object.fromEntries(green.map(id => [id, 'healthy'])),
    );
    expect((await targets(preview)).size).toBe(0);
    expect((await instances(blue)).map(i => i.State?.Name)).toEqual([
      'terminated',
      'terminated',
    ]);
  });

  it('blue-green aborted after the switch: blue serves again, registered and healthy in production, before any green instance is terminated; green is gone at the end', async () => {
    const name = unique('bga');
    const { template, blue, production, preview, annotations } =
      await blueBehindTargetGroups(name);

    // The production target group at each termination the engine asks for.
    const terminations: { ids: string[]; production: Map<string, string> }[] =
      [];
    const { tickUntil, promote, store, rollout } = await setup({
      name,
      annotations,
      spec: blueGreenSpec,
      beforeCall: async (method, [call]) => {
        if (method === 'terminateInstances' || method === 'terminateInGroup') {
          terminations.push({
            ids: call.instanceIds,
            production: await targets(production),
          });
        }
      },
    });

    let atAbort: Map<string, string> | undefined;
    let aborted = false;
    let promoted = false;
    const done = await tickUntil(
      state => state === 'aborted',
      async now => {
        const step = now.plan.steps[now.currentStep];
        if (now.state !== 'running') {
          return;
        }
        if (now.plan.switched) {
          // Switched: green serves production alone; the user aborts.
          atAbort = await targets(production);
          aborted = await store.update(rollout.id, now.revision, {
            state: 'aborted',
            reason: 'aborted by user:default/ada: errors after the switch',
            events: [
              {
                kind: 'abort',
                actor: 'user:default/ada',
                message: 'user:default/ada: abort',
              },
            ],
          });
        } else if (
          step?.kind === 'pause' &&
          step.durationMs === undefined &&
          !promoted
        ) {
          await promote(now);
          promoted = true;
        }
      },
    );
    expect(done.state).toBe('aborted');

    // At the abort green served alone: blue was out of production.
    expect(aborted).toBe(true);
    expect(atAbort).toBeDefined();
    const green = sorted([...atAbort!.keys()].filter(id => !blue.includes(id)));
    expect(green).toHaveLength(2);
    expect(sorted(atAbort!.keys())).toEqual(green);

    // Each termination of green came with blue registered and healthy in
    // production.
    const ofGreen = terminations.filter(t =>
      t.ids.some(id => green.includes(id)),
    );
    expect(ofGreen.length).toBeGreaterThan(0);
    for (const termination of ofGreen) {
      expect(termination.ids.some(id => blue.includes(id))).toBe(false);
      for (const id of blue) {
        expect([id, termination.production.get(id)]).toEqual([id, 'healthy']);
      }
    }

    // The end: blue alone in production, healthy and running; green
    // terminated, in no target group; the template's default as before.
    expect(Object.fromEntries(await targets(production))).toEqual(
      Object.fromEntries(blue.map(id => [id, 'healthy'])),
    );
    expect((await targets(preview)).size).toBe(0);
    expect(sorted((await running(name)).map(i => i.InstanceId!))).toEqual(blue);
    expect((await instances(green)).map(i => i.State?.Name).sort()).toEqual([
      'terminated',
      'terminated',
    ]);
    const defaults = await fixtures.ec2.send(
      new DescribeLaunchTemplateVersionsCommand({
        LaunchTemplateId: template,
        Versions: ['$Default'],
      }),
    );
    expect(defaults.LaunchTemplateVersions![0]).toMatchObject({
      VersionNumber: 1,
      LaunchTemplateData: expect.objectContaining({ ImageId: oldAmi }),
    });
    const view = (await store.getView(rollout.id))!;
    expect(view.events.map(e => e.message)).toContainEqual(
      expect.stringContaining(
        'old instances back in the target groups, healthy',
      ),
    );
  });
});
