import { createTestDatabases } from '../__testUtils__/databases';
import { migrateForTests } from '../__testUtils__/migrate';
import { DatabaseRolloutStore } from '../rollouts/DatabaseRolloutStore';
import { REMEDIATION_ACTOR } from '../rollouts/RolloutReplacements';
import { NewRollout } from '../rollouts/RolloutStore';
import { DatabaseRemediationStore } from './RemediationStore';

jest.setTimeout(60_000);

const databases = createTestDatabases();

const WEB = 'component:default/web';
const API = 'component:default/api';
const R1 = '00000000-0000-4000-8000-0000000000a1';
const R2 = '00000000-0000-4000-8000-0000000000a2';

function rollout(id: string, entityRef: string): NewRollout {
  return {
    id,
    entityRef,
    environment: 'production',
    family: 'web',
    toVersion: 'web@1',
    movesChannel: false,
    strategy: 'replaceDrifted',
    state: 'running',
    currentStep: 0,
    promoted: false,
    createdBy: REMEDIATION_ACTOR,
    plan: { fleets: [], steps: [] },
  } as unknown as NewRollout;
}

const audit = (action: string) => ({
  actor: REMEDIATION_ACTOR,
  action,
  entityRef: WEB,
});

describe.each(databases.eachSupportedId())(
  'DatabaseRemediationStore on %p',
  id => {
    async function setup() {
      const knex = await databases.init(id);
      await migrateForTests(knex);
      return {
        knex,
        store: DatabaseRemediationStore.create({ knex }),
        rollouts: DatabaseRolloutStore.create({ knex }),
      };
    }

    it("records actions with their audit event, and lists an entity's since a time with its rollout's state", async () => {
      const { knex, store, rollouts } = await setup();
      await rollouts.create({
        rollout: rollout(R1, WEB),
        events: [],
        audit: [],
      });
      await store.record(
        {
          entityRef: WEB,
          kind: 'started',
          rule: 'ssh-open',
          rootCause: 'ssh-open:world',
          environment: 'production',
          rolloutId: R1,
          account: '123456789012',
          regions: ['us-east-1', 'eu-west-1'],
          instanceIds: ['i-1', 'i-2'],
          detail: 'auto:ssh-open',
          at: '2026-12-01T10:00:00.000Z',
        },
        audit('remediation.start'),
      );
      await store.record(
        {
          entityRef: WEB,
          kind: 'observed',
          rule: 'revoked-image',
          rootCause: 'revoked-image:web@1',
          instanceIds: [],
          at: '2026-12-01T09:00:00.000Z',
        },
        audit('remediation.observe'),
      );
      await store.record(
        {
          entityRef: API,
          kind: 'observed',
          rule: 'ssh-key',
          rootCause: 'ssh-key:ops',
          at: '2026-12-01T10:00:00.000Z',
        },
        { ...audit('remediation.observe'), entityRef: API },
      );

      const listed = await store.listSince({
        entityRef: WEB,
        since: '2026-12-01T08:00:00.000Z',
      });
      expect(listed).toEqual([
        expect.objectContaining({
          kind: 'observed',
          rootCause: 'revoked-image:web@1',
          instanceIds: [],
          regions: [],
          rolloutId: undefined,
          rolloutActive: undefined,
          at: '2026-12-01T09:00:00.000Z',
        }),
        expect.objectContaining({
          kind: 'started',
          rule: 'ssh-open',
          rootCause: 'ssh-open:world',
          environment: 'production',
          rolloutId: R1,
          rolloutState: 'running',
          rolloutActive: true,
          account: '123456789012',
          regions: ['us-east-1', 'eu-west-1'],
          instanceIds: ['i-1', 'i-2'],
          detail: 'auto:ssh-open',
          at: '2026-12-01T10:00:00.000Z',
        }),
      ]);
      // The bound is inclusive; earlier actions are left out.
      expect(
        (
          await store.listSince({
            entityRef: WEB,
            since: '2026-12-01T10:00:00.000Z',
          })
        ).map(a => a.kind),
      ).toEqual(['started']);

      const audited = await knex('audit_events')
        .where({ actor: REMEDIATION_ACTOR })
        .orderBy('id');
      expect(audited.map(a => [a.action, a.entity_ref])).toEqual([
        ['remediation.start', WEB],
        ['remediation.observe', WEB],
        ['remediation.observe', API],
      ]);
    });

    it('lists only the started rollouts that still hold their environment', async () => {
      const { store, rollouts } = await setup();
      for (const [rolloutId, entityRef] of [
        [R1, WEB],
        [R2, API],
      ]) {
        await rollouts.create({
          rollout: rollout(rolloutId, entityRef),
          events: [],
          audit: [],
        });
        await store.record(
          {
            entityRef,
            kind: 'started',
            rule: 'ssh-open',
            rootCause: 'ssh-open:world',
            rolloutId,
            regions: ['us-east-1'],
            at: '2026-12-01T10:00:00.000Z',
          },
          audit('remediation.start'),
        );
      }
      expect(
        (await store.listActiveStarted()).map(a => a.rolloutId).sort(),
      ).toEqual([R1, R2]);
      await rollouts.update(R2, 0, { state: 'succeeded', release: true });
      expect((await store.listActiveStarted()).map(a => a.rolloutId)).toEqual([
        R1,
      ]);
      const [api] = await store.listSince({
        entityRef: API,
        since: '2026-12-01T00:00:00.000Z',
      });
      expect(api).toMatchObject({
        rolloutState: 'succeeded',
        rolloutActive: false,
      });
      expect(api.rolloutUpdatedAt).toEqual(expect.any(String));
    });

    it('gives the latest stop or resume of each root cause, and bounds what it keeps', async () => {
      const { store } = await setup();
      const stop = (
        kind: 'stopped' | 'resumed',
        rootCause: string,
        at: string,
      ) =>
        store.record(
          {
            entityRef: WEB,
            kind,
            rule: rootCause.split(':')[0],
            rootCause,
            instanceIds: Array.from({ length: 150 }, (_, i) => `i-${i}`),
            detail: 'x'.repeat(2000),
            at,
          },
          audit(`remediation.${kind === 'stopped' ? 'stop' : 'resume'}`),
        );
      await stop('stopped', 'ssh-open:world', '2026-12-01T10:00:00.000Z');
      await stop('resumed', 'ssh-open:world', '2026-12-01T11:00:00.000Z');
      await stop('stopped', 'ssh-key:ops', '2026-12-01T09:00:00.000Z');
      const latest = await store.latestStops(WEB);
      expect([...latest.keys()].sort()).toEqual([
        'ssh-key:ops',
        'ssh-open:world',
      ]);
      expect(latest.get('ssh-open:world')!.kind).toBe('resumed');
      expect(latest.get('ssh-key:ops')!.kind).toBe('stopped');
      expect(latest.get('ssh-key:ops')!.instanceIds).toHaveLength(100);
      expect(latest.get('ssh-key:ops')!.detail).toHaveLength(1000);
      expect(await store.latestStops(API)).toEqual(new Map());
    });
  },
);
