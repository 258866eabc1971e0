import { mockServices } from '@backstage/backend-test-utils';
import { ROLLOUT_ID_TAG } from '@immutable-infra/backstage-plugin-common';
import { createTestDatabases } from '../__testUtils__/databases';
import { migrateForTests } from '../__testUtils__/migrate';
import { Inventory } from '../drift/types';
import { digestOf } from '../registry/manifest';
import { createRegistryStores } from '../registry/RegistryStores';
import { DatabaseRolloutStore } from './DatabaseRolloutStore';
import { FakeCloud } from './FakeCloud.testUtil';
import { planRollout } from './plan';
import { RolloutEngine } from './RolloutEngine';

jest.setTimeout(60_000);

const databases = createTestDatabases();
const ENTITY = 'component:default/web';
const annotations = {
  imageFamily: 'web',
  fleetSelector: [{ key: 'app', value: 'web' }],
  environments: ['staging', 'production'],
  stateful: false,
};

/** The inventory a sync of the fake cloud would write. */
function inventoryOf(cloud: FakeCloud): Inventory {
  return {
    instances: cloud.alive().map(i => ({
      entityRef: ENTITY,
      instanceId: i.instanceId,
      environment: i.tags.environment,
      region: 'us-east-1',
      imageId: i.imageId,
      state: 'running',
      asg: i.group,
      sshExposure: 'none',
      sshSources: [],
      firstSeenAt: '2026-01-01T00:00:00.000Z',
      lastSeenAt: '2026-01-01T00:00:00.000Z',
    })),
    launchTemplates: [
      {
        id: 'lt-web',
        name: 'web',
        region: 'us-east-1',
        defaultVersion: 1,
        imageId: 'ami-old',
      },
    ],
    autoscalingGroups: [...cloud.groups.entries()].map(([name, g]) => ({
      environment: 'production',
      name,
      region: 'us-east-1',
      group: {
        name,
        region: 'us-east-1',
        minSize: g.min,
        maxSize: g.max,
        desiredCapacity: g.desired,
        newInstancesProtectedFromScaleIn: g.protectNew,
        launchTemplate: {
          id: g.template,
          name: 'web',
          version: String(g.version),
          resolvedVersion: g.version,
          imageId: 'ami-old',
        },
        instances: cloud
          .alive(i => i.group === name)
          .map(i => ({
            instanceId: i.instanceId,
            lifecycleState: 'InService',
          })),
        targetGroupArns: [
          'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/1',
        ],
      },
    })),
  };
}

describe.each(databases.eachSupportedId())('RolloutEngine on %p', id => {
  let clock: number;

  /** An engine beside the one of `setup` (a restart, another replica). */
  function anotherEngine(
    store: DatabaseRolloutStore,
    cloud: FakeCloud,
    concurrency?: number,
  ) {
    return new RolloutEngine({
      // The emulators show what they launch at once.
      launchVisibilityMs: 0,
      store,
      provider: cloud,
      logger: mockServices.logger.mock(),
      now: () => clock,
      concurrency,
    });
  }

  async function setup(options: {
    cloud: FakeCloud;
    steps?: object[];
    spec?: object;
    stateful?: boolean;
    movesChannel?: boolean;
    alarms?: string[];
    drifted?: string[];
    targetImage?: string;
  }) {
    const knex = await databases.init(id);
    await migrateForTests(knex);
    clock = Date.parse('2026-12-01T10:00:00Z');
    const store = DatabaseRolloutStore.create({ knex });
    const registry = createRegistryStores(knex);
    await registry.families.enrollFamily({
      name: 'web',
      entityRef: ENTITY,
      actor: 'user:default/ada',
    });
    for (const [version, imageId] of [
      [1, 'ami-old'],
      [2, options.targetImage ?? 'ami-new'],
    ] as const) {
      const build = {
        family: 'web',
        artifacts: [{ region: 'us-east-1', imageId }],
        gitCommit: `c0ffee${version}`,
        buildInputs: {},
        builtAt: new Date('2026-11-30T10:00:00Z'),
      };
      await registry.versions.registerVersion({
        build,
        digest: digestOf(build),
        source: 'registered',
        actor: 'user:default/ada',
      });
    }
    const synced: string[] = [];
    const engine = new RolloutEngine({
      // The emulators show what they launch at once.
      launchVisibilityMs: 0,
      store,
      provider: options.cloud,
      versionState: async (family, version) =>
        registry.versions.getVersion({ family, version }),
      logger: mockServices.logger.mock(),
      syncEntity: async ref => synced.push(ref),
      now: () => clock,
    });
    const planned = planRollout({
      environment: 'production',
      annotations: {
        ...annotations,
        stateful: options.stateful ?? false,
        rolloutAlarms: options.alarms,
      },
      inventory: inventoryOf(options.cloud),
      targetImages: new Map([['us-east-1', options.targetImage ?? 'ami-new']]),
      spec: (options.spec ??
        (options.steps
          ? { strategy: 'canary', steps: options.steps }
          : undefined)) as any,
      driftedInstanceIds: options.drifted && new Set(options.drifted),
    });
    expect(planned.problems).toEqual([]);
    const rollout = await store.create({
      rollout: {
        id: '00000000-0000-4000-8000-000000000001',
        entityRef: ENTITY,
        environment: 'production',
        family: 'web',
        toVersion: 'web@2',
        movesChannel: options.movesChannel ?? false,
        strategy: planned.plan!.strategy,
        state: 'pending',
        currentStep: 0,
        promoted: false,
        createdBy: 'user:default/ada',
        plan: {
          ...planned.plan!,
          selector: annotations.fleetSelector,
          environmentTag: 'environment',
        },
      },
      events: [],
      audit: [],
    });
    /** Healthy instances seen after each tick, per the plan's capacity. */
    const healthySeen: number[] = [];
    const tick = async (times = 1) => {
      for (let i = 0; i < times; i++) {
        await engine.tick();
        healthySeen.push(
          options.cloud.alive(x => !options.cloud.unhealthy.has(x.instanceId))
            .length,
        );
      }
      return (await store.get(rollout.id))!;
    };
    const promote = async () => {
      const current = (await store.get(rollout.id))!;
      expect(
        await store.update(current.id, current.revision, { promoted: true }),
      ).toBe(true);
    };
    return {
      knex,
      store,
      engine,
      rollout,
      tick,
      promote,
      healthySeen,
      registry,
      synced,
    };
  }

  it('takes an Auto Scaling group through a canary: weights, a pause until promoted, a timed pause, then pinned and defaulted to the new version', async () => {
    const cloud = new FakeCloud();
    cloud.template('lt-web', ['ami-old']);
    cloud.group('web-prod', 'lt-web', 1, 4, {
      app: 'web',
      environment: 'production',
    });
    const { tick, promote, healthySeen, store, rollout, synced } = await setup({
      cloud,
      steps: [
        { setWeight: 25 },
        { pause: {} },
        { setWeight: 50 },
        { pause: { duration: '5m' } },
        { setWeight: 100 },
      ],
    });

    let state = await tick(6);
    expect(state).toMatchObject({ state: 'running', currentStep: 1 });
    const onNew = () => cloud.alive(i => i.imageId === 'ami-new').length;
    expect([onNew(), cloud.alive().length]).toEqual([1, 4]);
    // Every instance the rollout's group launches carries its id.
    expect(
      cloud.alive(i => i.imageId === 'ami-new')[0].tags[ROLLOUT_ID_TAG],
    ).toBe(rollout.id);
    expect((await store.getView(rollout.id))!.awaitingPromotion).toBe(true);
    state = await tick(3);
    expect(state.currentStep).toBe(1);

    await promote();
    state = await tick(6);
    expect(state.currentStep).toBe(3);
    expect(onNew()).toBe(2);
    clock += 4 * 60_000;
    expect((await tick(2)).currentStep).toBe(3);
    clock += 60_000;
    state = await tick(10);
    expect(state).toMatchObject({ state: 'succeeded', active: false });
    expect(cloud.alive().map(i => i.imageId)).toEqual([
      'ami-new',
      'ami-new',
      'ami-new',
      'ami-new',
    ]);
    expect(cloud.defaults.get('lt-web')).toBe(2);
    expect(cloud.groups.get('web-prod')).toMatchObject({
      version: 2,
      min: 4,
      max: 4,
      desired: 4,
    });
    expect(cloud.groups.get('web-prod')!.tags[ROLLOUT_ID_TAG]).toBeUndefined();
    // Never below the capacity it ran before (minHealthyPercent 100).
    expect(Math.min(...healthySeen)).toBeGreaterThanOrEqual(4);
    // Never above it plus the surge (25% of 4: one instance).
    expect(cloud.instances.length).toBe(8);
    expect(synced).toEqual([ENTITY]);
    const events = (await store.getView(rollout.id))!.events.map(e => e.kind);
    expect(events).toEqual(
      expect.arrayContaining(['started', 'wave', 'step', 'succeeded']),
    );
  });

  it("retires an Auto Scaling group's old instances by lowering its desired capacity: only old ones go, a group that has not scaled in yet is waited for, and the protection ends with the rollout", async () => {
    const cloud = new FakeCloud();
    cloud.template('lt-web', ['ami-old']);
    cloud.group('web-prod', 'lt-web', 1, 8, {
      app: 'web',
      environment: 'production',
    });
    // The group terminates what it scales in only after a later look, as
    // lifecycle hooks and deregistration delays hold instances a while.
    cloud.scaleInLag = true;
    const { tick, healthySeen, knex, rollout } = await setup({
      cloud,
      steps: [{ setWeight: 100 }],
    });
    let state = await tick(4);
    // Launched protected: the group's scale-in cannot choose them.
    expect(
      cloud
        .alive(i => i.imageId === 'ami-new')
        .map(i => i.protectedFromScaleIn),
    ).toEqual([true, true]);
    state = await tick(30);
    expect(state.state).toBe('succeeded');
    expect(cloud.alive().map(i => i.imageId)).toEqual(Array(8).fill('ami-new'));
    // No new instance was ever scaled in, none asked for one by one.
    expect(
      cloud.instances.filter(
        i => i.imageId === 'ami-new' && i.state === 'terminated',
      ),
    ).toEqual([]);
    expect(cloud.instances).toHaveLength(16);
    expect(cloud.calls).not.toContain('terminateInGroup');
    expect(Math.min(...healthySeen)).toBeGreaterThanOrEqual(8);
    const actions = await knex('rollout_steps')
      .where({ rollout_id: rollout.id })
      .select('action', 'detail');
    const scaleIns = actions.filter(a => a.action === 'scale-in');
    expect(scaleIns.length).toBeGreaterThan(0);
    expect(actions.map(a => a.action)).not.toContain('terminate');
    // Each scale-in retires old instances only: the counts add up to them.
    expect(
      scaleIns
        .map(a =>
          typeof a.detail === 'string' ? JSON.parse(a.detail) : a.detail,
        )
        .reduce((sum, d) => sum + d.count, 0),
    ).toBe(8);
    // Given back: the group's own scaling may choose them again.
    expect(cloud.alive().filter(i => i.protectedFromScaleIn)).toEqual([]);
    expect(cloud.groups.get('web-prod')).toMatchObject({
      protectNew: false,
      desired: 8,
      min: 8,
      max: 8,
    });
  });

  it('a group that protects its new instances itself: old instances are terminated one by one, and the protection stays as the group had it', async () => {
    const cloud = new FakeCloud();
    cloud.template('lt-web', ['ami-old']);
    cloud.group(
      'web-prod',
      'lt-web',
      1,
      4,
      { app: 'web', environment: 'production' },
      { protectNew: true },
    );
    const { tick, healthySeen } = await setup({
      cloud,
      steps: [{ setWeight: 100 }],
    });
    const state = await tick(20);
    expect(state.state).toBe('succeeded');
    expect(cloud.alive().map(i => i.imageId)).toEqual(Array(4).fill('ami-new'));
    expect(cloud.calls).toContain('terminateInGroup');
    expect(cloud.calls).not.toContain('unprotectInstances');
    expect(cloud.alive().every(i => i.protectedFromScaleIn)).toBe(true);
    expect(cloud.groups.get('web-prod')!.protectNew).toBe(true);
    expect(Math.min(...healthySeen)).toBeGreaterThanOrEqual(4);
  });

  it('replaces standalone instances from the launch template, tagged, and moves the channel when asked', async () => {
    const cloud = new FakeCloud();
    cloud.template('lt-web', ['ami-old']);
    cloud.standalone('ami-old', 3, { app: 'web', environment: 'production' });
    cloud.standalone('ami-old', 2, { app: 'web', environment: 'staging' });
    const { tick, healthySeen, registry } = await setup({
      cloud,
      steps: [{ setWeight: 100 }],
      movesChannel: true,
    });
    const state = await tick(12);
    expect(state.state).toBe('succeeded');
    const production = cloud.alive(i => i.tags.environment === 'production');
    expect(production.map(i => i.imageId)).toEqual([
      'ami-new',
      'ami-new',
      'ami-new',
    ]);
    expect(production[0].tags).toMatchObject({
      app: 'web',
      [ROLLOUT_ID_TAG]: '00000000-0000-4000-8000-000000000001',
      'immutable-infra:image-version': 'web@2',
    });
    // Staging is another rollout's business.
    expect(
      cloud.alive(i => i.tags.environment === 'staging').map(i => i.imageId),
    ).toEqual(['ami-old', 'ami-old']);
    expect(Math.min(...healthySeen)).toBeGreaterThanOrEqual(5);
    expect(
      (await registry.channels.listChannels('web')).find(
        c => c.name === 'production',
      ),
    ).toMatchObject({ version: 'web@2', updatedBy: 'user:default/ada' });
    expect(cloud.defaults.get('lt-web')).toBe(2);
  });

  it('fails a step past its deadline, naming the instances that did not pass, and cleans up only what it launched', async () => {
    const cloud = new FakeCloud();
    cloud.template('lt-web', ['ami-old']);
    cloud.group('web-prod', 'lt-web', 1, 2, {
      app: 'web',
      environment: 'production',
    });
    const { tick, store, rollout, healthySeen } = await setup({
      cloud,
      steps: [{ setWeight: 100 }],
    });
    await tick(2);
    const launched = cloud
      .alive(i => i.imageId === 'ami-new')
      .map(i => i.instanceId);
    expect(launched).toHaveLength(1);
    cloud.unhealthy.add(launched[0]);
    let state = await tick(3);
    expect(state.state).toBe('running');
    expect(cloud.alive(i => i.imageId === 'ami-old')).toHaveLength(2);
    clock += 11 * 60_000;
    state = await tick();
    expect(state.state).toBe('failed');
    expect(state.reason).toContain(
      `${launched[0]}: target group web: unhealthy`,
    );
    state = await tick();
    expect(state.active).toBe(false);
    expect(cloud.alive().map(i => i.imageId)).toEqual(['ami-old', 'ami-old']);
    expect(cloud.groups.get('web-prod')).toMatchObject({ version: 1 });
    expect(Math.min(...healthySeen)).toBeGreaterThanOrEqual(2);
    expect(
      (await store.getView(rollout.id))!.events.map(e => e.kind),
    ).toContain('cleaned-up');
  });

  it('aborted mid-wave: the group goes back to its version, and what it launched stays only to hold the capacity', async () => {
    const cloud = new FakeCloud();
    cloud.template('lt-web', ['ami-old']);
    cloud.group('web-prod', 'lt-web', 1, 4, {
      app: 'web',
      environment: 'production',
    });
    const { tick, store, rollout, healthySeen } = await setup({
      cloud,
      steps: [{ setWeight: 50 }, { pause: {} }, { setWeight: 100 }],
    });
    await tick(2);
    expect(cloud.alive().some(i => i.protectedFromScaleIn)).toBe(true);
    const current = (await store.get(rollout.id))!;
    await store.update(current.id, current.revision, {
      state: 'aborted',
      reason: 'bad metrics',
    });
    const state = await tick(2);
    expect(state).toMatchObject({ state: 'aborted', active: false });
    expect(cloud.groups.get('web-prod')).toMatchObject({
      version: 1,
      max: 4,
      protectNew: false,
    });
    expect(cloud.alive()).toHaveLength(4);
    // What it launched and kept is no longer protected from scale-in.
    expect(cloud.alive().filter(i => i.protectedFromScaleIn)).toEqual([]);
    expect(Math.min(...healthySeen)).toBeGreaterThanOrEqual(4);
    const cleaned = (await store.getView(rollout.id))!.events.find(
      e => e.kind === 'cleaned-up',
    )!;
    expect(cleaned.message).toMatch(
      /web-prod: terminated \d launched by this rollout/,
    );
  });

  it('a stateful entity: waves of one, each waiting for a promote', async () => {
    const cloud = new FakeCloud();
    cloud.template('lt-web', ['ami-old']);
    cloud.standalone('ami-old', 2, { app: 'web', environment: 'production' });
    const { tick, promote } = await setup({ cloud, stateful: true });
    let state = await tick(6);
    expect(state.currentStep).toBe(1);
    expect(cloud.alive(i => i.imageId === 'ami-new')).toHaveLength(1);
    expect(cloud.alive()).toHaveLength(2);
    await promote();
    state = await tick(8);
    expect(state.state).toBe('succeeded');
  });

  it('pauses after repeated cloud failures, with the reason, and changes nothing meanwhile', async () => {
    const cloud = new FakeCloud();
    cloud.template('lt-web', ['ami-old']);
    cloud.group('web-prod', 'lt-web', 1, 2, {
      app: 'web',
      environment: 'production',
    });
    const { tick } = await setup({ cloud, steps: [{ setWeight: 100 }] });
    await tick();
    cloud.groupInstances = async () => {
      throw new Error('Throttling: Rate exceeded');
    };
    let state = await tick(2);
    expect(state).toMatchObject({ state: 'running', failedAttempts: 2 });
    state = await tick();
    expect(state).toMatchObject({ state: 'paused', failedAttempts: 0 });
    expect(state.reason).toContain('Throttling: Rate exceeded');
  });

  it('counts failed attempts in the database: an engine after a restart counts on, and a tick that works starts again from none', async () => {
    const cloud = new FakeCloud();
    cloud.template('lt-web', ['ami-old']);
    cloud.group('web-prod', 'lt-web', 1, 2, {
      app: 'web',
      environment: 'production',
    });
    const { tick, store, rollout } = await setup({
      cloud,
      steps: [{ setWeight: 100 }],
    });
    await tick();
    const groupInstances = cloud.groupInstances.bind(cloud);
    cloud.groupInstances = async () => {
      throw new Error('RequestTimeout');
    };
    await tick(2);
    expect((await store.get(rollout.id))!.failedAttempts).toBe(2);
    // A tick that reaches AWS again: the count starts over.
    cloud.groupInstances = groupInstances;
    await tick();
    expect((await store.get(rollout.id))!.failedAttempts).toBe(0);

    cloud.groupInstances = async () => {
      throw new Error('RequestTimeout');
    };
    await tick(2);
    // Another engine (a restart, another replica) on the same database.
    const restarted = anotherEngine(store, cloud);
    await restarted.tick();
    expect(await store.get(rollout.id)).toMatchObject({
      state: 'paused',
      reason: expect.stringContaining('paused after 3 failed attempts'),
    });
  });

  it('reconciles rollouts of different entities at once, no more than its concurrency', async () => {
    const cloud = new FakeCloud();
    cloud.template('lt-web', ['ami-old']);
    cloud.standalone('ami-old', 2, { app: 'web', environment: 'production' });
    const { store, rollout } = await setup({
      cloud,
      steps: [{ setWeight: 100 }],
    });
    const first = (await store.get(rollout.id))!;
    for (let n = 2; n <= 5; n++) {
      await store.create({
        rollout: {
          ...first,
          id: `00000000-0000-4000-8000-00000000000${n}`,
          entityRef: `component:default/web-${n}`,
        },
        events: [],
        audit: [],
      });
    }
    let inFlight = 0;
    let most = 0;
    const ensure = cloud.ensureTemplateVersion.bind(cloud);
    cloud.ensureTemplateVersion = async options => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise(resolve => setTimeout(resolve, 20));
      inFlight -= 1;
      return ensure(options);
    };
    const engine = anotherEngine(store, cloud, 2);
    await engine.tick();
    expect(most).toBe(2);
    const states = await Promise.all(
      [1, 2, 3, 4, 5].map(
        async n =>
          (await store.get(`00000000-0000-4000-8000-00000000000${n}`))!.state,
      ),
    );
    expect(states).toEqual(Array(5).fill('running'));
  });

  it('blue-green: the whole new capacity beside the old, a promote, the switch out of the target groups, the old kept for the scale-down delay, then terminated', async () => {
    const cloud = new FakeCloud();
    cloud.template('lt-web', ['ami-old']);
    cloud.group('web-prod', 'lt-web', 1, 4, {
      app: 'web',
      environment: 'production',
    });
    const blue = cloud.alive().map(i => i.instanceId);
    const { tick, promote, healthySeen, store, rollout } = await setup({
      cloud,
      spec: { strategy: 'blueGreen', blueGreen: { scaleDownDelay: '2m' } },
    });
    let state = await tick(4);
    expect(state.currentStep).toBe(1);
    expect(cloud.alive(i => i.imageId === 'ami-new')).toHaveLength(4);
    // Blue is untouched and still serving.
    expect(cloud.alive(i => blue.includes(i.instanceId))).toHaveLength(4);
    expect(cloud.deregistered.size).toBe(0);
    expect((await store.getView(rollout.id))!.awaitingPromotion).toBe(true);

    await promote();
    state = await tick(2);
    expect(state.currentStep).toBe(3);
    expect([...cloud.deregistered].sort()).toEqual([...blue].sort());
    expect(cloud.alive(i => blue.includes(i.instanceId))).toHaveLength(4);
    clock += 60_000;
    expect((await tick(2)).currentStep).toBe(3);
    clock += 61_000;
    state = await tick(4);
    expect(state.state).toBe('succeeded');
    expect(cloud.alive().map(i => i.imageId)).toEqual(Array(4).fill('ami-new'));
    expect(Math.min(...healthySeen)).toBeGreaterThanOrEqual(4);
    expect(cloud.instances).toHaveLength(8);
  });

  it('blue-green aborted after the switch: blue back in its target groups, green terminated', async () => {
    const cloud = new FakeCloud();
    cloud.template('lt-web', ['ami-old']);
    cloud.group('web-prod', 'lt-web', 1, 2, {
      app: 'web',
      environment: 'production',
    });
    const blue = cloud.alive().map(i => i.instanceId);
    const { tick, store, rollout } = await setup({
      cloud,
      spec: { strategy: 'blueGreen', blueGreen: { autoPromote: true } },
    });
    let state = await tick(4);
    expect(state.currentStep).toBe(2);
    expect(cloud.deregistered.size).toBe(2);
    const current = (await store.get(rollout.id))!;
    await store.update(current.id, current.revision, { state: 'aborted' });
    state = await tick();
    expect(state.active).toBe(false);
    expect(cloud.deregistered.size).toBe(0);
    expect(cloud.alive().map(i => i.instanceId)).toEqual(blue);
    expect(cloud.groups.get('web-prod')).toMatchObject({ version: 1 });
  });

  it('replace-drifted: only the drifted instances get twins from the channel image; the others stay as they are', async () => {
    const cloud = new FakeCloud();
    cloud.template('lt-web', ['ami-new']);
    cloud.group('web-prod', 'lt-web', 1, 4, {
      app: 'web',
      environment: 'production',
    });
    const [drifted, ...kept] = cloud.alive().map(i => i.instanceId);
    const { tick, healthySeen, store, rollout } = await setup({
      cloud,
      spec: { strategy: 'replaceDrifted' },
      drifted: [drifted],
    });
    const view = (await store.getView(rollout.id))!;
    expect(
      view.steps.map(s => [s.kind, s.targets['asg:us-east-1:web-prod']]),
    ).toEqual([['setWeight', 4]]);
    const state = await tick(6);
    expect(state.state).toBe('succeeded');
    const alive = cloud.alive().map(i => i.instanceId);
    expect(alive).not.toContain(drifted);
    expect(alive).toEqual(expect.arrayContaining(kept));
    expect(alive).toHaveLength(4);
    expect(cloud.instances).toHaveLength(5);
    expect(Math.min(...healthySeen)).toBeGreaterThanOrEqual(4);
  });

  it('an analysis passes when its alarms stay OK for its duration', async () => {
    const cloud = new FakeCloud();
    cloud.template('lt-web', ['ami-old']);
    cloud.standalone('ami-old', 2, { app: 'web', environment: 'production' });
    cloud.alarms.set('web-5xx', 'OK');
    const { tick, store, rollout } = await setup({
      cloud,
      alarms: ['web-5xx'],
      steps: [
        { setWeight: 50 },
        { analysis: { duration: '5m' } },
        { setWeight: 100 },
      ],
    });
    let state = await tick(4);
    expect(state.currentStep).toBe(1);
    clock += 4 * 60_000;
    expect((await tick()).currentStep).toBe(1);
    clock += 61_000;
    state = await tick(6);
    expect(state.state).toBe('succeeded');
    const events = (await store.getView(rollout.id))!.events;
    expect(events.map(e => e.message).join('\n')).toContain(
      'analysis passed: every alarm stayed OK',
    );
  });

  it('an alarm in ALARM aborts the rollout automatically, naming it, and the clean-up restores the group', async () => {
    const cloud = new FakeCloud();
    cloud.template('lt-web', ['ami-old']);
    cloud.group('web-prod', 'lt-web', 1, 4, {
      app: 'web',
      environment: 'production',
    });
    cloud.alarms.set('web-5xx', 'OK');
    const { tick, store, rollout, healthySeen } = await setup({
      cloud,
      alarms: ['web-5xx'],
      steps: [{ setWeight: 50 }, { pause: {} }, { setWeight: 100 }],
    });
    let state = await tick(6);
    expect(state.currentStep).toBe(1);
    cloud.alarms.set('web-5xx', 'ALARM');
    state = await tick();
    expect(state).toMatchObject({ state: 'aborted', active: false });
    expect(state.reason).toBe(
      'aborted automatically: alarm web-5xx is in ALARM: web-5xx test',
    );
    // What it launched and serves stays only to hold the capacity.
    expect(cloud.alive()).toHaveLength(4);
    expect(cloud.groups.get('web-prod')).toMatchObject({ version: 1 });
    expect(Math.min(...healthySeen)).toBeGreaterThanOrEqual(4);
    const audit = await store.getView(rollout.id);
    expect(audit!.events.map(e => e.kind)).toEqual(
      expect.arrayContaining(['aborted', 'cleaned-up']),
    );
  });

  it('an alarm that cannot be read fails closed: the rollout aborts before launching', async () => {
    const cloud = new FakeCloud();
    cloud.template('lt-web', ['ami-old']);
    cloud.standalone('ami-old', 2, { app: 'web', environment: 'production' });
    const { tick } = await setup({
      cloud,
      alarms: ['web-typo'],
      steps: [{ setWeight: 100 }],
    });
    const state = await tick(2);
    expect(state.state).toBe('aborted');
    expect(state.reason).toContain(
      'alarm web-typo cannot be read: it exists in no region of the rollout (us-east-1)',
    );
    expect(cloud.instances).toHaveLength(2);
  });
});
