import fc from 'fast-check';
import {
  GROUP,
  NEW_AMI,
  ROLLOUT_ID,
  rolloutHarness,
} from '../__testUtils__/rolloutHarness';

/**
 * The rollout engine over random histories of the AWS model: ticks, two
 * engines at once, crashes half way, scaling policies, instance deaths,
 * launch failures, alarms, throttling, revocations, and a user's pause,
 * resume, promote, abort and retry at any moment, over canary, blue-green,
 * replace-drifted and fast rollback, of groups and standalone fleets.
 * Invariants are checked after every event. `ROLLOUT_PROPERTY_RUNS` sets
 * the number of histories, `ROLLOUT_PROPERTY_SEED` (1 by default) the seed.
 */
const RUNS = Number(process.env.ROLLOUT_PROPERTY_RUNS ?? 200);
// A fixed seed by default, so that a run is replayed exactly; set
// ROLLOUT_PROPERTY_SEED to explore other histories.
const SEED = Number(process.env.ROLLOUT_PROPERTY_SEED ?? 1);

jest.setTimeout(Math.max(60_000, RUNS * 400));

const specs = fc.oneof(
  fc.record({
    strategy: fc.constant('canary'),
    steps: fc.constantFrom(
      [{ setWeight: 25 }, { pause: {} }, { setWeight: 100 }],
      [{ setWeight: 50 }, { pause: { duration: '30s' } }, { setWeight: 100 }],
      [{ setWeight: 34 }, { analysis: { duration: '1m' } }, { setWeight: 100 }],
      [{ setWeight: 100 }],
    ),
    maxSurgePercent: fc.constantFrom(25, 50, 100),
    minHealthyPercent: fc.constantFrom(50, 100),
  }),
  fc.record({
    strategy: fc.constant('blueGreen'),
    blueGreen: fc.oneof(
      fc.record({
        autoPromote: fc.boolean(),
        scaleDownDelay: fc.constant('30s'),
      }),
      fc.record({
        autoPromote: fc.boolean(),
        bakeTime: fc.constant('1m'),
        scaleDownDelay: fc.constant('30s'),
      }),
    ),
  }),
  fc.record({ strategy: fc.constant('replaceDrifted') }),
  fc.record({ strategy: fc.constant('rollback'), fast: fc.constant(true) }),
);

const scenarios = fc.record({
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  fleet: fc.constantFrom('group' as const, 'standalone' as const),
  capacity: fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: 1, max: 6 }) },
    { weight: 1, arbitrary: fc.integer({ min: 7, max: 50 }) },
  ),
  spec: specs,
  targetGroup: fc.boolean(),
  /** Standalone blue-green: green waits in a preview target group. */
  preview: fc.boolean(),
  protect: fc.boolean(),
});

type Event =
  | {
      kind:
        | 'tick'
        | 'double'
        | 'promote'
        | 'pause'
        | 'resume'
        | 'abort'
        | 'retry'
        | 'revoke';
    }
  | { kind: 'ticks'; n: number }
  | { kind: 'crash'; calls: number }
  | { kind: 'scale'; desired: number }
  | { kind: 'kill' | 'stop'; pick: number }
  | { kind: 'failLaunches'; count: number }
  | { kind: 'throttle'; n: number }
  | { kind: 'alarm'; state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA' };

const events: fc.Arbitrary<Event[]> = fc.array(
  fc.oneof(
    { weight: 20, arbitrary: fc.constant({ kind: 'tick' as const }) },
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant('ticks' as const),
        n: fc.integer({ min: 2, max: 12 }),
      }),
    },
    { weight: 3, arbitrary: fc.constant({ kind: 'double' as const }) },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('crash' as const),
        calls: fc.integer({ min: 0, max: 12 }),
      }),
    },
    { weight: 3, arbitrary: fc.constant({ kind: 'promote' as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'pause' as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'resume' as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'abort' as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'retry' as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'revoke' as const }) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('scale' as const),
        desired: fc.integer({ min: 0, max: 12 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constantFrom('kill' as const, 'stop' as const),
        pick: fc.nat(),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('failLaunches' as const),
        count: fc.integer({ min: 1, max: 4 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('throttle' as const),
        n: fc.integer({ min: 1, max: 5 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('alarm' as const),
        state: fc.constantFrom(
          'OK' as const,
          'ALARM' as const,
          'INSUFFICIENT_DATA' as const,
        ),
      }),
    },
  ),
  { maxLength: 40 },
);

const FINISHED = ['succeeded', 'failed', 'aborted'];

/** An invariant of every history: a broken one fails the property. */
function invariant(holds: boolean, what: string): void {
  if (!holds) {
    throw new Error(`invariant broken: ${what}`);
  }
}

describe('rollout invariants over random histories', () => {
  it(`hold over ${RUNS} histories`, async () => {
    await fc.assert(
      fc.asyncProperty(scenarios, events, async (scenario, history) => {
        const h = await rolloutHarness({
          seed: scenario.seed,
          fleet: scenario.fleet,
          capacity: scenario.capacity,
          spec: scenario.spec,
          targetGroup: scenario.targetGroup,
          previewTargetGroup:
            scenario.targetGroup &&
            scenario.preview &&
            scenario.spec.strategy === 'blueGreen',
          protect: scenario.protect,
          alarms: ['web-errors'],
          drifted:
            scenario.spec.strategy === 'replaceDrifted'
              ? Math.ceil(scenario.capacity / 2)
              : undefined,
          maxSize: scenario.capacity * 2 + 2,
        });
        h.model.setAlarm('web-errors', 'OK');
        const planned = (await h.record()).plan;
        const fleet = planned.fleets[0];
        const tgs = fleet.targetGroupArns;
        const floor = Math.ceil(
          (fleet.capacity * (planned.minHealthyPercent ?? 100)) / 100,
        );
        const groupSnapshot = () => h.model.groupSnapshot(GROUP);
        const before = scenario.fleet === 'group' ? groupSnapshot() : undefined;
        const fleetIds = () =>
          scenario.fleet === 'group'
            ? groupSnapshot()
                .instances.filter(i => i.lifecycleState !== 'Terminating')
                .map(i => i.instanceId)
            : h.model.liveInstances(t => t.app === 'web');
        // Whatever disturbs the fleet from outside voids the capacity bound.
        let disturbed = false;
        let revokedAt: number | undefined;
        let terminal: string | undefined;

        const check = async () => {
          const r = await h.record();
          // A terminal state is final (a retry is a user's new attempt),
          // and its reason names the cause.
          invariant(
            r.state === 'succeeded' ||
              !FINISHED.includes(r.state) ||
              Boolean(r.reason),
            `a ${r.state} rollout names its cause`,
          );
          invariant(
            !terminal ||
              r.active ||
              !FINISHED.includes(terminal) ||
              r.state === terminal,
            `a ${terminal} rollout stays ${terminal} (now ${r.state})`,
          );
          terminal = !r.active ? r.state : undefined;
          // The channel moves if and only if the rollout succeeded, never
          // to a revoked version.
          invariant(
            h.store.channelMoves.length === 0 || r.state === 'succeeded',
            `the channel moved, the rollout is ${r.state}`,
          );
          invariant(
            revokedAt === undefined ||
              h.store.channelMoves.length === revokedAt,
            'the channel moved after the version was revoked',
          );
          // Healthy capacity never below the floor, and never more than the
          // capacity plus the surge (blue-green: twice), unless something
          // from outside moved the fleet (a death, a stop, a policy, a
          // failed launch).
          const serving = h.model.serving(fleetIds(), tgs).length;
          invariant(
            disturbed || serving >= Math.min(floor, fleet.capacity),
            `${serving} instances serve, below the floor of ${floor}`,
          );
          invariant(
            disturbed || fleetIds().length <= fleet.capacity + fleet.maxSurge,
            `${fleetIds().length} instances, over ${fleet.capacity} + ${
              fleet.maxSurge
            }`,
          );
          // Blue-green with a preview target group: green takes no
          // production traffic before the switch step.
          const beforeSwitch = r.plan.steps
            .slice(r.currentStep)
            .some(step => step.kind === 'switch');
          if (
            fleet.previewTargetGroupArns?.length &&
            beforeSwitch &&
            r.plan.steps[r.currentStep].kind !== 'switch'
          ) {
            const green = h.model
              .launchedByRollout(ROLLOUT_ID)
              .filter(id => fleetIds().includes(id));
            const inProduction = green.filter(id =>
              tgs.some(arn => h.model.targetHealth(arn, id).state !== 'unused'),
            );
            invariant(
              inProduction.length === 0,
              `green ${inProduction.join(
                ', ',
              )} in production before the switch`,
            );
          }
        };

        for (const event of history) {
          switch (event.kind) {
            case 'tick':
              await h.tick();
              break;
            case 'ticks':
              for (let i = 0; i < event.n; i++) await h.tick();
              break;
            case 'double':
              await Promise.all([h.engine().tick(), h.engine().tick()]);
              h.model.step();
              break;
            case 'crash':
              await h.crashingEngine(event.calls).tick();
              break;
            case 'promote':
            case 'pause':
            case 'resume':
            case 'abort':
            case 'retry':
              await h.act(event.kind);
              break;
            case 'revoke':
              h.store.versionStates.set('web@2', 'revoked');
              revokedAt ??= h.store.channelMoves.length;
              break;
            case 'scale':
              if (scenario.fleet === 'group') {
                h.model.policyScale(GROUP, event.desired);
                disturbed = true;
              }
              break;
            case 'kill':
            case 'stop': {
              const ids = fleetIds();
              if (ids.length) {
                const id = ids[event.pick % ids.length];
                if (event.kind === 'kill') h.model.killInstance(id);
                else h.model.stopInstance(id);
                disturbed = true;
              }
              break;
            }
            case 'failLaunches':
              h.model.failLaunches({
                code: 'InsufficientInstanceCapacity',
                count: event.count,
              });
              disturbed = true;
              break;
            case 'throttle':
              h.model.throttle(event.n);
              break;
            case 'alarm':
              h.model.setAlarm('web-errors', event.state);
              break;
            default:
              break;
          }
          await check();
        }

        // Then the faults stop and a patient user promotes what waits and
        // resumes what paused: every history ends within its deadlines.
        h.model.setAlarm('web-errors', 'OK');
        h.model.clearLaunchFailures();
        let r = await h.record();
        for (let i = 0; i < 600 && r.active; i++) {
          if (r.state === 'paused') {
            await h.act('resume');
          }
          await h.act('promote');
          r = await h.tick();
          await check();
        }
        invariant(
          !r.active && FINISHED.includes(r.state),
          `the history ended (it is ${r.state}, active: ${r.active})`,
        );

        // The cloud's own work done (a stopped group instance is the
        // group's to replace, which the model leaves alone: not settled).
        h.model.advance(300_000);
        if (before) {
          const after = groupSnapshot();
          invariant(
            after.minSize === before.minSize &&
              after.maxSize === before.maxSize &&
              after.protectNewInstances === before.protectNewInstances,
            `the group's sizes and protection put back (${JSON.stringify([
              after.minSize,
              after.maxSize,
              after.protectNewInstances,
            ])})`,
          );
          invariant(
            JSON.stringify(after.tags) === JSON.stringify(before.tags),
            'the group has its tags as before',
          );
          invariant(
            before.protectNewInstances ||
              after.instances.every(i => !i.protectedFromScaleIn),
            'no instance keeps the protection of the rollout',
          );
          invariant(
            r.state === 'succeeded'
              ? Number(after.launchTemplate.version) ===
                  r.plan.fleets[0].newTemplateVersion
              : JSON.stringify(after.launchTemplate) ===
                  JSON.stringify(before.launchTemplate),
            `the group launches from ${JSON.stringify(after.launchTemplate)}`,
          );
        }
        const images = fleetIds().map(id => h.model.instance(id).imageId);
        invariant(
          r.state !== 'succeeded' ||
            scenario.spec.strategy === 'replaceDrifted' ||
            images.every(i => i === NEW_AMI),
          'every instance runs the new version after success',
        );
        invariant(
          disturbed || fleetIds().length === fleet.capacity,
          `the fleet has its capacity of ${fleet.capacity} (${
            fleetIds().length
          })`,
        );
        invariant(
          disturbed ||
            r.state === 'succeeded' ||
            h.model.serving(fleetIds(), tgs).length >= fleet.capacity,
          'aborted or failed: the capacity it had serves',
        );
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
});
