import request from 'supertest';
import { createTestDatabases } from '../__testUtils__/databases';
import { component, createRouterTestApp } from '../__testUtils__/routerTestApp';
import { FleetInstance, FleetProvider } from '../providers/FleetProvider';
import { DatabaseFindingLifetimeStore } from '../fleet/FindingLifetimeStore';
import { lifetimeChanges } from './FindingLifetimeRecorder';
import { DatabaseRolloutStore } from '../rollouts/DatabaseRolloutStore';
import { REMEDIATION_ACTOR } from '../rollouts/RolloutReplacements';
import { NewRollout } from '../rollouts/RolloutStore';

jest.setTimeout(60_000);

const databases = createTestDatabases();

const WEB = 'component:default/web';

function instance(
  instanceId: string,
  options: Partial<FleetInstance> = {},
): FleetInstance {
  return {
    instanceId,
    region: 'us-east-1',
    imageId: 'ami-0123456789abcdef0',
    state: 'running',
    sshExposure: 'none',
    sshSources: [],
    tags: { environment: 'production', app: 'web' },
    ...options,
  };
}

/** A rollout of web in production that planned to replace `oldInstanceIds`. */
function rollout(
  id: string,
  createdBy: string,
  oldInstanceIds: string[],
): NewRollout {
  return {
    id,
    entityRef: WEB,
    environment: 'production',
    family: 'web',
    toVersion: 'web@1',
    movesChannel: false,
    strategy: 'replaceDrifted',
    state: 'running',
    currentStep: 0,
    promoted: false,
    createdBy,
    plan: {
      fleets: [{ key: 'web-standalone', oldInstanceIds }],
      steps: [],
    },
  } as unknown as NewRollout;
}

describe.each(databases.eachSupportedId())(
  'drift lifetimes recorded by the fleet sync on %p',
  id => {
    async function setup() {
      let fleet: FleetInstance[] = [];
      let reachable = true;
      const provider: FleetProvider = {
        listInstances: async () => {
          if (!reachable) {
            throw new Error('EC2 did not answer');
          }
          return fleet;
        },
        getLaunchTemplateDefault: async () => undefined,
        describeAutoScalingGroups: async () => [],
      } as unknown as FleetProvider;
      const knex = await databases.init(id);
      const test = await createRouterTestApp(
        [
          component('web', {
            'immutable-infra.io/image-family': 'web',
            'immutable-infra.io/fleet-selector': 'app=web',
          }),
        ],
        { knex, fleetProvider: provider },
      );
      await test.services.stores.families.enrollFamily({
        name: 'web',
        entityRef: WEB,
        actor: 'user:default/ada',
      });
      const lifetimes = DatabaseFindingLifetimeStore.create({
        knex: test.knex,
      });
      const openOf = async () =>
        (await lifetimes.listOpen(WEB)).map(l => [l.rule, l.instanceId]);
      return {
        ...test,
        lifetimes,
        openOf,
        setFleet: (instances: FleetInstance[]) => {
          fleet = instances;
        },
        setReachable: (yes: boolean) => {
          reachable = yes;
        },
      };
    }

    it('opens a life per finding a sync finds, with what triggered it, and closes it resolved, terminated or replaced', async () => {
      const t = await setup();
      t.setFleet([
        instance('i-1', { sshExposure: 'world', sshSources: ['0.0.0.0/0'] }),
        instance('i-2', { sshExposure: 'world', sshSources: ['0.0.0.0/0'] }),
        instance('i-3', { sshExposure: 'world', sshSources: ['0.0.0.0/0'] }),
      ]);
      await t.services.fleetSync.run(WEB, { trigger: 'event' });
      const opened = await t.lifetimes.listOpen(WEB);
      expect(
        opened.filter(l => l.rule === 'ssh-open').map(l => l.instanceId),
      ).toEqual(['i-1', 'i-2', 'i-3']);
      expect(opened.every(l => l.seenBy === 'event')).toBe(true);
      const sshOf = (instanceId: string) =>
        opened.find(l => l.rule === 'ssh-open' && l.instanceId === instanceId)!;

      // Synced again, nothing changed: the same lives stay open.
      await t.services.fleetSync.run(WEB);
      expect((await t.lifetimes.listOpen(WEB)).map(l => l.id)).toEqual(
        opened.map(l => l.id),
      );

      // i-1's port closed, i-2 terminated by a rollout the remediation
      // policy started, i-3 terminated by someone else.
      const rollouts = DatabaseRolloutStore.create({ knex: t.knex });
      await rollouts.create({
        rollout: rollout(
          '00000000-0000-4000-8000-0000000000a1',
          REMEDIATION_ACTOR,
          ['i-2'],
        ),
        events: [],
        audit: [],
      });
      await rollouts.update('00000000-0000-4000-8000-0000000000a1', 0, {
        steps: [
          {
            step: 0,
            fleet: 'web-standalone',
            action: 'terminate',
            detail: { instanceIds: ['i-2'] },
          },
        ],
      });
      t.setFleet([instance('i-1'), instance('i-4')]);
      await t.services.fleetSync.run(WEB);

      const gone = await t.lifetimes.listGone({
        since: '2000-01-01T00:00:00.000Z',
        entityRef: WEB,
      });
      const goneOf = (instanceId: string) =>
        gone.find(l => l.id === sshOf(instanceId).id);
      expect(goneOf('i-1')).toMatchObject({ goneBy: 'resolved' });
      expect(goneOf('i-2')).toMatchObject({
        goneBy: 'replaced',
        rolloutId: '00000000-0000-4000-8000-0000000000a1',
        automatic: true,
      });
      expect(goneOf('i-3')).toMatchObject({
        goneBy: 'terminated',
        rolloutId: undefined,
      });
      expect(
        gone.every(l => l.goneAt !== undefined && l.goneAt >= l.firstSeenAt),
      ).toBe(true);
      // The new instance's own findings open lives of their own, by the poll.
      expect(
        (await t.lifetimes.listOpen(WEB)).filter(l => l.instanceId === 'i-4'),
      ).toEqual(
        expect.arrayContaining([expect.objectContaining({ seenBy: 'poll' })]),
      );
    });

    it("answers the drift of an entity with each group's age and its drift lifetime over 30 and 90 days", async () => {
      const t = await setup();
      t.setFleet([
        instance('i-1', { sshExposure: 'world', sshSources: ['0.0.0.0/0'] }),
        instance('i-2', { sshExposure: 'world', sshSources: ['0.0.0.0/0'] }),
      ]);
      await t.services.fleetSync.run(WEB);
      const [first] = (await t.lifetimes.listOpen(WEB)).filter(
        l => l.rule === 'ssh-open',
      );
      // Lives gone 10 and 60 days ago, of 1 hour and 3 hours.
      const day = 86_400_000;
      const past = async (
        goneDaysAgo: number,
        hours: number,
        auto: boolean,
      ) => {
        const gone = Date.now() - goneDaysAgo * day;
        await t.lifetimes.record({
          entityRef: WEB,
          at: new Date(gone - hours * 3_600_000).toISOString(),
          open: [
            {
              rule: 'ssh-key',
              rootCause: `ssh-key:old-${goneDaysAgo}`,
              seenBy: 'poll',
            },
          ],
          close: [],
        });
        const [life] = (await t.lifetimes.listOpen(WEB)).filter(
          l => l.rootCause === `ssh-key:old-${goneDaysAgo}`,
        );
        await t.lifetimes.record({
          entityRef: WEB,
          at: new Date(gone).toISOString(),
          open: [],
          close: [
            auto
              ? {
                  id: life.id,
                  goneBy: 'replaced',
                  rolloutId: 'r-1',
                  automatic: true,
                }
              : { id: life.id, goneBy: 'resolved' },
          ],
        });
      };
      await past(10, 1, true);
      await past(60, 3, false);

      const { body } = await request(t.app)
        .get('/entities/component/default/web/drift')
        .expect(200);
      const group = body.groups.find((g: any) => g.rule === 'ssh-open');
      expect(group.firstSeenAt).toBe(first.firstSeenAt);
      expect(group.findings.map((f: any) => f.firstSeenAt)).toEqual([
        first.firstSeenAt,
        first.firstSeenAt,
      ]);
      const open = await t.lifetimes.listOpen(WEB);
      expect(body.lifetime).toEqual({
        open: open.length,
        oldestOpenSince: first.firstSeenAt,
        windows: [
          {
            days: 30,
            gone: 1,
            p50Seconds: 3600,
            p95Seconds: 3600,
            erasedAutomatically: 1,
          },
          {
            days: 90,
            gone: 2,
            p50Seconds: 3600,
            p95Seconds: 10800,
            erasedAutomatically: 1,
          },
        ],
      });
    });

    it('says a replacement by a person is not automatic', async () => {
      const t = await setup();
      t.setFleet([
        instance('i-1', { sshExposure: 'world', sshSources: ['0.0.0.0/0'] }),
      ]);
      await t.services.fleetSync.run(WEB);
      const rollouts = DatabaseRolloutStore.create({ knex: t.knex });
      await rollouts.create({
        rollout: rollout(
          '00000000-0000-4000-8000-0000000000b1',
          'user:default/ada',
          ['i-1'],
        ),
        events: [],
        audit: [],
      });
      await rollouts.update('00000000-0000-4000-8000-0000000000b1', 0, {
        state: 'succeeded',
      });
      t.setFleet([instance('i-2')]);
      await t.services.fleetSync.run(WEB);
      const [gone] = (
        await t.lifetimes.listGone({ since: '2000-01-01T00:00:00.000Z' })
      ).filter(l => l.rule === 'ssh-open');
      expect(gone).toMatchObject({
        instanceId: 'i-1',
        goneBy: 'replaced',
        rolloutId: '00000000-0000-4000-8000-0000000000b1',
        automatic: false,
      });
    });

    it('closes nothing on a failed sync: stale data is no evidence', async () => {
      const t = await setup();
      t.setFleet([
        instance('i-1', { sshExposure: 'world', sshSources: ['0.0.0.0/0'] }),
      ]);
      await t.services.fleetSync.run(WEB);
      const before = await t.openOf();
      expect(before).toContainEqual(['ssh-open', 'i-1']);

      t.setReachable(false);
      t.setFleet([]);
      const [result] = await t.services.fleetSync.run(WEB);
      expect(result.status).toBe('failed');
      expect(await t.openOf()).toEqual(before);
      expect(
        await t.lifetimes.listGone({ since: '2000-01-01T00:00:00.000Z' }),
      ).toEqual([]);

      // The next good sync is evidence again.
      t.setReachable(true);
      await t.services.fleetSync.run(WEB);
      expect(await t.openOf()).toEqual([]);
    });
  },
);

describe('lifetimeChanges', () => {
  const mismatch = {
    rule: 'image-mismatch' as const,
    severity: 'medium' as const,
    instanceId: 'i-1',
    environment: 'production',
    detail: 'i-1 runs web@1, production is on web@2',
    fix: 'Roll out web@2',
    rootCause: 'image-mismatch:production:web@1',
  };
  const openMismatch = {
    id: '1',
    entityRef: WEB,
    rule: mismatch.rule,
    rootCause: mismatch.rootCause,
    instanceId: 'i-1',
    firstSeenAt: '2026-12-01T10:00:00.000Z',
    seenBy: 'poll' as const,
  };
  const onItsWay = {
    id: 'r-1',
    environment: 'production',
    state: 'running',
    fleets: [{ replaceOnly: false, oldInstanceIds: ['i-1'] }],
  } as any;

  it('neither opens nor closes what a rollout on its way makes, and ignores a stale inventory', () => {
    const staleInventory = {
      ...mismatch,
      rule: 'stale-inventory' as const,
      instanceId: undefined,
      rootCause: 'stale-inventory',
    };
    expect(
      lifetimeChanges({
        open: [],
        findings: [mismatch, staleInventory],
        instanceIds: new Set(['i-1']),
        rollouts: [onItsWay],
        replacements: new Map(),
        seenBy: 'poll',
      }),
    ).toEqual({ open: [], close: [] });
    // Open before the rollout: it stays open while the rollout runs.
    expect(
      lifetimeChanges({
        open: [openMismatch],
        findings: [mismatch],
        instanceIds: new Set(['i-1']),
        rollouts: [onItsWay],
        replacements: new Map(),
        seenBy: 'poll',
      }),
    ).toEqual({ open: [], close: [] });
    // An aborted rollout is not on its way: the mixed fleet it leaves is drift.
    expect(
      lifetimeChanges({
        open: [],
        findings: [mismatch],
        instanceIds: new Set(['i-1']),
        rollouts: [{ ...onItsWay, state: 'aborted' }],
        replacements: new Map(),
        seenBy: 'event',
      }).open,
    ).toEqual([
      {
        rule: 'image-mismatch',
        rootCause: mismatch.rootCause,
        instanceId: 'i-1',
        environment: 'production',
        seenBy: 'event',
      },
    ]);
  });
});
