import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { parse as parseCsv } from 'csv-parse/sync';
import { Knex } from 'knex';
import request from 'supertest';
import { createTestDatabases } from '../__testUtils__/databases';
import { createRouterTestApp } from '../__testUtils__/routerTestApp';
import { group, snapshot } from '../adoption/testSnapshots.testUtil';
import { toIso } from '../database/timestamps';

jest.setTimeout(60_000);

const databases = createTestDatabases();

// engineering ← platform, engineering ← payments
const GROUPS = [
  group('engineering'),
  group('platform', 'engineering'),
  group('payments', 'engineering'),
];

const TODAY = '2026-12-03';

/** Four components today, two the day before. */
const SNAPSHOTS = [
  snapshot('component:default/bake', {
    day: TODAY,
    owner: 'group:default/platform',
    level: 'gold',
    score: 95,
    imageAgeDays: 3,
  }),
  snapshot('component:default/portal', {
    day: TODAY,
    owner: 'group:default/platform',
    level: 'bronze',
    score: 45,
    imageAgeDays: 60,
    findings: { critical: 2, high: 0, medium: 0, low: 0 },
  }),
  snapshot('component:default/ledger', {
    day: TODAY,
    owner: 'group:default/payments',
    system: 'system:default/payments',
    level: 'silver',
    score: 72,
  }),
  snapshot('component:default/legacy', {
    day: TODAY,
    owner: 'group:default/payments',
    enrolled: false,
    level: undefined,
    score: undefined,
    imageAgeDays: undefined,
    type: '=HYPERLINK("x")',
  }),
  snapshot('component:default/bake', { day: '2026-12-02', level: 'silver' }),
  snapshot('component:default/ledger', {
    day: '2026-12-02',
    owner: 'group:default/payments',
    enrolled: false,
    level: undefined,
  }),
];

async function setup(knex?: Knex) {
  const test = await createRouterTestApp(GROUPS, { knex });
  const { adoptionStore } = test.services;
  for (const day of ['2026-12-02', TODAY]) {
    await adoptionStore.writeDay(
      day,
      SNAPSHOTS.filter(s => s.day === day),
    );
  }
  return test;
}

describe('GET /adoption', () => {
  it('answers the last day: headline figures, roll-up by owner with group parents, a page of services', async () => {
    const { app } = await setup();
    const response = await request(app).get(
      '/adoption?limit=2&sort=score&order=desc',
    );
    expect(response.status).toBe(200);
    const body = response.body;
    expect(body.day).toBe(TODAY);
    expect(body.figures).toMatchObject({
      services: 4,
      enrolled: 3,
      levels: { gold: 1, silver: 1, bronze: 1, none: 0 },
      criticalFindings: 2,
    });
    const byKey = Object.fromEntries(body.groups.map((g: any) => [g.key, g]));
    expect(byKey['group:default/engineering']).toMatchObject({
      depth: 0,
      directServices: 0,
      figures: { services: 4, enrolled: 3 },
    });
    expect(byKey['group:default/platform']).toMatchObject({
      parent: 'group:default/engineering',
      depth: 1,
      figures: { services: 2, levels: { gold: 1, bronze: 1 } },
    });
    expect(body.services.total).toBe(4);
    expect(body.services.items.map((s: any) => s.entityRef)).toEqual([
      'component:default/bake',
      'component:default/ledger',
    ]);
    const rest = await request(app).get(
      `/adoption?limit=2&sort=score&order=desc&cursor=${body.services.nextCursor}`,
    );
    // Without a score last.
    expect(rest.body.services.items.map((s: any) => s.entityRef)).toEqual([
      'component:default/portal',
      'component:default/legacy',
    ]);
    expect(rest.body.services.nextCursor).toBeUndefined();
  });

  it('filters by owner (a department covers its teams), enrolment, level and system; groups by system', async () => {
    const { app } = await setup();
    const refs = async (query: string) =>
      (await request(app).get(`/adoption?${query}`)).body.services.items.map(
        (s: any) => s.entityRef,
      );
    expect(await refs('owner=group:default/engineering')).toHaveLength(4);
    expect(await refs('owner=group:default/platform')).toEqual([
      'component:default/bake',
      'component:default/portal',
    ]);
    expect(await refs('enrolled=false')).toEqual(['component:default/legacy']);
    expect(await refs('level=gold,silver')).toEqual([
      'component:default/bake',
      'component:default/ledger',
    ]);
    expect(await refs('system=system:default/payments')).toEqual([
      'component:default/ledger',
    ]);
    const bySystem = await request(app).get('/adoption?groupBy=system');
    expect(
      bySystem.body.groups.map((g: any) => [g.key, g.figures.services]),
    ).toEqual([
      ['system:default/payments', 1],
      ['system:default/shop', 3],
    ]);
  });

  it('counts only the components the caller may read: figures, roll-ups, services, history and CSV', async () => {
    const { app, permissions } = await setup();
    permissions.authorize.mockImplementation(async requests =>
      requests.map(r => ({
        result:
          'resourceRef' in r && r.resourceRef === 'component:default/ledger'
            ? AuthorizeResult.DENY
            : AuthorizeResult.ALLOW,
      })),
    );
    const view = await request(app).get('/adoption');
    expect(view.body.figures.services).toBe(3);
    const payments = view.body.groups.find(
      (g: any) => g.key === 'group:default/payments',
    );
    expect(payments.figures).toMatchObject({ services: 1, enrolled: 0 });
    expect(view.body.services.items.map((s: any) => s.entityRef)).not.toContain(
      'component:default/ledger',
    );
    const history = await request(app).get('/adoption/history?days=7');
    expect(history.body.days.map((d: any) => [d.day, d.services])).toEqual([
      ['2026-12-02', 1],
      [TODAY, 3],
    ]);
    const csv = await request(app).get('/adoption.csv');
    expect(csv.text).not.toContain('component:default/ledger');
  });

  it('for a caller who may read every entity: each day counts all of its components, those since gone from the catalog too, without asking per entity', async () => {
    const { app, permissions, allowEveryEntity, services } = await setup();
    await services.adoptionStore.writeDay('2026-12-02', [
      ...SNAPSHOTS.filter(s => s.day === '2026-12-02'),
      snapshot('component:default/retired', { day: '2026-12-02' }),
    ]);
    // Read per entity, a component gone from the catalog cannot be checked.
    const perEntity = await request(app).get('/adoption/history?days=7');
    expect(perEntity.body.days.map((d: any) => [d.day, d.services])).toEqual([
      ['2026-12-02', 2],
      [TODAY, 4],
    ]);
    allowEveryEntity();
    permissions.authorize.mockClear();
    const history = await request(app).get('/adoption/history?days=7');
    expect(
      history.body.days.map((d: any) => [d.day, d.services, d.enrolled]),
    ).toEqual([
      ['2026-12-02', 3, 2],
      [TODAY, 4, 3],
    ]);
    const view = await request(app).get('/adoption');
    expect(view.body.figures).toEqual({
      ...history.body.days[1],
      day: undefined,
    });
    // A filter: grouped from the snapshot rows (the day before, only the
    // ledger was engineering's).
    const engineering = await request(app).get(
      '/adoption/history?days=7&owner=group:default/engineering',
    );
    expect(engineering.body.days.map((d: any) => d.services)).toEqual([1, 4]);
    const asked = permissions.authorize.mock.calls.flatMap(([requests]) =>
      requests.filter(r => 'resourceRef' in r),
    );
    expect(asked).toEqual([]);
  });

  it('answers the history of each day, the last one equal to the view', async () => {
    const { app, services } = await setup();
    const history = await request(app).get('/adoption/history?days=90');
    expect(history.status).toBe(200);
    expect(
      history.body.days.map((d: any) => [d.day, d.services, d.enrolled]),
    ).toEqual([
      ['2026-12-02', 2, 1],
      [TODAY, 4, 3],
    ]);
    const view = await request(app).get('/adoption');
    expect({ ...history.body.days[1], day: undefined }).toEqual({
      ...view.body.figures,
      day: undefined,
    });
    // A new snapshot of the day is answered at once, not from memory.
    await services.adoptionStore.writeDay(
      TODAY,
      SNAPSHOTS.filter(x => x.day === TODAY).map(x => ({
        ...x,
        enrolled: true,
        level: x.level ?? 'none',
        takenAt: '2026-12-03T07:00:00.000Z',
      })),
    );
    const after = await request(app).get('/adoption/history?days=90');
    expect(after.body.days.at(-1)).toMatchObject({ day: TODAY, enrolled: 4 });
    // One day back: today only.
    const one = await request(app).get('/adoption/history?days=1');
    expect(one.body.days.map((d: any) => d.day)).toEqual([TODAY]);
  });

  it('exports exactly the view as CSV: every service of the filters, in its order, parsed back; a formula is kept as text', async () => {
    const { app } = await setup();
    const csv = await request(app).get(
      '/adoption.csv?owner=group:default/payments&sort=entityRef',
    );
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toMatch(
      /^attachment; filename="adoption-\d{4}-\d\d-\d\d\.csv"$/,
    );
    const records = parseCsv(csv.text, { columns: true });
    const view = await request(app).get(
      '/adoption?owner=group:default/payments&sort=entityRef',
    );
    expect(records.map((r: any) => r.entityRef)).toEqual(
      view.body.services.items.map((s: any) => s.entityRef),
    );
    expect(records[1]).toMatchObject({
      entityRef: 'component:default/legacy',
      enrolled: 'false',
      type: `'=HYPERLINK("x")`,
    });
    expect(records[0]).toMatchObject({
      entityRef: 'component:default/ledger',
      owner: 'group:default/payments',
      enrolled: 'true',
      level: 'silver',
      score: '72',
      passingChecks: 'no-ssh',
    });
  });

  it('answers an empty view before the first snapshot', async () => {
    const { app } = await createRouterTestApp([]);
    const view = await request(app).get('/adoption');
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({
      figures: { services: 0 },
      groups: [],
      services: { items: [], total: 0 },
    });
    expect(view.body.day).toBeUndefined();
    expect((await request(app).get('/adoption/history')).body).toEqual({
      days: [],
    });
  });

  it.each([
    '/adoption?level=platinum',
    '/adoption?owner=not%20a%20ref',
    '/adoption?groupBy=team',
    '/adoption?limit=1000',
    '/adoption?cursor=-1',
    '/adoption?enrolled=maybe',
    '/adoption?sort=password',
    `/adoption?lifecycle=${'x'.repeat(65)}`,
    '/adoption?owner=group:default/a%00b',
    '/adoption/history?days=0',
    '/adoption/history?days=401',
    '/adoption.csv?order=sideways',
  ])('refuses %s with 400, naming the field', async url => {
    const { app } = await setup();
    const response = await request(app).get(url);
    expect(response.status).toBe(400);
    expect(response.body.error.message).toMatch(/^Invalid query: /);
  });

  it.each([
    [
      '/adoption?owner=group:default/a%00b',
      'owner must not contain NUL characters (\\u0000)',
    ],
    [
      `/adoption?owner=${'g'.repeat(4097)}`,
      'owner must be at most 4096 characters',
    ],
    [
      '/adoption/history?owner=group:default/a&owner=b%00',
      'owner.1 must not contain NUL characters (\\u0000)',
    ],
    [
      '/adoption?owner[group]=a',
      'owner must be text: one value, values separated by commas, or the parameter repeated',
    ],
  ])('says what is wrong with %s', async (url, message) => {
    const { app } = await setup();
    const response = await request(app).get(url);
    expect(response.status).toBe(400);
    expect(response.body.error.message).toBe(`Invalid query: ${message}`);
  });
});

describe.each(databases.eachSupportedId())('delivery metrics on %p', id => {
  it('measures delivery over 90 days from the rollouts of the view: frequency, failure and abort rates, lead time from the image build to production', async () => {
    const { app, knex } = await setup(await databases.init(id));
    await request(app)
      .post('/families')
      .send({ name: 'bake', entityRef: 'component:default/bake' })
      .expect(201);
    await request(app)
      .post('/images')
      .send({
        family: 'bake',
        artifacts: [{ region: 'us-east-1', imageId: 'ami-0a0a0a0a0a0a0a0a0' }],
      })
      .expect(201);
    const [{ created_at: built }] = await knex('image_versions')
      .where({ family: 'bake' })
      .select('created_at');
    const builtAt = Date.parse(toIso(built));
    const HOUR = 3_600_000;
    let n = 0;
    const rollout = (
      entityRef: string,
      environment: string,
      state: string,
      finishedAfterHours: number,
    ) => {
      n += 1;
      return {
        id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
        entity_ref: entityRef,
        environment,
        family: 'bake',
        to_version: 'bake@1',
        strategy: 'canary',
        state,
        created_by: 'user:default/ada',
        // As the store writes them.
        created_at: new Date(builtAt + HOUR).toISOString(),
        updated_at: new Date(builtAt + finishedAfterHours * HOUR).toISOString(),
        plan: '{}',
      };
    };
    await knex('rollouts').insert([
      rollout('component:default/bake', 'staging', 'succeeded', 2),
      rollout('component:default/bake', 'production', 'succeeded', 6),
      rollout('component:default/ledger', 'production', 'succeeded', 30),
      rollout('component:default/portal', 'production', 'failed', 3),
      rollout('component:default/portal', 'production', 'aborted', 4),
      // Not enrolled in the view: not counted.
      rollout('component:default/legacy', 'production', 'succeeded', 5),
      // Before the window.
      rollout('component:default/bake', 'production', 'succeeded', -100 * 24),
      // Not finished.
      rollout('component:default/ledger', 'staging', 'running', 1),
    ]);
    const { delivery } = (await request(app).get('/adoption')).body;
    expect(delivery).toMatchObject({
      windowDays: 90,
      succeeded: 3,
      failed: 1,
      aborted: 1,
      failureRate: 2 / 5,
      abortRate: 1 / 5,
      productionRollouts: 2,
      // bake@1 built, in production 6 hours later (bake) and 30 (ledger).
      leadTimeMedianHours: 6,
      leadTimeP95Hours: 30,
    });
    // 3 successes, 3 enrolled services, over 90 / 7 weeks.
    expect(delivery.deploymentsPerServicePerWeek).toBeCloseTo(3 / 3 / (90 / 7));
    // Only platform's services.
    const platform = (
      await request(app).get('/adoption?owner=group:default/platform')
    ).body.delivery;
    expect(platform).toMatchObject({ succeeded: 2, failed: 1, aborted: 1 });
    expect(platform.leadTimeMedianHours).toBe(6);
  });
});
