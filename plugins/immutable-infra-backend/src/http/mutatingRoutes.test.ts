import { mockCredentials } from '@backstage/backend-test-utils';
import express from 'express';
import request from 'supertest';
import { component, createRouterTestApp } from '../__testUtils__/routerTestApp';
import { routerRoutes } from '../__testUtils__/routerRoutes';

jest.setTimeout(60_000);

type App = Awaited<ReturnType<typeof createRouterTestApp>> & {
  rolloutId?: string;
  initiativeId?: string;
};

/**
 * A request that changes something, as the table below makes it: the
 * method and path, its body, the auditor event it records, and the row it
 * writes to the plugin's audit log when it changes the registry.
 */
type Mutation = {
  method: 'post' | 'put' | 'patch' | 'delete';
  path: string;
  body: object;
  eventId: string;
  auditAction?: string;
  /** Brings the setup's rollout into the state the route needs. */
  before?: (test: App) => Promise<void>;
};

/** The setup's initiative, in a path. */
const INITIATIVE = '{initiative}';

/** The setup's rollout, in a path: `{rollout}`. */
const ROLLOUT = '{rollout}';

/** Moves the setup's rollout as the engine would. */
function rolloutIn(
  change: Parameters<App['services']['rolloutStore']['update']>[2],
) {
  return async (test: App) => {
    const store = test.services.rolloutStore;
    const [rollout] = await store.listActive();
    expect(await store.update(rollout.id, rollout.revision, change)).toBe(true);
  };
}

const artifacts = (n: number) => [
  { region: 'us-east-1', imageId: `ami-0${String(n).padStart(16, '0')}` },
];

/**
 * Every mutating route of the router, by its route pattern. The first test
 * reads the router's own routes, so a route added without a row here fails.
 */
const MUTATIONS: Record<string, Mutation> = {
  'POST /families': {
    method: 'post',
    path: '/families',
    body: { name: 'ledger', entityRef: 'component:default/ledger' },
    eventId: 'family-enroll',
    auditAction: 'family.enroll',
  },
  'POST /images': {
    method: 'post',
    path: '/images',
    body: { family: 'payments-api', artifacts: artifacts(9) },
    eventId: 'image-register',
    auditAction: 'image.register',
  },
  'POST /images/prune': {
    method: 'post',
    path: '/images/prune',
    body: { family: 'payments-api', dryRun: true },
    eventId: 'image-prune',
  },
  'POST /images/:id/revoke': {
    method: 'post',
    path: '/images/payments-api@1/revoke',
    body: { reason: 'CVE-2026-0001' },
    eventId: 'image-revoke',
    auditAction: 'image.revoke',
  },
  'POST /images/:id/restore': {
    method: 'post',
    path: '/images/payments-api@3/restore',
    body: { reason: 'false alarm' },
    eventId: 'image-restore',
    auditAction: 'image.restore',
  },
  'PUT /families/:family/channels/:channel': {
    method: 'put',
    path: '/families/payments-api/channels/staging',
    body: { version: 2 },
    eventId: 'channel-assign',
    auditAction: 'channel.assign',
  },
  'POST /families/:family/channels/:channel/rollback': {
    method: 'post',
    path: '/families/payments-api/channels/production/rollback',
    body: { reason: 'bad release' },
    eventId: 'channel-rollback',
    auditAction: 'channel.rollback',
  },
  'POST /rollouts': {
    method: 'post',
    path: '/rollouts',
    body: {
      entityRef: 'component:default/payments-api',
      environment: 'staging',
      version: 2,
    },
    eventId: 'rollout-create',
    auditAction: 'rollout.create',
  },
  'POST /rollouts/:id/pause': {
    method: 'post',
    path: `/rollouts/${ROLLOUT}/pause`,
    body: { reason: 'looking at the graphs' },
    eventId: 'rollout-pause',
    auditAction: 'rollout.pause',
  },
  'POST /rollouts/:id/resume': {
    method: 'post',
    path: `/rollouts/${ROLLOUT}/resume`,
    body: {},
    eventId: 'rollout-resume',
    auditAction: 'rollout.resume',
    before: rolloutIn({ state: 'paused' }),
  },
  'POST /rollouts/:id/promote': {
    method: 'post',
    path: `/rollouts/${ROLLOUT}/promote`,
    body: {},
    eventId: 'rollout-promote',
    auditAction: 'rollout.promote',
    before: rolloutIn({ state: 'running', currentStep: 1 }),
  },
  'POST /rollouts/:id/abort': {
    method: 'post',
    path: `/rollouts/${ROLLOUT}/abort`,
    body: { reason: 'error rate' },
    eventId: 'rollout-abort',
    auditAction: 'rollout.abort',
  },
  'POST /rollouts/:id/retry': {
    method: 'post',
    path: `/rollouts/${ROLLOUT}/retry`,
    body: {},
    eventId: 'rollout-retry',
    auditAction: 'rollout.retry',
    before: rolloutIn({ state: 'aborted', release: true }),
  },
  'POST /sync': {
    method: 'post',
    path: '/sync',
    body: { entityRef: 'component:default/payments-api' },
    eventId: 'fleet-sync',
  },
  'POST /initiatives': {
    method: 'post',
    path: '/initiatives',
    body: {
      title: 'Gold everywhere',
      goal: { kind: 'level', value: 'gold' },
      deadline: '2099-01-01',
    },
    eventId: 'initiative-create',
    auditAction: 'initiative.create',
  },
  'PATCH /initiatives/:id': {
    method: 'patch',
    path: `/initiatives/${INITIATIVE}`,
    body: { deadline: '2099-06-01' },
    eventId: 'initiative-update',
    auditAction: 'initiative.update',
  },
  'POST /adoption/snapshots': {
    method: 'post',
    path: '/adoption/snapshots',
    body: { backfillDays: 2 },
    eventId: 'adoption-snapshot',
    auditAction: 'adoption.snapshot',
  },
};

/** The router's routes that change something, as `METHOD /pattern`. */
function mutatingRoutes(app: express.Express): string[] {
  return routerRoutes(app)
    .filter(route => ['post', 'put', 'patch', 'delete'].includes(route.method))
    .map(route => `${route.method.toUpperCase()} ${route.path}`)
    .sort();
}

async function setup(): Promise<App> {
  const test: App = await createRouterTestApp([
    component('payments-api', {
      'immutable-infra.io/image-family': 'payments-api',
    }),
    component('ledger', { 'immutable-infra.io/image-family': 'ledger' }),
  ]);
  const { app } = test;
  await request(app)
    .post('/families')
    .send({ name: 'payments-api', entityRef: 'component:default/payments-api' })
    .expect(201);
  for (const n of [1, 2, 3]) {
    await request(app)
      .post('/images')
      .send({ family: 'payments-api', artifacts: artifacts(n) })
      .expect(201);
  }
  for (const version of [1, 2]) {
    await request(app)
      .put('/families/payments-api/channels/production')
      .send({ version })
      .expect(200);
  }
  await request(app)
    .post('/images/payments-api@3/revoke')
    .send({ reason: 'broken build' })
    .expect(200);
  // A fleet to roll out, and a rollout of production for the controls.
  await test.services.fleet.replaceInventory({
    entityRef: 'component:default/payments-api',
    instances: ['production', 'staging'].map((environment, n) => ({
      instanceId: `i-0${n}`,
      region: 'us-east-1',
      environment,
      imageId: artifacts(1)[0].imageId,
      state: 'running',
      sshExposure: 'none',
      sshSources: [],
      tags: {},
    })),
    launchTemplates: [
      {
        id: 'lt-1',
        name: 'payments-api',
        region: 'us-east-1',
        defaultVersion: 1,
      },
    ],
    autoscalingGroups: [],
  });
  const created = await request(app)
    .post('/rollouts')
    .send({
      entityRef: 'component:default/payments-api',
      environment: 'production',
    })
    .expect(201);
  test.rolloutId = created.body.rollout.id;
  const initiative = await request(app)
    .post('/initiatives')
    .send({
      title: 'Silver everywhere',
      goal: { kind: 'level', value: 'silver' },
      deadline: '2099-01-01',
    })
    .expect(201);
  test.initiativeId = initiative.body.id;
  test.auditor.createEvent.mockClear();
  return test;
}

function send(test: App, mutation: Mutation) {
  return request(test.app)[mutation.method](
    mutation.path
      .replace(ROLLOUT, test.rolloutId ?? '')
      .replace(INITIATIVE, test.initiativeId ?? ''),
  );
}

async function auditRows(test: App, action?: string): Promise<number> {
  if (!action) {
    return 0;
  }
  const [{ n }] = await test.knex('audit_events').where({ action }).count({
    n: '*',
  });
  return Number(n);
}

describe('every mutating route', () => {
  it('is in the table of this test', async () => {
    const test = await setup();
    expect(mutatingRoutes(test.app)).toEqual(Object.keys(MUTATIONS).sort());
    await test.knex.destroy();
  });

  describe.each(Object.entries(MUTATIONS))('%s', (_, mutation) => {
    let test: App;

    beforeEach(async () => {
      test = await setup();
      await mutation.before?.(test);
    });

    afterEach(async () => {
      await test.knex.destroy();
    });

    it('answers 401 without credentials and changes nothing', async () => {
      const before = await auditRows(test, mutation.auditAction);
      const response = await send(test, mutation)
        .set('Authorization', mockCredentials.none.header())
        .send(mutation.body);
      expect(response.status).toBe(401);
      expect(await auditRows(test, mutation.auditAction)).toBe(before);
    });

    it('answers 403 when the permission policy denies, records the failure and changes nothing', async () => {
      const before = await auditRows(test, mutation.auditAction);
      test.deny();
      const response = await send(test, mutation).send(mutation.body);
      expect(response.status).toBe(403);
      expect(response.body.error.name).toBe('NotAllowedError');
      expect(await auditRows(test, mutation.auditAction)).toBe(before);
      expect(test.auditor.createEvent).toHaveBeenCalledWith(
        expect.objectContaining({ eventId: mutation.eventId }),
      );
      expect(test.auditEvent.fail).toHaveBeenCalled();
    });

    it('succeeds when allowed and records an audit event', async () => {
      const before = await auditRows(test, mutation.auditAction);
      test.auditEvent.success.mockClear();
      const response = await send(test, mutation).send(mutation.body);
      expect(response.status).toBeLessThan(300);
      expect(test.auditor.createEvent).toHaveBeenCalledWith(
        expect.objectContaining({ eventId: mutation.eventId }),
      );
      expect(test.auditEvent.success).toHaveBeenCalled();
      // Registry changes also write a row of the plugin's audit log.
      expect(await auditRows(test, mutation.auditAction)).toBe(
        mutation.auditAction ? before + 1 : 0,
      );
    });
  });
});
