import { mockServices } from '@backstage/backend-test-utils';
import {
  RolloutAction,
  ROLLOUT_ID_TAG,
} from '@immutable-infra/backstage-plugin-common';
import { createTestDatabases } from '../__testUtils__/databases';
import { migrateForTests } from '../__testUtils__/migrate';
import {
  ENTITY,
  GROUP,
  HarnessOptions,
  modelDriver,
  modelFleet,
  NEW_AMI,
  OLD_AMI,
  ROLLOUT_ID,
  userChange,
} from '../__testUtils__/rolloutHarness';
import { digestOf } from '../registry/manifest';
import { createRegistryStores } from '../registry/RegistryStores';
import { DatabaseRolloutStore } from './DatabaseRolloutStore';
import { DEFAULT_PROGRESS_DEADLINE_MS } from './plan';
import { RolloutEngine } from './RolloutEngine';

jest.setTimeout(120_000);

const databases = createTestDatabases();

/** One step to the whole fleet on the new version. */
const ALL_AT_ONCE = { strategy: 'canary', steps: [{ setWeight: 100 }] };

/** An Auto Scaling group whose size is fixed: its minimum, desired and maximum alike. */
const fixedGroup = (capacity: number) => ({
  fleet: 'group' as const,
  capacity,
  minSize: capacity,
  maxSize: capacity,
});

/**
 * The engine on the database store, against the AWS model: launches take
 * a while to run and to show, groups scale asynchronously, targets drain.
 * Each test drives the engine tick by tick (one engine tick, one step of
 * the cloud) until the rollout reaches what a user would wait for.
 */
describe.each(databases.eachSupportedId())('RolloutEngine on %p', id => {
  async function setup(options: HarnessOptions) {
    const knex = await databases.init(id);
    await migrateForTests(knex);
    const store = DatabaseRolloutStore.create({ knex });
    const registry = createRegistryStores(knex);
    await registry.families.enrollFamily({
      name: 'web',
      entityRef: ENTITY,
      actor: 'user:default/ada',
    });
    for (const [version, imageId] of [
      [1, OLD_AMI],
      [2, NEW_AMI],
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
    const { model, templateId, targetGroupArns, rollout } = await modelFleet({
      movesChannel: false,
      ...options,
    });
    await store.create({ rollout, events: [], audit: [] });
    const synced: string[] = [];
    /** An engine on this database (another replica, or one after a restart). */
    const engine = (concurrency?: number) =>
      new RolloutEngine({
        store,
        provider: model,
        versionState: async (family, version) =>
          registry.versions.getVersion({ family, version }),
        logger: mockServices.logger.mock(),
        syncEntity: async ref => synced.push(ref),
        now: () => model.now(),
        concurrency,
      });
    /**
     * The production fleet: instances not terminated and not leaving their
     * group (a Terminating member drains, then terminates, on its own).
     */
    const fleet = () =>
      model
        .liveInstances(t => t.app === 'web' && t.environment === 'production')
        .filter(i => model.instance(i).lifecycleState !== 'Terminating');
    const imagesOf = (ids: string[]) => ids.map(i => model.instance(i).imageId);
    /** Production instances that served, and that lived, at each look. */
    const servingSeen: number[] = [];
    const liveSeen: number[] = [];
    const record = async () => {
      servingSeen.push(model.serving(fleet(), targetGroupArns).length);
      liveSeen.push(fleet().length);
      return (await store.get(ROLLOUT_ID))!;
    };
    const driver = modelDriver({ model, engine: engine(), record });
    /** A user's action as the service applies it; false when refused. */
    const act = async (action: RolloutAction, reason?: string) => {
      const now = (await store.get(ROLLOUT_ID))!;
      const change = userChange(now, action, model.now(), reason);
      return (
        !!change &&
        store.update(ROLLOUT_ID, now.revision, change.change, change.expected)
      );
    };
    return {
      knex,
      store,
      registry,
      model,
      templateId,
      targetGroupArns,
      engine,
      ...driver,
      act,
      fleet,
      imagesOf,
      servingSeen,
      liveSeen,
      synced,
      view: async () => (await store.getView(ROLLOUT_ID))!,
      /** The group's instances on the new image, Terminating ones left out. */
      groupNew: () =>
        model
          .groupSnapshot(GROUP)
          .instances.filter(
            i => i.imageId === NEW_AMI && i.lifecycleState !== 'Terminating',
          ),
    };
  }

  it('takes an Auto Scaling group through a canary: weights, a pause until promoted, a timed pause, then pinned and defaulted to the new version', async () => {
    const t = await setup({
      ...fixedGroup(4),
      spec: {
        strategy: 'canary',
        steps: [
          { setWeight: 25 },
          { pause: {} },
          { setWeight: 50 },
          { pause: { duration: '5m' } },
          { setWeight: 100 },
        ],
      },
    });

    let state = await t.until(r => r.currentStep === 1);
    expect(state.state).toBe('running');
    expect(t.imagesOf(t.fleet()).sort()).toEqual([
      OLD_AMI,
      OLD_AMI,
      OLD_AMI,
      NEW_AMI,
    ]);
    // Every instance the rollout's group launches carries its id.
    const [first] = t.groupNew();
    expect(t.model.instance(first.instanceId).tags[ROLLOUT_ID_TAG]).toBe(
      ROLLOUT_ID,
    );
    expect((await t.view()).awaitingPromotion).toBe(true);
    for (let i = 0; i < 5; i++) {
      state = await t.tick();
    }
    expect(state).toMatchObject({ state: 'running', currentStep: 1 });

    expect(await t.act('promote')).toBe(true);
    state = await t.until(r => r.currentStep === 3);
    expect(t.groupNew()).toHaveLength(2);
    const pausedAt = Date.parse(state.stepStartedAt!);
    state = await t.until(r => r.currentStep === 4);
    const paused = t.model.now() - pausedAt;
    expect(paused).toBeGreaterThanOrEqual(5 * 60_000);
    expect(paused).toBeLessThan(5 * 60_000 + 30_000);

    state = await t.until(r => !r.active);
    expect(state.state).toBe('succeeded');
    expect(t.imagesOf(t.fleet())).toEqual(Array(4).fill(NEW_AMI));
    const template = t.model.template(t.templateId);
    const pinned = template.versions.find(
      v => v.number === template.defaultVersion,
    )!;
    expect(pinned.imageId).toBe(NEW_AMI);
    const group = t.model.groupSnapshot(GROUP);
    expect(group).toMatchObject({
      launchTemplate: { version: String(pinned.number) },
      minSize: 4,
      maxSize: 4,
      desiredCapacity: 4,
    });
    expect(group.tags[ROLLOUT_ID_TAG]).toBeUndefined();
    // Never below the capacity it ran before (minHealthyPercent 100).
    expect(Math.min(...t.servingSeen)).toBeGreaterThanOrEqual(4);
    // Never above it plus the surge (25% of 4: one instance), and no
    // launch beyond the four replacements.
    expect(Math.max(...t.liveSeen)).toBeLessThanOrEqual(5);
    expect(t.model.launchedByRollout(ROLLOUT_ID)).toHaveLength(4);
    expect(t.synced).toEqual([ENTITY]);
    const events = (await t.view()).events.map(e => e.kind);
    expect(events).toEqual(
      expect.arrayContaining(['started', 'wave', 'step', 'succeeded']),
    );
  });

  it("retires an Auto Scaling group's old instances by lowering its desired capacity: only old ones go, a group still draining what it scaled in is waited for, and the protection ends with the rollout", async () => {
    // Behind a target group, the group terminates what it scales in only
    // once its deregistration delay has drained it.
    const t = await setup({
      ...fixedGroup(8),
      targetGroup: true,
      spec: ALL_AT_ONCE,
    });
    await t.until(() => t.groupNew().length > 0);
    // Launched protected: the group's scale-in cannot choose them.
    expect(t.groupNew().map(i => i.protectedFromScaleIn)).toEqual(
      t.groupNew().map(() => true),
    );
    const state = await t.until(r => !r.active);
    expect(state.state).toBe('succeeded');
    expect(t.imagesOf(t.fleet())).toEqual(Array(8).fill(NEW_AMI));
    // What the group still drains is old; then it holds the new ones only.
    const leaving = t.model
      .groupSnapshot(GROUP)
      .instances.filter(i => i.lifecycleState === 'Terminating');
    expect(leaving.map(i => i.imageId)).toEqual(leaving.map(() => OLD_AMI));
    t.model.settle();
    expect(t.imagesOf(t.model.healthyInService(GROUP))).toEqual(
      Array(8).fill(NEW_AMI),
    );
    // No new instance was ever scaled in, none asked for one by one.
    const launched = t.model.launchedByRollout(ROLLOUT_ID);
    expect(launched).toHaveLength(8);
    expect(
      launched.filter(i => t.model.instance(i).state !== 'running'),
    ).toEqual([]);
    expect(t.model.calls.map(c => c.action)).not.toContain(
      'TerminateInstanceInAutoScalingGroup',
    );
    expect(Math.min(...t.servingSeen)).toBeGreaterThanOrEqual(8);
    const actions = await t
      .knex('rollout_steps')
      .where({ rollout_id: ROLLOUT_ID })
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
    const group = t.model.groupSnapshot(GROUP);
    expect(group.instances.filter(i => i.protectedFromScaleIn)).toEqual([]);
    expect(group).toMatchObject({
      protectNewInstances: false,
      desiredCapacity: 8,
      minSize: 8,
      maxSize: 8,
    });
  });

  it('a group that protects its new instances itself: old instances are terminated one by one, and the protection stays as the group had it', async () => {
    const t = await setup({
      ...fixedGroup(4),
      protect: true,
      spec: ALL_AT_ONCE,
    });
    const state = await t.until(r => !r.active);
    expect(state.state).toBe('succeeded');
    expect(t.imagesOf(t.fleet())).toEqual(Array(4).fill(NEW_AMI));
    const actions = t.model.calls.map(c => c.action);
    expect(actions).toContain('TerminateInstanceInAutoScalingGroup');
    expect(actions).not.toContain('SetInstanceProtection');
    const group = t.model.groupSnapshot(GROUP);
    expect(group.instances.every(i => i.protectedFromScaleIn)).toBe(true);
    expect(group.protectNewInstances).toBe(true);
    expect(Math.min(...t.servingSeen)).toBeGreaterThanOrEqual(4);
  });

  it('replaces standalone instances from the launch template, tagged, and moves the channel when asked', async () => {
    const t = await setup({
      fleet: 'standalone',
      capacity: 3,
      staging: 2,
      movesChannel: true,
      spec: ALL_AT_ONCE,
    });
    const staging = t.model.liveInstances(
      tags => tags.environment === 'staging',
    );
    const state = await t.until(r => !r.active);
    expect(state.state).toBe('succeeded');
    expect(t.imagesOf(t.fleet())).toEqual([NEW_AMI, NEW_AMI, NEW_AMI]);
    expect(t.model.instance(t.fleet()[0]).tags).toMatchObject({
      app: 'web',
      environment: 'production',
      [ROLLOUT_ID_TAG]: ROLLOUT_ID,
      'immutable-infra:image-version': 'web@2',
    });
    // Staging is another rollout's business.
    expect(
      t.model.liveInstances(tags => tags.environment === 'staging'),
    ).toEqual(staging);
    expect(t.imagesOf(staging)).toEqual([OLD_AMI, OLD_AMI]);
    expect(Math.min(...t.servingSeen)).toBeGreaterThanOrEqual(3);
    expect(
      (await t.registry.channels.listChannels('web')).find(
        c => c.name === 'production',
      ),
    ).toMatchObject({ version: 'web@2', updatedBy: 'user:default/ada' });
    const template = t.model.template(t.templateId);
    expect(
      template.versions.find(v => v.number === template.defaultVersion)!
        .imageId,
    ).toBe(NEW_AMI);
  });

  it('fails a step past its deadline, naming the instances that did not pass, and cleans up only what it launched', async () => {
    const t = await setup({
      ...fixedGroup(2),
      targetGroup: true,
      spec: ALL_AT_ONCE,
    });
    const old = t.fleet();
    t.model.failHealthChecks({ imageId: NEW_AMI });
    const started = await t.until(r => r.state === 'running');
    let state = await t.until(r => r.state !== 'running');
    expect(state.state).toBe('failed');
    expect(t.model.now() - Date.parse(started.stepStartedAt!)).toBeGreaterThan(
      DEFAULT_PROGRESS_DEADLINE_MS,
    );
    const launched = t.model.launchedByRollout(ROLLOUT_ID);
    expect(launched).toHaveLength(1);
    expect(state.reason).toContain(
      `${launched[0]}: target group web: unhealthy (Target.FailedHealthChecks)`,
    );
    // The old instances served throughout.
    expect(t.model.serving(old, t.targetGroupArns)).toEqual(old);
    state = await t.until(r => !r.active);
    expect(t.fleet()).toEqual(old);
    // What it launched leaves: drained, then terminated.
    t.model.settle();
    expect(t.model.instance(launched[0]).state).toBe('terminated');
    expect(t.model.groupSnapshot(GROUP)).toMatchObject({
      launchTemplate: { version: '1' },
      desiredCapacity: 2,
      minSize: 2,
      maxSize: 2,
    });
    expect(Math.min(...t.servingSeen)).toBeGreaterThanOrEqual(2);
    expect((await t.view()).events.map(e => e.kind)).toContain('cleaned-up');
  });

  it('aborted mid-wave: the group goes back to its version, and what it launched stays only to hold the capacity', async () => {
    const t = await setup({
      ...fixedGroup(4),
      spec: {
        strategy: 'canary',
        steps: [{ setWeight: 50 }, { pause: {} }, { setWeight: 100 }],
      },
    });
    await t.until(() =>
      t.groupNew().some(i => i.lifecycleState === 'InService'),
    );
    expect(t.groupNew().every(i => i.protectedFromScaleIn)).toBe(true);
    expect(await t.act('abort', 'bad metrics')).toBe(true);
    const state = await t.until(r => !r.active);
    expect(state).toMatchObject({
      state: 'aborted',
      reason: 'aborted by user: bad metrics',
    });
    const group = t.model.groupSnapshot(GROUP);
    expect(group).toMatchObject({
      launchTemplate: { version: '1' },
      minSize: 4,
      maxSize: 4,
      desiredCapacity: 4,
      protectNewInstances: false,
    });
    expect(t.fleet()).toHaveLength(4);
    // What it launched and kept is no longer protected from scale-in.
    expect(group.instances.filter(i => i.protectedFromScaleIn)).toEqual([]);
    expect(Math.min(...t.servingSeen)).toBeGreaterThanOrEqual(4);
    const cleaned = (await t.view()).events.find(e => e.kind === 'cleaned-up')!;
    expect(cleaned.message).toMatch(
      new RegExp(`${GROUP}: terminated \\d launched by this rollout`),
    );
  });

  it('a stateful entity: waves of one, each waiting for a promote', async () => {
    const t = await setup({
      fleet: 'standalone',
      capacity: 2,
      stateful: true,
    });
    let state = await t.until(r => r.currentStep === 1);
    expect(state.state).toBe('running');
    expect(t.imagesOf(t.fleet()).sort()).toEqual([OLD_AMI, NEW_AMI]);
    expect((await t.view()).awaitingPromotion).toBe(true);
    expect(Math.max(...t.liveSeen)).toBeLessThanOrEqual(3);
    expect(await t.act('promote')).toBe(true);
    state = await t.until(r => !r.active);
    expect(state.state).toBe('succeeded');
    expect(t.imagesOf(t.fleet())).toEqual([NEW_AMI, NEW_AMI]);
  });

  it('pauses after repeated cloud failures, with the reason, and changes nothing meanwhile', async () => {
    const t = await setup({
      fleet: 'group',
      capacity: 2,
      spec: ALL_AT_ONCE,
    });
    await t.tick();
    const before = t.model.groupSnapshot(GROUP);
    const since = t.model.calls.length;
    // Auto Scaling refuses every read of the group; the rest of AWS answers.
    t.model.throttle(1000, 'DescribeAutoScalingGroups');
    let state = await t.tick();
    state = await t.tick();
    expect(state).toMatchObject({ state: 'running', failedAttempts: 2 });
    state = await t.tick();
    expect(state).toMatchObject({ state: 'paused', failedAttempts: 0 });
    expect(state.reason).toBe(
      'paused after 3 failed attempts to reach AWS: Rate exceeded',
    );
    // Nothing was asked of the account meanwhile: reads only.
    expect(
      t.model.calls
        .slice(since)
        .map(c => c.action)
        .filter(a => !a.startsWith('Describe')),
    ).toEqual([]);
    expect(t.model.groupSnapshot(GROUP)).toEqual(before);
  });

  it('counts failed attempts in the database: an engine after a restart counts on, and a tick that works starts again from none', async () => {
    const t = await setup({
      fleet: 'group',
      capacity: 2,
      spec: ALL_AT_ONCE,
    });
    await t.tick();
    t.model.throttle(2, 'DescribeAutoScalingGroups');
    await t.tick();
    expect((await t.tick()).failedAttempts).toBe(2);
    // A tick that reaches AWS again: the count starts over.
    expect((await t.tick()).failedAttempts).toBe(0);

    t.model.throttle(3, 'DescribeAutoScalingGroups');
    await t.tick();
    await t.tick();
    // Another engine (a restart, another replica) on the same database.
    await t.engine().tick();
    expect(await t.store.get(ROLLOUT_ID)).toMatchObject({
      state: 'paused',
      reason: expect.stringContaining('paused after 3 failed attempts'),
    });
  });

  it('reconciles rollouts of different entities at once, no more than its concurrency', async () => {
    const t = await setup({
      fleet: 'standalone',
      capacity: 2,
      spec: ALL_AT_ONCE,
    });
    const first = (await t.store.get(ROLLOUT_ID))!;
    const ids = [ROLLOUT_ID];
    for (let n = 2; n <= 5; n++) {
      ids.push(`00000000-0000-4000-8000-00000000000${n}`);
      await t.store.create({
        rollout: {
          ...first,
          id: ids[ids.length - 1],
          entityRef: `component:default/web-${n}`,
        },
        events: [],
        audit: [],
      });
    }
    let inFlight = 0;
    let most = 0;
    const ensure = t.model.ensureTemplateVersion.bind(t.model);
    t.model.ensureTemplateVersion = async options => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise(resolve => setTimeout(resolve, 20));
      inFlight -= 1;
      return ensure(options);
    };
    await t.engine(2).tick();
    expect(most).toBe(2);
    const states = await Promise.all(
      ids.map(async n => (await t.store.get(n))!.state),
    );
    expect(states).toEqual(Array(5).fill('running'));
  });

  it('blue-green: the whole new capacity beside the old, a promote, the switch out of the target groups, the old kept for the scale-down delay, then terminated', async () => {
    const t = await setup({
      fleet: 'group',
      capacity: 4,
      targetGroup: true,
      spec: { strategy: 'blueGreen', blueGreen: { scaleDownDelay: '2m' } },
    });
    const [tg] = t.targetGroupArns;
    const blue = t.fleet();
    let state = await t.until(r => r.currentStep === 1);
    const green = t.groupNew().map(i => i.instanceId);
    expect(t.model.serving(green, [tg])).toHaveLength(4);
    // Blue is untouched and still serving.
    expect(t.model.serving(blue, [tg])).toEqual(blue);
    expect((await t.view()).awaitingPromotion).toBe(true);

    expect(await t.act('promote')).toBe(true);
    state = await t.until(r => r.currentStep === 3);
    // Switched: blue out of the target group, still running.
    expect(t.model.serving(blue, [tg])).toEqual([]);
    expect(blue.map(i => t.model.instance(i).state)).toEqual(
      Array(4).fill('running'),
    );
    const switchedAt = Date.parse(state.stepStartedAt!);
    let blueLeftAt: number | undefined;
    state = await t.until(r => {
      if (
        blueLeftAt === undefined &&
        blue.some(i => t.model.instance(i).state !== 'running')
      ) {
        blueLeftAt = t.model.now();
      }
      return !r.active;
    });
    expect(state.state).toBe('succeeded');
    // The old capacity stayed for the scale-down delay.
    expect(blueLeftAt! - switchedAt).toBeGreaterThanOrEqual(2 * 60_000);
    expect(t.imagesOf(t.fleet())).toEqual(Array(4).fill(NEW_AMI));
    expect(t.model.serving(t.fleet(), [tg])).toHaveLength(4);
    expect(Math.min(...t.servingSeen)).toBeGreaterThanOrEqual(4);
    expect(t.model.launchedByRollout(ROLLOUT_ID)).toHaveLength(4);
  });

  it('blue-green aborted after the switch: blue back in its target groups, green terminated', async () => {
    const t = await setup({
      fleet: 'group',
      capacity: 2,
      targetGroup: true,
      spec: { strategy: 'blueGreen', blueGreen: { autoPromote: true } },
    });
    const [tg] = t.targetGroupArns;
    const blue = t.fleet();
    await t.until(
      r => !!r.plan.switched && t.model.serving(blue, [tg]).length === 0,
    );
    expect(await t.act('abort')).toBe(true);
    const state = await t.until(r => !r.active);
    expect(state.state).toBe('aborted');
    // Registered again: serving once its health checks pass.
    expect(blue.map(i => t.model.targetHealth(tg, i).state)).toEqual(
      blue.map(() => expect.stringMatching(/^(initial|healthy)$/)),
    );
    expect(t.fleet()).toEqual(blue);
    t.model.settle();
    expect(
      t.model
        .launchedByRollout(ROLLOUT_ID)
        .map(i => t.model.instance(i).state)
        .filter(s => s !== 'terminated'),
    ).toEqual([]);
    expect(t.model.groupSnapshot(GROUP).launchTemplate.version).toBe('1');
  });

  it('replace-drifted: only the drifted instances get twins from the channel image; the others stay as they are', async () => {
    const t = await setup({
      fleet: 'group',
      capacity: 4,
      drifted: 1,
      spec: { strategy: 'replaceDrifted' },
    });
    const [drifted, ...kept] = t.fleet();
    const view = await t.view();
    expect(
      view.steps.map(s => [s.kind, s.targets[`asg:us-east-1:${GROUP}`]]),
    ).toEqual([['setWeight', 4]]);
    const state = await t.until(r => !r.active);
    expect(state.state).toBe('succeeded');
    const live = t.fleet();
    expect(live).not.toContain(drifted);
    expect(live).toEqual(expect.arrayContaining(kept));
    expect(live).toHaveLength(4);
    expect(t.model.launchedByRollout(ROLLOUT_ID)).toHaveLength(1);
    expect(Math.min(...t.servingSeen)).toBeGreaterThanOrEqual(4);
  });

  it('an analysis passes when its alarms stay OK for its duration', async () => {
    const t = await setup({
      fleet: 'standalone',
      capacity: 2,
      alarms: ['web-5xx'],
      spec: {
        strategy: 'canary',
        steps: [
          { setWeight: 50 },
          { analysis: { duration: '5m' } },
          { setWeight: 100 },
        ],
      },
    });
    t.model.setAlarm('web-5xx', 'OK');
    let state = await t.until(r => r.currentStep === 1);
    const startedAt = Date.parse(state.stepStartedAt!);
    state = await t.until(r => r.currentStep === 2);
    expect(t.model.now() - startedAt).toBeGreaterThanOrEqual(5 * 60_000);
    state = await t.until(r => !r.active);
    expect(state.state).toBe('succeeded');
    const events = (await t.view()).events;
    expect(events.map(e => e.message).join('\n')).toContain(
      'analysis passed: every alarm stayed OK',
    );
  });

  it('an alarm in ALARM aborts the rollout automatically, naming it, and the clean-up restores the group', async () => {
    const t = await setup({
      fleet: 'group',
      capacity: 4,
      alarms: ['web-5xx'],
      spec: {
        strategy: 'canary',
        steps: [{ setWeight: 50 }, { pause: {} }, { setWeight: 100 }],
      },
    });
    t.model.setAlarm('web-5xx', 'OK');
    await t.until(r => r.currentStep === 1);
    t.model.setAlarm(
      'web-5xx',
      'ALARM',
      'Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0).',
    );
    let state = await t.tick();
    expect(state.state).toBe('aborted');
    expect(state.reason).toBe(
      'aborted automatically: alarm web-5xx is in ALARM: Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0).',
    );
    state = await t.until(r => !r.active);
    expect(state.state).toBe('aborted');
    // What it launched and serves stays only to hold the capacity.
    expect(t.fleet()).toHaveLength(4);
    expect(t.model.groupSnapshot(GROUP).launchTemplate.version).toBe('1');
    expect(Math.min(...t.servingSeen)).toBeGreaterThanOrEqual(4);
    expect((await t.view()).events.map(e => e.kind)).toEqual(
      expect.arrayContaining(['aborted', 'cleaned-up']),
    );
  });

  it('an alarm that cannot be read fails closed: the rollout aborts before launching', async () => {
    const t = await setup({
      fleet: 'standalone',
      capacity: 2,
      alarms: ['web-typo'],
      spec: ALL_AT_ONCE,
    });
    const before = t.fleet();
    const state = await t.until(r => r.state === 'aborted', 3);
    expect(state.reason).toContain(
      'alarm web-typo cannot be read: it exists in no region of the rollout (us-east-1)',
    );
    expect(t.model.launchedByRollout(ROLLOUT_ID)).toEqual([]);
    expect(t.fleet()).toEqual(before);
  });
});
