import { AuthorizeResult } from '@backstage/plugin-permission-common';
import request from 'supertest';
import { createTestDatabases } from '../__testUtils__/databases';
import { createRouterTestApp } from '../__testUtils__/routerTestApp';
import { group, snapshot } from '../adoption/testSnapshots.testUtil';
import { SCORE_CHECKS } from '../drift/score';
import {
  LONE_SURROGATE_MESSAGE,
  SCORE_CHECK_IDS,
} from '@immutable-infra/backstage-plugin-common';

jest.setTimeout(60_000);

const databases = createTestDatabases();

const DAYS = ['2026-12-01', '2026-12-02', '2026-12-03'];

/**
 * Four production components of the commerce department's two teams and
 * one experimental: one more reaches silver each day; svc-c passes no-ssh.
 */
function snapshots() {
  const teams = [
    'group:default/payments',
    'group:default/payments',
    'group:default/storefront',
    'group:default/storefront',
  ];
  return DAYS.flatMap((day, d) => [
    ...teams.map((owner, i) =>
      snapshot(`component:default/svc-${'abcd'[i]}`, {
        day,
        owner,
        level: i < d + 1 ? 'silver' : 'bronze',
        passingChecks: i === 2 ? ['no-ssh'] : [],
        // Drift gone in the 30 days before: svc-a's lived half an hour and
        // was all erased automatically; svc-b's two hours until the last
        // day, half erased; svc-c had none; svc-d's five hours, 9 of 10.
        drift: [
          { lifetimeP95Minutes: 30, gone: 4, erasedAutomatically: 4 },
          {
            lifetimeP95Minutes: d < 2 ? 120 : 45,
            gone: 2,
            erasedAutomatically: 1,
          },
          { gone: 0, erasedAutomatically: 0 },
          { lifetimeP95Minutes: 300, gone: 10, erasedAutomatically: 9 },
        ][i],
      }),
    ),
    snapshot('component:default/lab', {
      day,
      owner: 'group:default/payments',
      lifecycle: 'experimental',
      level: 'none',
    }),
    snapshot('component:default/other', {
      day,
      owner: 'group:default/platform',
      level: 'gold',
    }),
  ]);
}

const SILVER = {
  title: 'Commerce on silver',
  description: 'Every production service of commerce at silver or better',
  goal: { kind: 'level', value: 'silver' },
  scope: { owners: ['group:default/commerce'], productionOnly: true },
  startsOn: '2026-12-01',
  deadline: '2026-12-31',
};

describe('the score check ids of initiatives', () => {
  it('are the score checks', () => {
    expect([...SCORE_CHECK_IDS].sort()).toEqual(
      SCORE_CHECKS.map(c => c.id).sort(),
    );
  });
});

describe.each(databases.eachSupportedId())('initiatives on %p', id => {
  async function setup() {
    const test = await createRouterTestApp(
      [
        group('commerce'),
        group('payments', 'commerce'),
        group('storefront', 'commerce'),
        group('platform'),
      ],
      { knex: await databases.init(id) },
    );
    const all = snapshots();
    for (const day of DAYS) {
      await test.services.adoptionStore.writeDay(
        day,
        all.filter(s => s.day === day),
      );
    }
    return test;
  }

  it('creates one: its scope covers the teams below an owner, production only; progress, burn-up, owners and who is behind', async () => {
    const { app, knex } = await setup();
    const created = await request(app).post('/initiatives').send(SILVER);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      title: 'Commerce on silver',
      goal: { kind: 'level', value: 'silver' },
      scope: {
        owners: ['group:default/commerce'],
        systems: [],
        productionOnly: true,
      },
      state: 'active',
      createdBy: 'user:default/mock',
      // The four production services of its teams; three are silver today.
      progress: { done: 3, total: 4 },
    });
    const audit = await knex('audit_events').where({
      action: 'initiative.create',
    });
    expect(audit).toHaveLength(1);

    const detail = await request(app).get(`/initiatives/${created.body.id}`);
    expect(detail.status).toBe(200);
    expect(detail.body.burnUp).toEqual([
      { day: '2026-12-01', done: 1, total: 4 },
      { day: '2026-12-02', done: 2, total: 4 },
      { day: '2026-12-03', done: 3, total: 4 },
    ]);
    expect(detail.body.owners).toEqual([
      { owner: 'group:default/payments', done: 2, total: 2 },
      { owner: 'group:default/storefront', done: 1, total: 2 },
    ]);
    expect(detail.body.behind).toEqual([
      {
        entityRef: 'component:default/svc-d',
        owner: 'group:default/storefront',
      },
    ]);

    const list = await request(app).get('/initiatives');
    expect(list.body.items.map((i: any) => [i.title, i.progress])).toEqual([
      ['Commerce on silver', { done: 3, total: 4 }],
    ]);
  });

  it('a check goal over a system, or over every component', async () => {
    const { app } = await setup();
    const noSsh = await request(app)
      .post('/initiatives')
      .send({
        title: 'No SSH anywhere',
        goal: { kind: 'check', value: 'no-ssh' },
        startsOn: '2026-12-01',
        deadline: '2027-03-31',
      });
    expect(noSsh.status).toBe(201);
    // svc-c, and lab and other (whose snapshots pass it too).
    expect(noSsh.body.progress).toEqual({ done: 3, total: 6 });
    const bySystem = await request(app)
      .post('/initiatives')
      .send({
        title: 'Shop on gold',
        goal: { kind: 'level', value: 'gold' },
        scope: { systems: ['system:default/shop'] },
        startsOn: '2026-12-01',
        deadline: '2027-01-31',
      });
    expect(bySystem.body.progress).toEqual({ done: 1, total: 6 });
    const detail = await request(app).get(`/initiatives/${noSsh.body.id}`);
    expect(detail.body.burnUp.map((d: any) => d.done)).toEqual([3, 3, 3]);
  });

  it('drift goals: how long drift lives (p95) and the share erased automatically', async () => {
    const { app } = await setup();
    const scope = { owners: ['group:default/commerce'], productionOnly: true };
    const lifetime = await request(app)
      .post('/initiatives')
      .send({
        title: 'Drift lives an hour at most',
        goal: { kind: 'driftLifetime', value: 60 },
        scope,
        startsOn: '2026-12-01',
        deadline: '2027-03-31',
      });
    expect(lifetime.status).toBe(201);
    expect(lifetime.body.goal).toEqual({ kind: 'driftLifetime', value: 60 });
    // svc-a (30 minutes), svc-b (45 since the last day), svc-c (none gone).
    expect(lifetime.body.progress).toEqual({ done: 3, total: 4 });
    const lifetimeDetail = await request(app).get(
      `/initiatives/${lifetime.body.id}`,
    );
    expect(lifetimeDetail.body.goal).toEqual({
      kind: 'driftLifetime',
      value: 60,
    });
    expect(lifetimeDetail.body.burnUp.map((d: any) => d.done)).toEqual([
      2, 2, 3,
    ]);
    expect(lifetimeDetail.body.behind).toEqual([
      {
        entityRef: 'component:default/svc-d',
        owner: 'group:default/storefront',
      },
    ]);

    const erased = await request(app)
      .post('/initiatives')
      .send({
        title: 'Nine in ten erased without anyone',
        goal: { kind: 'erasedShare', value: 0.9 },
        scope,
        startsOn: '2026-12-01',
        deadline: '2027-03-31',
      });
    expect(erased.status).toBe(201);
    // svc-a (4 of 4), svc-c (none gone), svc-d (9 of 10); svc-b 1 of 2.
    expect(erased.body.progress).toEqual({ done: 3, total: 4 });
    const erasedDetail = await request(app).get(
      `/initiatives/${erased.body.id}`,
    );
    expect(erasedDetail.body.burnUp.map((d: any) => d.done)).toEqual([3, 3, 3]);
    expect(erasedDetail.body.behind.map((b: any) => b.entityRef)).toEqual([
      'component:default/svc-b',
    ]);

    for (const goal of [
      { kind: 'driftLifetime', value: 0 },
      { kind: 'driftLifetime', value: 1.5 },
      { kind: 'driftLifetime', value: '60' },
      { kind: 'erasedShare', value: 0 },
      { kind: 'erasedShare', value: 1.01 },
    ]) {
      const refused = await request(app)
        .post('/initiatives')
        .send({ ...SILVER, goal });
      expect({ goal, status: refused.status }).toEqual({ goal, status: 400 });
    }
  });

  it('counts only what the caller may read', async () => {
    const { app, permissions } = await setup();
    const created = await request(app).post('/initiatives').send(SILVER);
    permissions.authorize.mockImplementation(async requests =>
      requests.map(r => ({
        result:
          'resourceRef' in r && r.resourceRef === 'component:default/svc-a'
            ? AuthorizeResult.DENY
            : AuthorizeResult.ALLOW,
      })),
    );
    const detail = await request(app).get(`/initiatives/${created.body.id}`);
    expect(detail.body.progress).toEqual({ done: 2, total: 3 });
    expect(detail.body.burnUp.at(-1)).toEqual({
      day: '2026-12-03',
      done: 2,
      total: 3,
    });
    expect(detail.body.owners).toEqual([
      { owner: 'group:default/payments', done: 1, total: 1 },
      { owner: 'group:default/storefront', done: 1, total: 2 },
    ]);
  });

  it('moves its deadline and closes; a closed one changes no more', async () => {
    const { app, knex } = await setup();
    const created = await request(app).post('/initiatives').send(SILVER);
    const initiative = created.body.id;
    const moved = await request(app)
      .patch(`/initiatives/${initiative}`)
      .send({ deadline: '2027-01-15' });
    expect(moved.status).toBe(200);
    expect(moved.body.deadline).toBe('2027-01-15');
    const closed = await request(app)
      .patch(`/initiatives/${initiative}`)
      .send({ state: 'closed' });
    expect(closed.body).toMatchObject({
      state: 'closed',
      closedAt: expect.any(String),
    });
    const again = await request(app)
      .patch(`/initiatives/${initiative}`)
      .send({ title: 'x' });
    expect(again.status).toBe(400);
    expect(again.body.error.message).toBe(`Initiative ${initiative} is closed`);
    expect(
      (
        await knex('audit_events').whereIn('action', [
          'initiative.update',
          'initiative.close',
        ])
      )
        .map((e: any) => e.action)
        .sort(),
    ).toEqual(['initiative.close', 'initiative.update']);
  });

  it.each([
    [
      { ...SILVER, deadline: '2026-11-30' },
      'deadline 2026-11-30 must be after the start, 2026-12-01',
    ],
    [
      { ...SILVER, goal: { kind: 'check', value: 'no-rootkits' } },
      'goal.value',
    ],
    [{ ...SILVER, goal: { kind: 'level', value: 'platinum' } }, 'goal.value'],
    [{ ...SILVER, title: '' }, 'title'],
    [{ ...SILVER, title: 'x'.repeat(201) }, 'title'],
    [{ ...SILVER, deadline: '2026-13-01' }, 'deadline'],
    [{ ...SILVER, scope: { owners: ['not a ref'] } }, 'scope.owners.0'],
    [{ ...SILVER, extra: true }, 'extra'],
    [{ ...SILVER, description: 'a\u0000b' }, 'description'],
  ])('refuses %j with 400, naming the field', async (body, field) => {
    const { app, knex } = await setup();
    const response = await request(app).post('/initiatives').send(body);
    expect(response.status).toBe(400);
    expect(response.body.error.message).toContain(field);
    expect(await knex('initiatives')).toHaveLength(0);
  });

  it.each(['2027-02-31', '2027-02-29', '2026-04-31'])(
    'refuses %s, a day that does not exist, as deadline or startsOn, on create and on change',
    async day => {
      const { app, knex } = await setup();
      for (const field of ['deadline', 'startsOn']) {
        const response = await request(app)
          .post('/initiatives')
          .send({ ...SILVER, startsOn: '2026-01-01', [field]: day });
        expect(response.status).toBe(400);
        expect(response.body.error.message).toBe(
          `Invalid request body: ${field} must be a day of the calendar: ${day} does not exist (YYYY-MM-DD)`,
        );
      }
      expect(await knex('initiatives')).toHaveLength(0);
      const created = await request(app).post('/initiatives').send(SILVER);
      const changed = await request(app)
        .patch(`/initiatives/${created.body.id}`)
        .send({ deadline: day });
      expect(changed.status).toBe(400);
      expect(changed.body.error.message).toContain(
        `deadline must be a day of the calendar: ${day} does not exist`,
      );
      const [row] = await knex('initiatives');
      expect(row.deadline).toBe(SILVER.deadline);
    },
  );

  it('refuses lone surrogates in its texts rather than store replacement characters', async () => {
    const { app, knex } = await setup();
    // As a client writes one in JSON: an escape no character pairs with.
    const body = JSON.stringify({ ...SILVER, title: 'X' }).replace(
      '"title":"X"',
      '"title":"Commerce \\ud800"',
    );
    const response = await request(app)
      .post('/initiatives')
      .set('Content-Type', 'application/json')
      .send(body);
    expect(response.status).toBe(400);
    expect(response.body.error.message).toBe(
      `Invalid request body: title ${LONE_SURROGATE_MESSAGE}`,
    );
    expect(await knex('initiatives')).toHaveLength(0);

    const created = await request(app).post('/initiatives').send(SILVER);
    const changed = await request(app)
      .patch(`/initiatives/${created.body.id}`)
      .send({ description: 'half \udc00 a character' });
    expect(changed.status).toBe(400);
    expect(changed.body.error.message).toContain('description');
    const [row] = await knex('initiatives');
    expect(row.description).toBe(SILVER.description);
  });

  it('refuses keys a goal does not have', async () => {
    const { app, knex } = await setup();
    const response = await request(app)
      .post('/initiatives')
      .send({ ...SILVER, goal: { ...SILVER.goal, mandatory: true } });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toBe(
      'Invalid request body: goal has an unknown key "mandatory"',
    );
    expect(await knex('initiatives')).toHaveLength(0);
  });

  it('answers a long malformed id with 400, quoting it cut short', async () => {
    const { app } = await setup();
    const longId = 'x'.repeat(5000);
    for (const response of [
      await request(app).get(`/initiatives/${longId}`),
      await request(app).patch(`/initiatives/${longId}`).send({ title: 'x' }),
    ]) {
      expect(response.status).toBe(400);
      expect(response.body.error.message).toMatch(
        /^Invalid initiative id "x{77}\.\.\.": must be at most 36 characters$/,
      );
    }
    const dashes = await request(app).get(`/initiatives/${'-'.repeat(36)}`);
    expect(dashes.status).toBe(400);
    expect(dashes.body.error.message).toContain(
      'expected the id POST /initiatives answered, a UUID',
    );
  });

  it('answers 404 for an unknown initiative and 400 for a malformed id', async () => {
    const { app } = await setup();
    expect(
      (
        await request(app).get(
          '/initiatives/00000000-0000-4000-8000-000000000000',
        )
      ).status,
    ).toBe(404);
    const bad = await request(app).get('/initiatives/../../etc');
    expect([400, 404]).toContain(bad.status);
    expect((await request(app).get('/initiatives/not-an-id')).status).toBe(400);
    expect(
      (
        await request(app)
          .patch('/initiatives/00000000-0000-4000-8000-000000000000')
          .send({ title: 'x' })
      ).status,
    ).toBe(404);
  });
});
