import { createTestDatabases } from '../__testUtils__/databases';
import { migrateForTests } from '../__testUtils__/migrate';
import { DatabaseAdoptionStore } from './AdoptionStore';
import { figuresOf } from './figures';
import { snapshot, spread } from './testSnapshots.testUtil';
import { AdoptionDay, AdoptionSnapshot, SnapshotFilter } from './types';

jest.setTimeout(60_000);

const databases = createTestDatabases();

/** Ten components over three days: enrolment and levels move. */
function history(): AdoptionSnapshot[] {
  const days = ['2026-11-29', '2026-11-30', '2026-12-01'];
  const levelOf = (i: number, d: number) => {
    if (i >= 5 + d) {
      return undefined;
    }
    return i < 1 + d ? 'gold' : 'bronze';
  };
  return days.flatMap((day, d) =>
    Array.from({ length: 10 }, (_, i) =>
      snapshot(`component:default/svc-${i}`, {
        day,
        owner: i < 6 ? 'group:default/team-a' : 'group:default/team-b',
        system: i % 2 ? 'system:default/shop' : 'system:default/ledger',
        lifecycle: i === 9 ? 'experimental' : 'production',
        // One more enrolled each day, and one more gold.
        enrolled: i < 5 + d,
        level: levelOf(i, d),
        imageAgeDays: i < 5 + d ? i * 10 : undefined,
        instances: i + 1,
        instancesOnChannel: i,
        findings: { critical: i === 3 ? 2 : 0, high: 0, medium: 0, low: 0 },
        rollouts: { succeeded: d, failed: i === 0 ? 1 : 0, aborted: 0 },
      }),
    ),
  );
}

describe.each(databases.eachSupportedId())(
  'DatabaseAdoptionStore on %p',
  id => {
    async function setup() {
      const knex = await databases.init(id);
      await migrateForTests(knex);
      const store = DatabaseAdoptionStore.create({ knex });
      const all = history();
      for (const day of new Set(all.map(s => s.day))) {
        await store.writeDay(
          day,
          all.filter(s => s.day === day),
        );
      }
      return { knex, store, all };
    }

    it('keeps one row per component per day, a day written again replaced whole', async () => {
      const { store, all } = await setup();
      expect(await store.latestDay()).toBe('2026-12-01');
      const day = await store.listDay('2026-12-01', { entityRefs: 'all' });
      expect(day).toEqual(all.filter(s => s.day === '2026-12-01'));
      // Written again without svc-9 (gone from the catalog) and svc-0 changed.
      await store.writeDay(
        '2026-12-01',
        all
          .filter(
            s =>
              s.day === '2026-12-01' &&
              s.entityRef !== 'component:default/svc-9',
          )
          .map(s =>
            s.entityRef === 'component:default/svc-0' ? { ...s, score: 95 } : s,
          ),
      );
      const again = await store.listDay('2026-12-01', { entityRefs: 'all' });
      expect(again).toHaveLength(9);
      expect(
        again.find(s => s.entityRef === 'component:default/svc-0')?.score,
      ).toBe(95);
      expect(
        await store.listDay('2026-11-30', { entityRefs: 'all' }),
      ).toHaveLength(10);
    });

    it('reads only the entities and the filters asked for', async () => {
      const { store } = await setup();
      const refs = (s: AdoptionSnapshot[]) => s.map(x => x.entityRef);
      expect(
        refs(
          await store.listDay('2026-12-01', {
            entityRefs: [
              'component:default/svc-1',
              'component:default/svc-7',
              'component:default/other',
            ],
          }),
        ),
      ).toEqual(['component:default/svc-1', 'component:default/svc-7']);
      expect(
        refs(
          await store.listDay('2026-12-01', {
            entityRefs: 'all',
            owners: ['group:default/team-b'],
            systems: ['system:default/shop'],
          }),
        ),
      ).toEqual(['component:default/svc-7', 'component:default/svc-9']);
      expect(
        refs(
          await store.listDay('2026-12-01', {
            entityRefs: 'all',
            lifecycles: ['experimental'],
          }),
        ),
      ).toEqual(['component:default/svc-9']);
      expect(
        (
          await store.listDay('2026-12-01', {
            entityRefs: 'all',
            enrolled: false,
          })
        ).length,
      ).toBe(3);
      expect(
        refs(
          await store.listDay('2026-12-01', {
            entityRefs: 'all',
            levels: ['gold'],
          }),
        ),
      ).toEqual([
        'component:default/svc-0',
        'component:default/svc-1',
        'component:default/svc-2',
      ]);
      expect(await store.listDay('2026-12-01', { entityRefs: [] })).toEqual([]);
    });

    it("the history's days have the figures of that day's snapshots", async () => {
      const { store, all } = await setup();
      for (const filter of [
        { entityRefs: 'all' as const },
        { entityRefs: 'all' as const, owners: ['group:default/team-a'] },
        {
          entityRefs: [
            'component:default/svc-2',
            'component:default/svc-5',
            'component:default/svc-6',
          ],
        },
      ]) {
        const days = await store.historyFigures({
          from: '2026-11-29',
          to: '2026-12-01',
          filter,
        });
        expect(days.map(d => d.day)).toEqual([
          '2026-11-29',
          '2026-11-30',
          '2026-12-01',
        ]);
        for (const day of days) {
          const rows = await store.listDay(day.day, filter);
          expect(day).toEqual({ day: day.day, ...figuresOf(rows) });
        }
      }
      const days = await store.historyFigures({
        from: '2026-11-30',
        to: '2026-12-01',
        filter: { entityRefs: 'all' },
      });
      expect(days.map(d => [d.day, d.enrolled, d.levels.gold])).toEqual([
        ['2026-11-30', 6, 2],
        ['2026-12-01', 7, 3],
      ]);
      // Ages 0, 10, …, 60 on the last day: median 30, p95 60; within 30 days: 4 of 7.
      expect(days[1]).toMatchObject({
        imageAgeMedianDays: 30,
        imageAgeP95Days: 60,
        criticalFindings: 2,
      });
      expect(days[1].withinPolicyShare).toBeCloseTo(4 / 7);
      expect(all).toHaveLength(30);
    });

    it("keeps each day's figures over all of its snapshots, written with them; fills in the days written before they were kept", async () => {
      const { knex, store } = await setup();
      const range = { from: '2026-11-29', to: '2026-12-01' };
      const grouped = await store.historyFigures({
        ...range,
        filter: { entityRefs: 'all' },
      });
      expect(grouped).toHaveLength(3);
      expect(await store.dailyFigures(range)).toEqual(grouped);
      expect(await store.fillDailyFigures()).toBe(0);
      // Two days as written before the figures were kept.
      await knex('adoption_daily_figures')
        .whereIn('day', ['2026-11-29', '2026-12-01'])
        .delete();
      expect((await store.dailyFigures(range)).map(d => d.day)).toEqual([
        '2026-11-30',
      ]);
      expect(await store.fillDailyFigures()).toBe(2);
      expect(await store.dailyFigures(range)).toEqual(grouped);
      // A day written again brings its new figures; one written empty, none.
      await store.writeDay('2026-11-30', []);
      await store.writeDay('2026-12-01', [
        snapshot('component:default/only', { day: '2026-12-01' }),
      ]);
      expect(
        (await store.dailyFigures(range)).map(d => [d.day, d.services]),
      ).toEqual([
        ['2026-11-29', 10],
        ['2026-12-01', 1],
      ]);
      await store.pruneBefore('2026-11-30');
      expect((await store.dailyFigures(range)).map(d => d.day)).toEqual([
        '2026-12-01',
      ]);
    });

    it('prunes the days before a day', async () => {
      const { store } = await setup();
      expect(await store.pruneBefore('2026-11-30')).toBe(10);
      expect(await store.listDay('2026-11-29', { entityRefs: 'all' })).toEqual(
        [],
      );
      expect(
        await store.listDay('2026-11-30', { entityRefs: 'all' }),
      ).toHaveLength(10);
    });
  },
);

describe('the adoption figures on every database', () => {
  it('are the same on each for the same snapshots, and those of the snapshots in memory', async () => {
    // Two days of 300 components, the second with one in three gone.
    const first = spread(300, '2026-11-30');
    const second = spread(300, '2026-12-01').filter((_, n) => n % 3 !== 0);
    const filters: SnapshotFilter[] = [
      { entityRefs: 'all' },
      { entityRefs: 'all', levels: ['gold', 'none'] },
      { entityRefs: first.slice(0, 120).map(s => s.entityRef) },
    ];
    // Ages at their policy's limit, levels and policies absent among them.
    expect(
      first.filter(s => s.enrolled && s.imageAgeDays === s.imageAgePolicyDays)
        .length,
    ).toBeGreaterThan(0);
    const ids = databases.eachSupportedId().map(([id]) => id);
    const taken = new Map<string, AdoptionDay[][]>();
    for (const id of ids) {
      const knex = await databases.init(id);
      await migrateForTests(knex);
      const store = DatabaseAdoptionStore.create({ knex });
      await store.writeDay('2026-11-30', first);
      await store.writeDay('2026-12-01', second);
      const range = { from: '2026-11-30', to: '2026-12-01' };
      const days: AdoptionDay[][] = [await store.dailyFigures(range)];
      for (const filter of filters) {
        days.push(await store.historyFigures({ ...range, filter }));
      }
      taken.set(id, days);
    }
    const inMemory = (filter: SnapshotFilter) =>
      [first, second].map(day => ({
        day: day[0].day,
        ...figuresOf(
          day.filter(
            s =>
              (filter.entityRefs === 'all' ||
                (filter.entityRefs as string[]).includes(s.entityRef)) &&
              (!filter.levels || filter.levels.includes(s.level!)),
          ),
        ),
      }));
    const expected = [
      inMemory({ entityRefs: 'all' }),
      ...filters.map(inMemory),
    ];
    expect(expected[2][1].services).toBeGreaterThan(0);
    expect(expected[2][1].services).toBeLessThan(second.length);
    for (const id of ids) {
      expect([id, taken.get(id)]).toEqual([id, expected]);
    }
    expect(taken.size).toBe(ids.length);
  });
});
