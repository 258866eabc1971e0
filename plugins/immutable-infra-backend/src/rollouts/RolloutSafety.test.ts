import {
  GROUP,
  NEW_AMI,
  OLD_AMI,
  ROLLOUT_ID,
  rolloutHarness,
} from '../__testUtils__/rolloutHarness';
import { RolloutRecord } from './RolloutStore';

/**
 * The engine against the AWS model, one test per way a real account can
 * hurt a rollout. Each of these failed on the engine before it re-read its
 * groups, checked every transition, and moved the channel with success.
 */
describe('rollout safety against the AWS model', () => {
  const canary = {
    strategy: 'canary',
    steps: [{ setWeight: 25 }, { pause: {} }, { setWeight: 100 }],
  };

  it('a group scaled out by its policy during a pause ends at the raised capacity, every instance on the new version, never below it', async () => {
    const h = await rolloutHarness({
      fleet: 'group',
      capacity: 4,
      maxSize: 12,
      spec: canary,
    });
    await h.until(r => r.state === 'running' && r.currentStep === 1);
    h.model.policyScale(GROUP, 10);
    // The group launches what its policy asked for, from the template
    // version it now names: the rollout's.
    h.model.settle();
    expect(
      h.model.groupSnapshot(GROUP).instances.filter(i => i.imageId === NEW_AMI)
        .length,
    ).toBeGreaterThanOrEqual(7);
    expect(await h.act('promote')).toBe(true);
    let lowest = Infinity;
    const done = await h.until(r => {
      lowest = Math.min(lowest, h.model.healthyInService(GROUP).length);
      return !r.active;
    });
    expect(done.state).toBe('succeeded');
    expect(lowest).toBeGreaterThanOrEqual(10);
    const group = h.model.groupSnapshot(GROUP);
    expect(group.desiredCapacity).toBe(10);
    expect(group.instances.map(i => i.imageId)).toEqual(
      Array(10).fill(NEW_AMI),
    );
    expect(group.maxSize).toBe(12);
    const events = (await h.view()).events.map(e => e.message).join('\n');
    expect(events).toMatch(
      /the group's own scaling moved its capacity from 4 to 10/,
    );
  });

  it('a scale-in by the group’s policy is followed, not undone', async () => {
    const h = await rolloutHarness({
      fleet: 'group',
      capacity: 6,
      minSize: 1,
      spec: canary,
    });
    await h.until(r => r.state === 'running' && r.currentStep === 1);
    h.model.policyScale(GROUP, 3);
    h.model.settle();
    expect(await h.act('promote')).toBe(true);
    const done = await h.until(r => !r.active);
    expect(done.state).toBe('succeeded');
    const group = h.model.groupSnapshot(GROUP);
    expect(group.desiredCapacity).toBe(3);
    expect(group.instances.map(i => i.imageId)).toEqual(Array(3).fill(NEW_AMI));
  });

  it('a launch whose instance died gets a new client token: the old one answers the terminated reservation and launches nothing', async () => {
    const h = await rolloutHarness({
      fleet: 'standalone',
      capacity: 2,
      spec: {
        strategy: 'canary',
        steps: [{ setWeight: 50 }, { pause: {} }, { setWeight: 100 }],
      },
    });
    const launched = () => h.model.launchedByRollout(ROLLOUT_ID);
    await h.until(
      () => launched().length === 1 && h.model.instance(launched()[0]).visible,
    );
    h.model.killInstance(launched()[0]);
    await h.until(r => r.currentStep === 1);
    expect(launched()).toHaveLength(2);
    const messages = (await h.view()).events.map(e => e.message).join('\n');
    expect(messages).toMatch(
      /client token answered instances that have terminated since/,
    );
  });

  it('a retry launches with new client tokens', async () => {
    const h = await rolloutHarness({
      fleet: 'standalone',
      capacity: 2,
      spec: {
        strategy: 'canary',
        steps: [{ setWeight: 50 }, { pause: {} }, { setWeight: 100 }],
      },
    });
    const launched = () => h.model.launchedByRollout(ROLLOUT_ID);
    // Aborted right after its first launch: the clean-up terminates it.
    await h.until(() => launched().length === 1);
    expect(await h.act('abort')).toBe(true);
    await h.until(r => !r.active);
    expect(h.model.liveInstances(t => t.app === 'web')).toHaveLength(2);
    expect(await h.act('retry')).toBe(true);
    await h.until(r => r.state === 'running' && r.currentStep === 1);
    expect(launched()).toHaveLength(2);
    expect((await h.record()).plan.attempt).toBe(1);
    const messages = (await h.view()).events.map(e => e.message).join('\n');
    expect(messages).not.toMatch(/client token answered/);
  });

  it('two engines ticking at once advance a step once: a promote ends its pause, never the next', async () => {
    const h = await rolloutHarness({
      fleet: 'group',
      capacity: 2,
      spec: {
        strategy: 'canary',
        steps: [
          { setWeight: 50 },
          { pause: {} },
          { pause: {} },
          { setWeight: 100 },
        ],
      },
    });
    // B reads a moment later than A: a tick that re-read the rollout after
    // A's advance and acted on it would advance a second time.
    const late = new Proxy(h.store, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (typeof value !== 'function') {
          return value;
        }
        return async (...args: unknown[]) => {
          if (key === 'get') {
            await new Promise(resolve => setTimeout(resolve, 5));
          }
          return value.apply(target, args);
        };
      },
    });
    const [a, b] = [h.engine(), h.engine(1, late)];
    for (let i = 0; i < 200; i++) {
      const now = await h.record();
      if (now.currentStep >= 1) break;
      await Promise.all([a.tick(), b.tick()]);
      h.model.step();
    }
    expect((await h.record()).currentStep).toBe(1);
    expect(await h.act('promote')).toBe(true);
    await Promise.all([a.tick(), b.tick()]);
    await Promise.all([a.tick(), b.tick()]);
    const now = await h.record();
    expect(now.currentStep).toBe(2);
    expect(now.promoted).toBe(false);
    const steps = h.store.audit.filter(e => e.action === 'rollout.step');
    expect(steps).toHaveLength(2);
  });

  it('a tick stops at its abort signal', async () => {
    const h = await rolloutHarness({
      fleet: 'group',
      capacity: 2,
      spec: canary,
    });
    const signal = AbortSignal.abort();
    await h.engine().tick(signal);
    expect((await h.record()).state).toBe('pending');
    expect(h.model.calls).toHaveLength(0);
  });

  it('an abort that lands while the rollout finishes: the channel does not move, and the fleet is cleaned up', async () => {
    const h = await rolloutHarness({
      fleet: 'standalone',
      capacity: 2,
      spec: { strategy: 'canary', steps: [{ setWeight: 100 }] },
    });
    const update = h.store.update.bind(h.store);
    jest
      .spyOn(h.store, 'update')
      .mockImplementation(async (id, revision, change, expected) => {
        if (change.state === 'succeeded') {
          // A user's abort commits first.
          await update(id, revision, {
            state: 'aborted',
            reason: 'aborted by user',
          });
        }
        return update(id, revision, change, expected);
      });
    const done = await h.until(r => !r.active);
    expect(done.state).toBe('aborted');
    expect(h.store.channels.size).toBe(0);
  });

  it('the target version revoked mid-rollout aborts it naming the revocation; the channel never points at it', async () => {
    const h = await rolloutHarness({
      fleet: 'group',
      capacity: 3,
      spec: canary,
    });
    await h.until(r => r.currentStep === 1);
    h.store.versionStates.set('web@2', 'revoked');
    const done = await h.until(r => !r.active);
    expect(done.state).toBe('aborted');
    expect(done.reason).toMatch(/web@2 was revoked/);
    expect(h.store.channels.size).toBe(0);
    const group = h.model.groupSnapshot(GROUP);
    expect(group.launchTemplate.version).toBe('1');
    expect(h.model.healthyInService(GROUP)).toHaveLength(3);
  });

  it('a revocation that lands as the rollout finishes is refused with the channel move, and the rollout aborts', async () => {
    const h = await rolloutHarness({
      fleet: 'standalone',
      capacity: 1,
      spec: { strategy: 'canary', steps: [{ setWeight: 100 }] },
    });
    const update = h.store.update.bind(h.store);
    jest
      .spyOn(h.store, 'update')
      .mockImplementation(async (id, revision, change, expected) => {
        if (change.channel) {
          h.store.versionStates.set('web@2', 'revoked');
        }
        return update(id, revision, change, expected);
      });
    const done = await h.until(r => !r.active);
    expect(done.state).toBe('aborted');
    expect(done.reason).toMatch(/web@2 is revoked/);
    expect(h.store.channels.size).toBe(0);
  });

  it('a stopped old standalone instance is replaced first and does not wedge the rollout', async () => {
    const h = await rolloutHarness({
      fleet: 'standalone',
      capacity: 2,
      spec: {
        strategy: 'canary',
        steps: [{ setWeight: 100 }],
        minHealthyPercent: 100,
        maxSurgePercent: 50,
      },
    });
    const [stopped] = h.model.liveInstances(t => t.app === 'web');
    h.model.stopInstance(stopped);
    h.model.settle();
    const done = await h.until(r => !r.active);
    expect(done.state).toBe('succeeded');
    expect(h.model.instance(stopped).state).toBe('terminated');
    const live = h.model
      .liveInstances(t => t.app === 'web')
      .map(id => h.model.instance(id));
    expect(live.map(i => i.imageId)).toEqual([NEW_AMI, NEW_AMI]);
  });

  it('a step past its deadline names each instance that held it and its state', async () => {
    const h = await rolloutHarness({
      fleet: 'standalone',
      capacity: 2,
      targetGroup: true,
      spec: {
        strategy: 'canary',
        steps: [{ setWeight: 100 }],
        progressDeadline: '5m',
      },
    });
    const [stopped] = h.model.liveInstances(t => t.app === 'web');
    h.model.stopInstance(stopped);
    h.model.failHealthChecks({ imageId: NEW_AMI });
    h.model.settle();
    const done = await h.until(r => r.state === 'failed');
    // The stopped old instance went first (it served nothing); each new
    // one that held the step is named with why.
    expect(h.model.instance(stopped).state).toBe('terminated');
    const launched = h.model.launchedByRollout(ROLLOUT_ID);
    expect(launched.length).toBeGreaterThan(0);
    for (const id of launched.filter(
      i => h.model.instance(i).state === 'running',
    )) {
      expect(done.reason).toContain(
        `${id}: target group web: unhealthy (Target.FailedHealthChecks)`,
      );
    }
  });

  it('resumed while still pending: prepared first, never launched from no template version', async () => {
    const h = await rolloutHarness({
      fleet: 'standalone',
      capacity: 2,
      spec: { strategy: 'canary', steps: [{ setWeight: 100 }] },
    });
    expect(await h.act('pause')).toBe(true);
    expect(await h.act('resume')).toBe(true);
    const done = await h.until(r => !r.active);
    expect(done.state).toBe('succeeded');
    expect(h.model.calls.filter(c => c.error)).toEqual([]);
  });

  it('a retry paused before it started, then resumed: the group is prepared again and launches the new version only', async () => {
    // Shrunk from a random history (seed 20261206): clean-up had put the
    // group back on the old template version, the resumed retry took the
    // fleet for prepared, and the group launched an old instance untagged.
    const h = await rolloutHarness({
      fleet: 'group',
      capacity: 1,
      protect: true,
      spec: { strategy: 'blueGreen' },
    });
    await h.tick();
    await h.tick();
    expect(await h.act('abort')).toBe(true);
    await h.until(r => !r.active);
    expect(await h.act('retry')).toBe(true);
    expect(await h.act('pause')).toBe(true);
    expect(await h.act('resume')).toBe(true);
    await h.until(r => r.plan.steps[r.currentStep].kind === 'pause');
    expect(await h.act('promote')).toBe(true);
    const done = await h.until(r => !r.active);
    expect(done.state).toBe('succeeded');
    const group = h.model.groupSnapshot(GROUP);
    expect(group.desiredCapacity).toBe(1);
    expect(group.instances.map(i => [i.imageId, i.lifecycleState])).toEqual([
      [NEW_AMI, 'InService'],
    ]);
  });

  it('aborted while the group launches an instance it does not list yet, as a policy scales it in: the instance keeps no protection of the rollout', async () => {
    // Shrunk from a random history (seed 20261206): the group replaced a
    // dead instance from the rollout's template (protected at launch), a
    // policy lowered its desired capacity below what it listed, and the
    // clean-up, seeing no launch, released the group with the new
    // instance still protected.
    const h = await rolloutHarness({
      fleet: 'group',
      capacity: 5,
      maxSize: 12,
      spec: { strategy: 'rollback', fast: true },
    });
    const [first] = h.model.groupSnapshot(GROUP).instances;
    h.model.killInstance(first.instanceId);
    await h.tick();
    expect(await h.act('abort')).toBe(true);
    h.model.policyScale(GROUP, 0);
    const done = await h.until(r => !r.active);
    expect(done.state).toBe('aborted');
    h.model.advance(300_000);
    const group = h.model.groupSnapshot(GROUP);
    expect(group.instances.length).toBeGreaterThan(0);
    expect(group.instances.filter(i => i.protectedFromScaleIn)).toEqual([]);
    expect(group.protectNewInstances).toBeFalsy();
  });

  it('aborted after a partial prepare: the group goes back exactly (version, sizes, protection, tag)', async () => {
    const h = await rolloutHarness({
      fleet: 'group',
      capacity: 3,
      minSize: 2,
      maxSize: 5,
      spec: canary,
    });
    const before = h.model.groupSnapshot(GROUP);
    const update = h.store.update.bind(h.store);
    jest
      .spyOn(h.store, 'update')
      .mockImplementation(async (id, revision, change, expected) => {
        if (change.state === 'running') {
          await update(id, revision, {
            state: 'aborted',
            reason: 'aborted by user',
          });
        }
        return update(id, revision, change, expected);
      });
    const done = await h.until(r => !r.active);
    expect(done.state).toBe('aborted');
    const after = h.model.groupSnapshot(GROUP);
    expect(after.launchTemplate).toEqual(before.launchTemplate);
    expect([after.minSize, after.maxSize, after.desiredCapacity]).toEqual([
      2, 5, 3,
    ]);
    expect(after.protectNewInstances).toBe(before.protectNewInstances);
    expect(after.tags).toEqual(before.tags);
  });

  it("a group's failed scaling activities are read and named (status, then the deadline's reason)", async () => {
    const h = await rolloutHarness({
      fleet: 'group',
      capacity: 2,
      spec: { ...canary, progressDeadline: '5m' },
    });
    h.model.failLaunches({ code: 'InsufficientInstanceCapacity' });
    await h.until(r => r.status.some(s => s.activity));
    expect((await h.record()).status[0].activity).toMatch(/capacity/i);
    const done = await h.until(r => r.state === 'failed');
    expect(done.reason).toMatch(/a scaling activity failed: .*capacity/i);
  });

  it('standalone launches spread over the subnets the fleet uses, and a zone without capacity hands its launch to another', async () => {
    const h = await rolloutHarness({
      fleet: 'standalone',
      capacity: 3,
      spec: {
        strategy: 'canary',
        steps: [{ setWeight: 100 }],
        maxSurgePercent: 100,
      },
    });
    h.model.failLaunches({
      code: 'InsufficientInstanceCapacity',
      az: 'us-east-1a',
    });
    const done = await h.until(r => !r.active);
    expect(done.state).toBe('succeeded');
    const subnets = h.model
      .liveInstances(t => t.app === 'web')
      .map(id => h.model.instance(id).subnetId)
      .sort();
    expect(new Set(subnets)).toEqual(new Set(['subnet-b', 'subnet-c']));
    expect(subnets).not.toContain('subnet-a');
  });

  it('an analysis whose alarm has no data at its end pauses as inconclusive instead of passing', async () => {
    const h = await rolloutHarness({
      fleet: 'group',
      capacity: 2,
      alarms: ['web-errors'],
      spec: {
        strategy: 'canary',
        steps: [
          { setWeight: 50 },
          { analysis: { duration: '1m' } },
          { setWeight: 100 },
        ],
      },
    });
    h.model.setAlarm('web-errors', 'OK');
    await h.until(r => r.currentStep === 1);
    h.model.setAlarm('web-errors', 'INSUFFICIENT_DATA');
    const paused = await h.until(r => r.state === 'paused');
    expect(paused.currentStep).toBe(1);
    expect(paused.reason).toMatch(/inconclusive: web-errors had no data/);
    h.model.setAlarm('web-errors', 'OK');
    expect(await h.act('resume')).toBe(true);
    expect((await h.until(r => !r.active)).state).toBe('succeeded');
  });

  it('CloudWatch out of reach holds the rollout, then pauses it naming the error', async () => {
    const h = await rolloutHarness({
      fleet: 'group',
      capacity: 2,
      alarms: ['web-errors'],
      spec: canary,
    });
    h.model.setAlarm('web-errors', 'OK');
    await h.until(r => r.currentStep === 1);
    expect(await h.act('promote')).toBe(true);
    h.model.throttle(1000, 'DescribeAlarms');
    const paused = await h.until(r => r.state === 'paused', 10);
    expect(paused.currentStep).toBe(1);
    expect(paused.reason).toMatch(
      /paused after 3 failed attempts to reach AWS: Rate exceeded/,
    );
    expect(
      h.model.groupSnapshot(GROUP).instances.filter(i => i.imageId === OLD_AMI),
    ).toHaveLength(1);
  });

  it('AWS refusing a change the tick recorded first: paused after three failures in a row, naming the error', async () => {
    // The wave records its decision before it asks AWS; the pause was
    // written over the revision read before that, refused, and the
    // rollout retried forever.
    const h = await rolloutHarness({
      fleet: 'group',
      capacity: 2,
      spec: { strategy: 'canary', steps: [{ setWeight: 100 }] },
    });
    h.model.throttle(1000, 'SetDesiredCapacity');
    const paused = await h.until(r => r.state === 'paused', 10);
    expect(paused.reason).toMatch(
      /^paused after 3 failed attempts to reach AWS: Rate exceeded/,
    );
    expect(h.model.groupSnapshot(GROUP).desiredCapacity).toBe(2);
  });

  it('a standalone instance is terminated only after its target group drained it', async () => {
    const h = await rolloutHarness({
      fleet: 'standalone',
      capacity: 2,
      targetGroup: true,
      deregistrationDelaySeconds: 120,
      spec: { strategy: 'canary', steps: [{ setWeight: 100 }] },
    });
    const [tg] = h.targetGroupArns;
    const old = h.model.liveInstances(t => t.app === 'web');
    const leftAt = new Map<string, number>();
    const goneAt = new Map<string, number>();
    const done = await h.until(r => {
      for (const id of old) {
        const serving = h.model.serving([id], [tg]).length > 0;
        if (!serving && !leftAt.has(id)) leftAt.set(id, h.model.now());
        if (h.model.instance(id).state !== 'running' && !goneAt.has(id)) {
          goneAt.set(id, h.model.now());
        }
      }
      return !r.active;
    }, 200);
    expect(done.state).toBe('succeeded');
    for (const id of old) {
      // Out of the target group, then at least the delay before it goes.
      expect(goneAt.get(id)! - leftAt.get(id)!).toBeGreaterThanOrEqual(120_000);
    }
    const view = await h.view();
    expect(view.events.filter(e => /terminating/.test(e.message))).toHaveLength(
      old.length,
    );
  });

  it('a crash between deregistering an old standalone instance and terminating it, then an abort: the old instance serves again before the new one goes', async () => {
    // Shrunk from a random history (seed 20261205): the abort's clean-up
    // took the deregistered old instance for serving and terminated the
    // only instance that served.
    const h = await rolloutHarness({
      fleet: 'standalone',
      capacity: 1,
      targetGroup: true,
      drifted: 1,
      spec: { strategy: 'replaceDrifted' },
    });
    const [tg] = h.targetGroupArns;
    const [old] = h.model.liveInstances(t => t.app === 'web');
    await h.until(
      r =>
        r.currentStep === 0 &&
        h.model.serving(
          h.model.liveInstances(t => t.app === 'web'),
          [tg],
        ).length === 2,
    );
    await h.crashingEngine(4).tick();
    expect(h.model.serving([old], [tg])).toEqual([]);
    expect(await h.act('abort')).toBe(true);
    let lowest = Infinity;
    const done = await h.until(r => {
      lowest = Math.min(
        lowest,
        h.model.serving(
          h.model.liveInstances(t => t.app === 'web'),
          [tg],
        ).length,
      );
      return !r.active;
    });
    expect(done.state).toBe('aborted');
    expect(lowest).toBe(1);
    expect(h.model.liveInstances(t => t.app === 'web')).toEqual([old]);
    expect(h.model.serving([old], [tg])).toEqual([old]);
  });
});

describe('blue-green with a preview target group', () => {
  const blueGreen = (options: object = {}) =>
    rolloutHarness({
      fleet: 'standalone',
      capacity: 2,
      targetGroup: true,
      previewTargetGroup: true,
      deregistrationDelaySeconds: 10,
      spec: { strategy: 'blueGreen', blueGreen: { scaleDownDelay: '10s' } },
      ...options,
    });

  /** Where each instance stands in a target group: unused, initial, healthy, draining… */
  const statesIn = (
    h: Awaited<ReturnType<typeof blueGreen>>,
    arn: string,
    ids: string[],
  ) => ids.map(id => h.model.targetHealth(arn, id).state);

  it('keeps green out of the production target group until the switch, and blue serves until green serves there', async () => {
    const h = await blueGreen();
    const [live] = h.targetGroupArns;
    const [preview] = h.previewTargetGroupArns;
    const blue = h.model.liveInstances(t => t.app === 'web');
    const greenOf = () =>
      h.model
        .liveInstances(t => t.app === 'web')
        .filter(id => !blue.includes(id));
    let lowest = Infinity;
    const early: string[] = [];
    const watch = (r: RolloutRecord) => {
      // Green joins production at the switch step, and not before.
      const beforeSwitch = r.plan.steps
        .slice(r.currentStep)
        .some(step => step.kind === 'switch');
      if (beforeSwitch && r.plan.steps[r.currentStep].kind !== 'switch') {
        early.push(
          ...statesIn(h, live, greenOf()).filter(state => state !== 'unused'),
        );
      }
      lowest = Math.min(
        lowest,
        h.model.serving(
          h.model.liveInstances(t => t.app === 'web'),
          [live],
        ).length,
      );
    };
    const paused = await h.until(r => {
      watch(r);
      return r.plan.steps[r.currentStep].kind === 'pause';
    });
    expect(paused.currentStep).toBe(1);
    // Gated in the preview target group, serving nothing in production.
    expect(h.model.serving(greenOf(), [preview])).toHaveLength(2);
    expect(h.model.serving(blue, [live])).toEqual(blue);
    expect(await h.act('promote')).toBe(true);
    const done = await h.until(r => {
      watch(r);
      return !r.active;
    });
    expect(done.state).toBe('succeeded');
    expect(early).toEqual([]);
    expect(lowest).toBe(2);
    const green = greenOf();
    expect(green).toHaveLength(2);
    expect(h.model.serving(green, [live])).toEqual(green);
    for (const state of statesIn(h, preview, green)) {
      expect(['unused', 'draining']).toContain(state);
    }
    for (const id of blue) {
      expect(h.model.instance(id).state).not.toBe('running');
    }
  });

  it('an abort after the switch serves from blue again before green goes', async () => {
    const h = await blueGreen();
    const [live] = h.targetGroupArns;
    const blue = h.model.liveInstances(t => t.app === 'web');
    await h.until(r => r.plan.steps[r.currentStep].kind === 'pause');
    expect(await h.act('promote')).toBe(true);
    await h.until(r => !!r.plan.switched);
    expect(await h.act('abort')).toBe(true);
    let lowest = Infinity;
    // How many of blue served each time a green instance was going.
    const blueWhileGreenWent = new Set<number>();
    const green = h.model
      .liveInstances(t => t.app === 'web')
      .filter(id => !blue.includes(id));
    expect(green).toHaveLength(2);
    const done = await h.until(r => {
      const fleet = h.model.liveInstances(t => t.app === 'web');
      lowest = Math.min(lowest, h.model.serving(fleet, [live]).length);
      if (green.some(id => h.model.instance(id).state !== 'running')) {
        blueWhileGreenWent.add(h.model.serving(blue, [live]).length);
      }
      return !r.active;
    });
    expect(done.state).toBe('aborted');
    expect([...blueWhileGreenWent]).toEqual([2]);
    expect(lowest).toBe(2);
    expect(h.model.liveInstances(t => t.app === 'web')).toEqual(blue);
    expect(h.model.serving(blue, [live])).toEqual(blue);
    // Retried, it starts before the switch again: green waits in preview.
    expect(await h.act('retry')).toBe(true);
    const early: string[] = [];
    const paused = await h.until(r => {
      const greenAgain = h.model
        .liveInstances(t => t.app === 'web')
        .filter(id => !blue.includes(id));
      early.push(...statesIn(h, live, greenAgain).filter(s => s !== 'unused'));
      return (
        r.state === 'running' && r.plan.steps[r.currentStep].kind === 'pause'
      );
    });
    expect(paused.plan.switched).toBe(false);
    expect(early).toEqual([]);
  });

  it('an alarm during the bake aborts, and blue serves again', async () => {
    const h = await blueGreen({
      alarms: ['web-errors'],
      spec: {
        strategy: 'blueGreen',
        blueGreen: { autoPromote: true, bakeTime: '5m', scaleDownDelay: '10s' },
      },
    });
    const [live] = h.targetGroupArns;
    const blue = h.model.liveInstances(t => t.app === 'web');
    h.model.setAlarm('web-errors', 'OK');
    const baking = await h.until(
      r => r.plan.steps[r.currentStep].kind === 'bake',
    );
    expect(baking.plan.switched).toBe(true);
    h.model.setAlarm('web-errors', 'ALARM');
    const done = await h.until(r => !r.active);
    expect(done.state).toBe('aborted');
    expect(done.reason).toMatch(/web-errors is in ALARM/);
    expect(h.model.liveInstances(t => t.app === 'web')).toEqual(blue);
    expect(h.model.serving(blue, [live])).toEqual(blue);
  });
});
