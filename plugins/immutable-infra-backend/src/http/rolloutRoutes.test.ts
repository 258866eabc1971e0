import { Knex } from 'knex';
import request from 'supertest';
import { createTestDatabases } from '../__testUtils__/databases';
import { component, createRouterTestApp } from '../__testUtils__/routerTestApp';

jest.setTimeout(60_000);

const ENTITY = 'component:default/web';
const ami = (n: number) => `ami-0${String(n).padStart(16, '0')}`;

async function setup(
  annotations: Record<string, string> = {},
  options: { knex?: Knex } = {},
) {
  const test = await createRouterTestApp(
    [
      component('web', {
        'immutable-infra.io/image-family': 'web',
        ...annotations,
      }),
      component('plain'),
    ],
    options,
  );
  const { app } = test;
  await request(app)
    .post('/families')
    .send({ name: 'web', entityRef: ENTITY })
    .expect(201);
  for (const n of [1, 2, 3]) {
    await request(app)
      .post('/images')
      .send({
        family: 'web',
        artifacts: [{ region: 'us-east-1', imageId: ami(n) }],
      })
      .expect(201);
  }
  await request(app)
    .put('/families/web/channels/production')
    .send({ version: 2 })
    .expect(200);
  await request(app)
    .post('/images/web@3/revoke')
    .send({ reason: 'CVE-2026-1' })
    .expect(200);
  await test.services.fleet.replaceInventory({
    entityRef: ENTITY,
    instances: [1, 2, 3, 4].map(n => ({
      instanceId: `i-0${n}`,
      region: 'us-east-1',
      environment: 'production',
      imageId: ami(1),
      state: 'running',
      sshExposure: 'none' as const,
      sshSources: [],
      tags: {},
    })),
    launchTemplates: [
      { id: 'lt-1', name: 'web', region: 'us-east-1', defaultVersion: 3 },
    ],
    autoscalingGroups: [],
  });
  return test;
}

describe('rollout routes', () => {
  it('previews the plan with dryRun and changes nothing', async () => {
    const { app, knex } = await setup();
    const response = await request(app)
      .post('/rollouts')
      .send({ entityRef: ENTITY, environment: 'production', dryRun: true })
      .expect(200);
    expect(response.body.dryRun).toBe(true);
    expect(response.body.rollout).toMatchObject({
      toVersion: 'web@2',
      fromVersion: 'web@1',
      movesChannel: false,
      state: 'pending',
      fleets: [
        expect.objectContaining({
          key: 'instances:us-east-1',
          capacity: 4,
          maxSurge: 1,
          minHealthy: 4,
          targetImageId: ami(2),
          oldInstanceIds: ['i-01', 'i-02', 'i-03', 'i-04'],
          launchTemplate: { id: 'lt-1', name: 'web', version: 3 },
        }),
      ],
    });
    // 10 → pause → 50 → pause → 100 of 4 instances.
    expect(
      response.body.rollout.steps.map((s: any) => [
        s.kind,
        s.targets['instances:us-east-1'],
      ]),
    ).toEqual([
      ['setWeight', 1],
      ['pause', 1],
      ['setWeight', 2],
      ['pause', 2],
      ['setWeight', 4],
    ]);
    expect(await knex('rollouts').count({ n: '*' })).toEqual([{ n: 0 }]);
  });

  it('a stateful plan lists each old instance for its data volumes, and says so when AWS cannot be asked', async () => {
    const { app } = await setup({ 'immutable-infra.io/stateful': 'true' });
    const response = await request(app)
      .post('/rollouts')
      .send({ entityRef: ENTITY, environment: 'production', dryRun: true })
      .expect(200);
    const [fleet] = response.body.rollout.fleets;
    expect(Object.keys(fleet.dataVolumes)).toEqual([
      'i-01',
      'i-02',
      'i-03',
      'i-04',
    ]);
    expect(fleet.dataVolumes['i-01'][0]).toMatch(/^not listed: /);
    // Waves of one, each but the last waiting for a promote.
    expect(response.body.rollout.steps.map((s: any) => s.kind)).toEqual([
      'setWeight',
      'pause',
      'setWeight',
      'pause',
      'setWeight',
      'pause',
      'setWeight',
    ]);
  });

  it('refuses a probe the backend may not reach, and plans one at the instance with its gate', async () => {
    const outward = await setup({
      'immutable-infra.io/rollout-probe': 'http://169.254.169.254/latest/',
    });
    const refused = await request(outward.app)
      .post('/rollouts')
      .send({ entityRef: ENTITY, environment: 'production', dryRun: true })
      .expect(400);
    expect(refused.body.error.message).toContain(
      "the rollout probe's host 169.254.169.254 is not the instance's address",
    );

    const { app } = await setup({
      'immutable-infra.io/rollout-probe': 'http://{privateIp}:8080/healthz',
    });
    await request(app)
      .post('/rollouts')
      .send({ entityRef: ENTITY, environment: 'production', dryRun: true })
      .expect(200);
  });

  it('starts one rollout per entity and environment; a second answers 409 naming the first', async () => {
    const { app } = await setup();
    const first = await request(app)
      .post('/rollouts')
      .send({ entityRef: ENTITY, environment: 'production', reason: 'CVE fix' })
      .expect(201);
    const id = first.body.rollout.id;
    const second = await request(app)
      .post('/rollouts')
      .send({ entityRef: ENTITY, environment: 'production', version: 1 })
      .expect(409);
    expect(second.body.error.message).toContain(id);
    const read = await request(app).get(`/rollouts/${id}`).expect(200);
    expect(read.body.events[0].message).toContain('CVE fix');
    const page = await request(app)
      .get('/entities/component/default/web/rollouts')
      .expect(200);
    expect(page.body.items.map((r: any) => r.id)).toEqual([id]);
    // The entity's summary carries it, with its step.
    const summary = await request(app)
      .get('/entities/component/default/web/summary')
      .expect(200);
    expect(summary.body.activeRollouts).toEqual([
      expect.objectContaining({
        id,
        environment: 'production',
        strategy: 'canary',
        state: 'pending',
        currentStep: 0,
        stepCount: 5,
      }),
    ]);
    // The fleet it is replacing (web@1 where the channel says web@2) is
    // its progress, not a failure of the score.
    const onChannel = (body: any) =>
      body.fleet.score.checks.find((c: any) => c.id === 'on-channel-image');
    expect(onChannel(summary.body)).toMatchObject({
      status: 'pass',
      evidence: expect.stringContaining(
        `production is rolling out to web@2 (rollout ${id}): step 1 of 5, new version on 10% of the capacity; 0 of 4 instances on web@2 and healthy`,
      ),
    });
    // Aborted, it frees the environment once cleaned up (the engine's work).
    await request(app)
      .post(`/rollouts/${id}/abort`)
      .send({ reason: 'wrong day' })
      .expect(200);
    await request(app).post(`/rollouts/${id}/abort`).send({}).expect(409);
    // Until then it still holds production, and the fleet it leaves mixed
    // fails the check again.
    const aborted = await request(app)
      .get('/entities/component/default/web/summary')
      .expect(200);
    expect(aborted.body.activeRollouts).toEqual([
      expect.objectContaining({ id, state: 'aborted' }),
    ]);
    expect(onChannel(aborted.body)).toMatchObject({
      status: 'fail',
      evidence: expect.not.stringContaining('rolling out'),
    });
  });

  it('refuses what cannot be rolled out, naming why', async () => {
    const { app } = await setup();
    const refuse = async (body: object, status: number, text: string) => {
      const response = await request(app)
        .post('/rollouts')
        .send(body)
        .expect(status);
      expect(response.body.error.message).toContain(text);
    };
    await refuse(
      { entityRef: ENTITY, environment: 'production', version: 3 },
      400,
      'web@3 is revoked (CVE-2026-1)',
    );
    await refuse(
      { entityRef: ENTITY, environment: 'production', version: 9 },
      400,
      'web@9 is not registered',
    );
    await refuse(
      { entityRef: ENTITY, environment: 'qa' },
      400,
      'has no environment "qa"',
    );
    await refuse(
      { entityRef: ENTITY, environment: 'staging' },
      400,
      'The staging channel of web points at no version',
    );
    await refuse(
      { entityRef: 'component:default/plain', environment: 'production' },
      400,
      'is not enrolled',
    );
    await refuse(
      { entityRef: 'component:default/nobody', environment: 'production' },
      404,
      'component:default/nobody',
    );
    await refuse(
      {
        entityRef: ENTITY,
        environment: 'production',
        spec: { steps: [{ setWeight: 50 }] },
      },
      400,
      'the last setWeight must be 100',
    );
    await refuse(
      {
        entityRef: ENTITY,
        environment: 'production',
        spec: {
          steps: [{ pause: { duration: 'forever' } }, { setWeight: 100 }],
        },
      },
      400,
      'such as "30s"',
    );
    await refuse(
      { entityRef: ENTITY, environment: 'production', extra: true },
      400,
      'extra',
    );
    await refuse(
      { entityRef: ENTITY, environment: 'production', spec: { fast: true } },
      400,
      'fast applies to the rollback strategy, not canary',
    );
    await refuse(
      {
        entityRef: ENTITY,
        environment: 'production',
        spec: { strategy: 'replaceDrifted', rootCause: 'ssh-key:nobody' },
      },
      400,
      'has no drift with root cause "ssh-key:nobody" now',
    );
    await refuse(
      {
        entityRef: ENTITY,
        environment: 'production',
        spec: { strategy: 'rollback' },
      },
      400,
      'No successful rollout of production records the version it replaced',
    );
    await refuse(
      {
        entityRef: ENTITY,
        environment: 'production',
        spec: {
          steps: [{ analysis: { duration: '1m' } }, { setWeight: 100 }],
        },
      },
      400,
      'an analysis step names no alarms',
    );
    await refuse(
      {
        entityRef: ENTITY,
        environment: 'production',
        spec: {
          strategy: 'blueGreen',
          blueGreen: { scaleDownDelay: '1 week' },
        },
      },
      400,
      'such as "30s"',
    );
    const bad = await request(app).get('/rollouts/not-an-id').expect(400);
    expect(bad.body.error.message).toContain('rollout id');
    await request(app)
      .get('/rollouts/00000000-0000-4000-8000-000000000000')
      .expect(404);
  });

  it.each([
    [
      { setWeight: 50.5 },
      'spec.steps.0.setWeight must be a whole number from 1 to 100',
    ],
    [
      { setWeight: '100' },
      'spec.steps.0.setWeight must be a whole number from 1 to 100',
    ],
    [
      '100',
      'spec.steps.0 must be one of {setWeight: a whole number from 1 to 100}, {pause: {duration?}} or {analysis: {duration, alarms?}}',
    ],
    [
      { setWeight: 10, pause: {} },
      'spec.steps.0 must be one of {setWeight: a whole number from 1 to 100}, {pause: {duration?}} or {analysis: {duration, alarms?}}',
    ],
  ])('says what a canary step must be when given %j', async (step, message) => {
    const { app, knex } = await setup();
    const response = await request(app)
      .post('/rollouts')
      .send({
        entityRef: ENTITY,
        environment: 'production',
        spec: { steps: [step, { setWeight: 100 }] },
      })
      .expect(400);
    expect(response.body.error.message).toBe(
      `Invalid request body: ${message}`,
    );
    expect(await knex('rollouts').count({ n: '*' })).toEqual([{ n: 0 }]);
  });

  it('answers 400 for a rollout id that is no UUID, on every route, quoting it cut short', async () => {
    const { app } = await setup();
    for (const id of [
      '-'.repeat(36),
      'ffffffff-ffff-ffff-ffff-ffff-fffffff',
      '0b6f3c9e5d2a4f1b9c8e7a6d5e4f3b2a0000',
    ]) {
      const read = await request(app).get(`/rollouts/${id}`).expect(400);
      expect(read.body.error.message).toBe(
        `Invalid rollout id "${id}": expected the id POST /rollouts answered, a UUID of lower-case hexadecimal digits such as "0b6f3c9e-5d2a-4f1b-9c8e-7a6d5e4f3b2a"`,
      );
      await request(app).post(`/rollouts/${id}/abort`).send({}).expect(400);
    }
    const long = await request(app)
      .get(`/rollouts/${'a'.repeat(5000)}`)
      .expect(400);
    expect(long.body.error.message).toMatch(
      /^Invalid rollout id "a{77}\.\.\.": must be at most 36 characters$/,
    );
  });

  it.each([
    [
      'promote',
      { step: -1 },
      'step must be the index of a pause step: a whole number from 0',
    ],
    [
      'promote',
      { step: 1.5 },
      'step must be the index of a pause step: a whole number from 0',
    ],
    [
      'promote',
      { step: '1' },
      'step must be the index of a pause step: a whole number from 0',
    ],
    ['promote', { step: 1, wave: 2 }, 'unknown key "wave"'],
    ['pause', { step: 1 }, 'unknown key "step"'],
  ])(
    'a %s with %j answers 400 saying what the body takes',
    async (action, body, message) => {
      const { app } = await setup();
      const created = await request(app)
        .post('/rollouts')
        .send({ entityRef: ENTITY, environment: 'production' })
        .expect(201);
      const response = await request(app)
        .post(`/rollouts/${created.body.rollout.id}/${action}`)
        .send(body)
        .expect(400);
      expect(response.body.error.message).toContain(message);
    },
  );

  it('moving the channel needs channel.assign too', async () => {
    const test = await setup();
    test.permissions.authorize.mockImplementation(async requests =>
      requests.map(r => ({
        result:
          r.permission.name === 'immutable-infra.channel.assign'
            ? ('DENY' as any)
            : ('ALLOW' as any),
      })),
    );
    const response = await request(test.app)
      .post('/rollouts')
      .send({ entityRef: ENTITY, environment: 'production', version: 1 })
      .expect(403);
    expect(response.body.error.message).toContain('moves the channel');
    await request(test.app)
      .post('/rollouts')
      .send({ entityRef: ENTITY, environment: 'production' })
      .expect(201);
  });
});

const databases = createTestDatabases();

describe.each(databases.eachSupportedId())('rollout controls on %p', id => {
  /**
   * A started rollout of 10 → pause → 50 → pause → 100 where the engine has
   * taken it: running, at `step` (a pause that waits for a promote).
   */
  async function startedAt(step: number) {
    const test = await setup({}, { knex: await databases.init(id) });
    const created = await request(test.app)
      .post('/rollouts')
      .send({ entityRef: ENTITY, environment: 'production' })
      .expect(201);
    const rolloutId: string = created.body.rollout.id;
    const store = test.services.rolloutStore;
    const { revision } = (await store.get(rolloutId))!;
    expect(
      await store.update(rolloutId, revision, {
        state: 'running',
        currentStep: step,
        stepStartedAt: new Date().toISOString(),
      }),
    ).toBe(true);
    /** The promotes in the rollout's timeline and in the audit log. */
    const promotesWritten = async () => ({
      events: (
        await test.knex('rollout_events').where({
          rollout_id: rolloutId,
          kind: 'promote',
        })
      ).length,
      audit: (
        await test
          .knex('audit_events')
          .where({ action: 'rollout.promote', subject: rolloutId })
      ).length,
    });
    const promote = (body: object) =>
      request(test.app).post(`/rollouts/${rolloutId}/promote`).send(body);
    return { ...test, store, rolloutId, promote, promotesWritten };
  }

  it('a pause is promoted once: of twenty promotes at once one answers 200 and the others 409, with one timeline event and one audit row', async () => {
    const { app, rolloutId, promote, promotesWritten } = await startedAt(1);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, n) => promote(n % 2 ? {} : { step: 1 })),
    );
    expect(answers.map(a => a.status).sort()).toEqual([
      200,
      ...Array(19).fill(409),
    ]);
    expect(await promotesWritten()).toEqual({ events: 1, audit: 1 });
    const read = await request(app).get(`/rollouts/${rolloutId}`).expect(200);
    expect(read.body).toMatchObject({
      currentStep: 1,
      awaitingPromotion: false,
    });

    // Asked again later, by step or not, it is refused and writes nothing.
    for (const body of [{ step: 1 }, {}]) {
      const again = await promote(body).expect(409);
      expect(again.body.error.message).toContain('step 1 is already promoted');
    }
    expect(await promotesWritten()).toEqual({ events: 1, audit: 1 });
  });

  it('a promote naming a step the rollout is not at answers 409 naming the step it is at, and writes nothing', async () => {
    const { app, rolloutId, promote, promotesWritten } = await startedAt(3);
    for (const step of [1, 2, 4, 99]) {
      const refused = await promote({ step }).expect(409);
      expect(refused.body.error.message).toContain(
        `is at step 3, not step ${step}`,
      );
    }
    expect(await promotesWritten()).toEqual({ events: 0, audit: 0 });
    const read = await request(app).get(`/rollouts/${rolloutId}`).expect(200);
    expect(read.body).toMatchObject({
      currentStep: 3,
      awaitingPromotion: true,
    });
    await promote({ step: 3 }).expect(200);
    expect(await promotesWritten()).toEqual({ events: 1, audit: 1 });
  });

  it('a promote never ends a later pause: when the rollout moves on to its next pause while the promote is asked, it answers 409 naming the step it is at', async () => {
    const { app, store, rolloutId, promote, promotesWritten } = await startedAt(
      1,
    );
    const update = store.update.bind(store);
    jest
      .spyOn(store, 'update')
      .mockImplementationOnce(async (rollout, revision, change) => {
        // Meanwhile the first pause ends and the rollout reaches the next one.
        const now = (await store.get(rollout))!;
        await update(rollout, now.revision, {
          currentStep: 3,
          stepStartedAt: new Date().toISOString(),
        });
        return update(rollout, revision, change);
      });
    const refused = await promote({}).expect(409);
    expect(refused.body.error.message).toContain('is at step 3, not step 1');
    expect(await promotesWritten()).toEqual({ events: 0, audit: 0 });
    const read = await request(app).get(`/rollouts/${rolloutId}`).expect(200);
    expect(read.body).toMatchObject({
      currentStep: 3,
      awaitingPromotion: true,
    });

    // The store writes a promote only at the step it was read at, in the
    // same transaction as the revision check.
    const { revision } = (await store.get(rolloutId))!;
    expect(
      await store.update(
        rolloutId,
        revision,
        { promoted: true },
        { currentStep: 1 },
      ),
    ).toBe(false);
    expect((await store.get(rolloutId))!.promoted).toBe(false);
  });

  it('a control that meets a change made while it was asked answers 409 and writes nothing', async () => {
    const { app, knex, store, rolloutId } = await startedAt(1);
    const update = store.update.bind(store);
    jest
      .spyOn(store, 'update')
      .mockImplementationOnce(async (rollout, revision, change) => {
        // Meanwhile the engine records what it observed.
        const now = (await store.get(rollout))!;
        await update(rollout, now.revision, { status: [] });
        return update(rollout, revision, change);
      });
    const refused = await request(app)
      .post(`/rollouts/${rolloutId}/abort`)
      .send({ reason: 'error rate' })
      .expect(409);
    expect(refused.body.error.message).toBe(
      `Rollout ${rolloutId} changed while you asked (it is now running); look again and retry`,
    );
    expect(
      await knex('rollout_events').where({
        rollout_id: rolloutId,
        kind: 'abort',
      }),
    ).toEqual([]);
    await request(app)
      .post(`/rollouts/${rolloutId}/abort`)
      .send({ reason: 'error rate' })
      .expect(200);
  });

  it('a dry run while a rollout of the entity and environment is active answers 409 naming it, as a start does', async () => {
    const { app, knex, store, rolloutId } = await startedAt(1);
    for (const dryRun of [true, false]) {
      const refused = await request(app)
        .post('/rollouts')
        .send({ entityRef: ENTITY, environment: 'production', dryRun })
        .expect(409);
      expect(refused.body.error.message).toBe(
        `${ENTITY} already has an active rollout in production: ${rolloutId} (running, to web@2); abort it or wait for it to end`,
      );
    }
    const [{ n }] = await knex('rollouts').count({ n: '*' });
    expect(Number(n)).toBe(1);

    // Once it has ended and freed the environment, the plan is answered.
    const { revision } = (await store.get(rolloutId))!;
    await store.update(rolloutId, revision, {
      state: 'aborted',
      release: true,
    });
    await request(app)
      .post('/rollouts')
      .send({ entityRef: ENTITY, environment: 'production', dryRun: true })
      .expect(200);
  });
});
