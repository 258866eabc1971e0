import { createTestDatabases } from '../__testUtils__/databases';
import { migrateForTests } from '../__testUtils__/migrate';
import { DatabaseFindingLifetimeStore } from './FindingLifetimeStore';

jest.setTimeout(60_000);

const databases = createTestDatabases();

const WEB = 'component:default/web';
const API = 'component:default/api';

const sshOpen = (instanceId: string) => ({
  rule: 'ssh-open',
  rootCause: 'ssh-open:world',
  instanceId,
  environment: 'production',
  seenBy: 'poll' as const,
});

describe.each(databases.eachSupportedId())(
  'DatabaseFindingLifetimeStore on %p',
  id => {
    async function setup() {
      const knex = await databases.init(id);
      await migrateForTests(knex);
      return { knex, store: DatabaseFindingLifetimeStore.create({ knex }) };
    }

    it('opens a life per new finding, keeps one open life per finding, and closes it with how it went', async () => {
      const { store } = await setup();
      expect(
        await store.record({
          entityRef: WEB,
          at: '2026-12-01T10:00:00.000Z',
          open: [
            sshOpen('i-1'),
            { ...sshOpen('i-2'), seenBy: 'event' },
            {
              rule: 'asg-missing',
              rootCause: 'asg-missing:web',
              seenBy: 'poll',
            },
          ],
          close: [],
        }),
      ).toEqual({ opened: 3, closed: 0 });
      // The same finding found again (a concurrent sync): nothing new.
      expect(
        await store.record({
          entityRef: WEB,
          at: '2026-12-01T10:05:00.000Z',
          open: [sshOpen('i-1')],
          close: [],
        }),
      ).toEqual({ opened: 0, closed: 0 });
      // Another entity's finding with the same words is its own.
      await store.record({
        entityRef: API,
        at: '2026-12-01T10:05:00.000Z',
        open: [sshOpen('i-1')],
        close: [],
      });

      const open = await store.listOpen(WEB);
      expect(open).toEqual([
        expect.objectContaining({
          entityRef: WEB,
          rule: 'ssh-open',
          rootCause: 'ssh-open:world',
          instanceId: 'i-1',
          environment: 'production',
          firstSeenAt: '2026-12-01T10:00:00.000Z',
          seenBy: 'poll',
        }),
        expect.objectContaining({ instanceId: 'i-2', seenBy: 'event' }),
        expect.objectContaining({
          rule: 'asg-missing',
          instanceId: undefined,
          goneAt: undefined,
        }),
      ]);

      // What the drift answer reads: the same open findings, in no order.
      expect(
        (await store.listOpenSince(WEB)).sort((a, b) =>
          `${a.rule}${a.instanceId}`.localeCompare(`${b.rule}${b.instanceId}`),
        ),
      ).toEqual([
        {
          rule: 'asg-missing',
          rootCause: 'asg-missing:web',
          instanceId: undefined,
          firstSeenAt: open[2].firstSeenAt,
        },
        {
          rule: 'ssh-open',
          rootCause: 'ssh-open:world',
          instanceId: 'i-1',
          firstSeenAt: '2026-12-01T10:00:00.000Z',
        },
        {
          rule: 'ssh-open',
          rootCause: 'ssh-open:world',
          instanceId: 'i-2',
          firstSeenAt: open[1].firstSeenAt,
        },
      ]);

      // The few a page shows, by their keys; one not open is not there.
      expect(
        await store.listOpenSince(WEB, [
          { rule: 'ssh-open', rootCause: 'ssh-open:world', instanceId: 'i-2' },
          { rule: 'ssh-open', rootCause: 'ssh-open:world', instanceId: 'i-9' },
        ]),
      ).toEqual([
        {
          rule: 'ssh-open',
          rootCause: 'ssh-open:world',
          instanceId: 'i-2',
          firstSeenAt: open[1].firstSeenAt,
        },
      ]);
      expect(
        (await store.countOpen(WEB)).sort((a, b) =>
          a.rule.localeCompare(b.rule),
        ),
      ).toEqual([
        {
          rule: 'asg-missing',
          rootCause: 'asg-missing:web',
          count: 1,
          firstSeenAt: open[2].firstSeenAt,
        },
        {
          rule: 'ssh-open',
          rootCause: 'ssh-open:world',
          count: 2,
          firstSeenAt: '2026-12-01T10:00:00.000Z',
        },
      ]);

      const [first, second, third] = open;
      expect(
        await store.record({
          entityRef: WEB,
          at: '2026-12-01T11:00:00.000Z',
          open: [],
          close: [
            {
              id: first.id,
              goneBy: 'replaced',
              rolloutId: 'r-1',
              automatic: true,
            },
            { id: second.id, goneBy: 'terminated' },
            { id: third.id, goneBy: 'resolved' },
          ],
        }),
      ).toEqual({ opened: 0, closed: 3 });
      expect(await store.listOpen(WEB)).toEqual([]);
      expect(await store.listOpenSince(WEB)).toEqual([]);
      expect(await store.countOpen(WEB)).toEqual([]);
      expect(await store.listOpen(API)).toHaveLength(1);

      const gone = await store.listGone({
        since: '2026-12-01T00:00:00.000Z',
        entityRef: WEB,
      });
      expect(gone).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            id: first.id,
            goneAt: '2026-12-01T11:00:00.000Z',
            goneBy: 'replaced',
            rolloutId: 'r-1',
            automatic: true,
          }),
          expect.objectContaining({
            id: second.id,
            goneBy: 'terminated',
            rolloutId: undefined,
            automatic: undefined,
          }),
          expect.objectContaining({ id: third.id, goneBy: 'resolved' }),
        ]),
      );
      expect(gone).toHaveLength(3);

      // A closed life stays closed; the finding found again is a new life.
      expect(
        await store.record({
          entityRef: WEB,
          at: '2026-12-01T12:00:00.000Z',
          open: [sshOpen('i-1')],
          close: [{ id: first.id, goneBy: 'resolved' }],
        }),
      ).toEqual({ opened: 1, closed: 0 });
      const [again] = await store.listOpen(WEB);
      expect(again.id).not.toBe(first.id);
      expect(again.firstSeenAt).toBe('2026-12-01T12:00:00.000Z');
    });

    it('lists the lives gone since a moment, of one entity or all', async () => {
      const { store } = await setup();
      for (const [entityRef, at] of [
        [WEB, '2026-11-01T00:00:00.000Z'],
        [API, '2026-11-01T00:00:00.000Z'],
      ]) {
        await store.record({
          entityRef,
          at,
          open: [sshOpen('i-1'), sshOpen('i-2')],
          close: [],
        });
      }
      const [web1, web2] = await store.listOpen(WEB);
      const [api1] = await store.listOpen(API);
      await store.record({
        entityRef: WEB,
        at: '2026-11-10T00:00:00.000Z',
        open: [],
        close: [{ id: web1.id, goneBy: 'resolved' }],
      });
      await store.record({
        entityRef: WEB,
        at: '2026-11-20T00:00:00.000Z',
        open: [],
        close: [{ id: web2.id, goneBy: 'resolved' }],
      });
      await store.record({
        entityRef: API,
        at: '2026-11-20T00:00:00.000Z',
        open: [],
        // Another entity's life is not closed by this one's sync.
        close: [
          { id: api1.id, goneBy: 'terminated' },
          { id: web1.id, goneBy: 'terminated' },
        ],
      });
      const since = (at: string, entityRef?: string) =>
        store.listGone({ since: at, entityRef }).then(l => l.map(f => f.id));
      expect(await since('2026-11-10T00:00:00.000Z', WEB)).toEqual([
        web1.id,
        web2.id,
      ]);
      expect(await since('2026-11-10T00:00:00.001Z', WEB)).toEqual([web2.id]);
      expect((await since('2026-11-15T00:00:00.000Z')).sort()).toEqual(
        [web2.id, api1.id].sort(),
      );
      expect(
        (await store.listGone({ since: '2026-01-01T00:00:00.000Z' })).find(
          f => f.id === web1.id,
        )?.goneBy,
      ).toBe('resolved');
    });
  },
);
