import { mockCredentials } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import express from 'express';
import request from 'supertest';
import { createRouterTestApp } from '../__testUtils__/routerTestApp';

const enrolled: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'payments-api',
    namespace: 'default',
    annotations: {
      'immutable-infra.io/image-family': 'payments-api',
      'immutable-infra.io/autoscaling-group':
        'staging=pay-stg,production=pay-prod',
      'immutable-infra.io/stateful': 'true',
    },
  },
  spec: { type: 'service', owner: 'group:default/payments-team' },
};

const notEnrolled: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'storefront-web', namespace: 'default' },
  spec: { type: 'website', owner: 'group:default/storefront-team' },
};

const malformed: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'broken',
    namespace: 'default',
    annotations: {
      'immutable-infra.io/image-family': 'broken',
      'immutable-infra.io/fleet-selector': 'no-equals-sign',
    },
  },
  spec: { type: 'service', owner: 'group:default/platform' },
};

describe('createRouter', () => {
  let knex: Awaited<ReturnType<typeof createRouterTestApp>>['knex'];
  let permissions: Awaited<
    ReturnType<typeof createRouterTestApp>
  >['permissions'];
  let catalog: Awaited<ReturnType<typeof createRouterTestApp>>['catalog'];
  let app: express.Express;

  beforeEach(async () => {
    ({ app, knex, permissions, catalog } = await createRouterTestApp([
      enrolled,
      notEnrolled,
      malformed,
    ]));
  });

  afterEach(async () => {
    await knex.destroy();
  });

  describe('GET /health', () => {
    it('answers ok', async () => {
      const response = await request(app).get('/health');
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ status: 'ok' });
    });
  });

  describe('GET /entities/:kind/:namespace/:name/summary', () => {
    it('summarises an enrolled entity, reading it with the caller credentials', async () => {
      const response = await request(app).get(
        '/entities/component/default/payments-api/summary',
      );
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        entityRef: 'component:default/payments-api',
        enrolled: true,
        annotations: {
          imageFamily: 'payments-api',
          fleetSelector: [
            { key: 'immutable-infra:service', value: 'payments-api' },
          ],
          environments: ['staging', 'production'],
          autoscalingGroups: { staging: 'pay-stg', production: 'pay-prod' },
          stateful: true,
        },
      });
      expect(catalog.getEntityByRef).toHaveBeenCalledWith(
        'component:default/payments-api',
        { credentials: mockCredentials.user() },
      );
    });

    it('includes the family once it is enrolled', async () => {
      await request(app)
        .post('/families')
        .send({
          name: 'payments-api',
          entityRef: 'component:default/payments-api',
        })
        .expect(201);
      const response = await request(app).get(
        '/entities/component/default/payments-api/summary',
      );
      expect(response.body.family).toMatchObject({
        name: 'payments-api',
        entityRef: 'component:default/payments-api',
      });
    });

    it('says when the annotated family belongs to another entity, naming it only if readable', async () => {
      await request(app)
        .post('/families')
        .send({
          name: 'payments-api',
          entityRef: 'component:default/storefront-web',
        })
        .expect(201);
      const response = await request(app).get(
        '/entities/component/default/payments-api/summary',
      );
      expect(response.body.family).toBeUndefined();
      expect(response.body.familyOwnedBy).toBe(
        'component:default/storefront-web',
      );
    });

    it('does not name an owner the caller cannot read', async () => {
      await request(app)
        .post('/families')
        .send({ name: 'payments-api', entityRef: 'component:default/hidden' })
        .expect(201);
      const response = await request(app).get(
        '/entities/component/default/payments-api/summary',
      );
      expect(response.body.familyOwnedBy).toBe('an entity you may not read');
    });

    it('answers enrolled: false for an entity without the annotation', async () => {
      const response = await request(app).get(
        '/entities/component/default/storefront-web/summary',
      );
      expect(response.status).toBe(200);
      expect(response.body.enrolled).toBe(false);
    });

    it('answers 400 naming the malformed annotation', async () => {
      const response = await request(app).get(
        '/entities/component/default/broken/summary',
      );
      expect(response.status).toBe(400);
      expect(response.body.error.message).toContain(
        'immutable-infra.io/fleet-selector="no-equals-sign" must be one or more EC2 tag filters',
      );
    });

    it('answers 404 for an entity the caller cannot see', async () => {
      const response = await request(app).get(
        '/entities/component/default/unknown/summary',
      );
      expect(response.status).toBe(404);
      expect(response.body.error.message).toBe(
        'No entity component:default/unknown found, or you may not read it',
      );
    });

    it('answers 401 without credentials', async () => {
      const response = await request(app)
        .get('/entities/component/default/payments-api/summary')
        .set('Authorization', mockCredentials.none.header());
      expect(response.status).toBe(401);
    });
  });

  describe('POST /families', () => {
    const body = {
      name: 'payments-api',
      entityRef: 'component:default/payments-api',
    };

    it('enrolls a family (201), then answers 200 for the same owner', async () => {
      const created = await request(app).post('/families').send(body);
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        created: true,
        family: {
          name: 'payments-api',
          entityRef: 'component:default/payments-api',
          createdAt: expect.any(String),
        },
      });
      const again = await request(app).post('/families').send(body);
      expect(again.status).toBe(200);
      expect(again.body.created).toBe(false);
      expect(permissions.authorize).toHaveBeenCalledWith(
        [
          {
            permission: expect.objectContaining({
              name: 'immutable-infra.image.create',
            }),
            resourceRef: 'component:default/payments-api',
          },
        ],
        { credentials: mockCredentials.user() },
      );
      const events = await knex('audit_events').select();
      expect(events).toHaveLength(1);
      expect(events[0].actor).toBe(
        mockCredentials.user().principal.userEntityRef,
      );
    });

    it('normalises the entity ref', async () => {
      const response = await request(app)
        .post('/families')
        .send({ name: 'payments-api', entityRef: 'Component:payments-api' });
      expect(response.status).toBe(201);
      expect(response.body.family.entityRef).toBe(
        'component:default/payments-api',
      );
    });

    it('answers 409 when another entity owns the family', async () => {
      await request(app).post('/families').send(body).expect(201);
      const response = await request(app)
        .post('/families')
        .send({ ...body, entityRef: 'component:default/ledger-worker' });
      expect(response.status).toBe(409);
      expect(response.body.error.message).toBe(
        'Image family "payments-api" is already enrolled by component:default/payments-api',
      );
    });

    it.each([
      [{}, 'name'],
      [
        { name: 'Payments API', entityRef: 'component:default/x' },
        'name must be lower-case',
      ],
      [{ name: 'ok', entityRef: '' }, 'entityRef'],
      [{ name: 'ok', entityRef: 'component:' }, 'Invalid entityRef'],
    ])('answers 400 for %j', async (payload, message) => {
      const response = await request(app).post('/families').send(payload);
      expect(response.status).toBe(400);
      expect(response.body.error.message).toContain(message);
    });

    it('answers 413 for an oversized body and 400 for one that is not JSON', async () => {
      const response = await request(app)
        .post('/families')
        .send({
          name: 'x',
          entityRef: 'component:default/x',
          pad: 'x'.repeat(2_000_000),
        });
      expect(response.status).toBe(413);
      expect(response.body.error.message).toBe(
        'Request body is larger than the 1mb limit',
      );
      const broken = await request(app)
        .post('/families')
        .set('Content-Type', 'application/json')
        .send('{"name": ');
      expect(broken.status).toBe(400);
      expect(broken.body.error.message).toContain(
        'Request body is not valid JSON',
      );
    });

    it('answers 403 when the permission is denied, and changes nothing', async () => {
      permissions.authorize.mockResolvedValue([
        { result: AuthorizeResult.DENY },
      ]);
      const response = await request(app).post('/families').send(body);
      expect(response.status).toBe(403);
      expect(response.body.error.message).toBe(
        'You may not enroll image families for component:default/payments-api',
      );
      await expect(knex('image_families').select()).resolves.toEqual([]);
      await expect(knex('audit_events').select()).resolves.toEqual([]);
    });

    it('answers 401 without credentials', async () => {
      const response = await request(app)
        .post('/families')
        .set('Authorization', mockCredentials.none.header())
        .send(body);
      expect(response.status).toBe(401);
    });
  });

  describe('GET /entities/:kind/:namespace/:name/audit', () => {
    it('lists the changes to the entity, newest first, a page at a time', async () => {
      await request(app)
        .post('/families')
        .send({
          name: 'payments-api',
          entityRef: 'component:default/payments-api',
        })
        .expect(201);
      for (const imageId of [
        'ami-0000000000000000a',
        'ami-0000000000000000b',
      ]) {
        await request(app)
          .post('/images')
          .send({
            family: 'payments-api',
            artifacts: [{ region: 'us-east-1', imageId }],
          })
          .expect(201);
      }
      await request(app)
        .post('/images/payments-api@1/revoke')
        .send({ reason: 'CVE-2026-1' })
        .expect(200);

      const first = await request(app).get(
        '/entities/component/default/payments-api/audit?limit=2',
      );
      expect(first.status).toBe(200);
      expect(first.body.items).toEqual([
        expect.objectContaining({
          action: 'image.revoke',
          actor: mockCredentials.user().principal.userEntityRef,
          entityRef: 'component:default/payments-api',
          subject: 'payments-api@1',
          payload: { reason: 'CVE-2026-1' },
        }),
        expect.objectContaining({
          action: 'image.register',
          subject: 'payments-api@2',
        }),
      ]);
      expect(Date.parse(first.body.items[0].at)).not.toBeNaN();
      const rest = await request(app).get(
        `/entities/component/default/payments-api/audit?limit=2&cursor=${first.body.nextCursor}`,
      );
      expect(rest.body.items.map((e: any) => e.action)).toEqual([
        'image.register',
        'family.enroll',
      ]);
      expect(rest.body.nextCursor).toBeUndefined();

      // Another entity's log holds none of it.
      const other = await request(app).get(
        '/entities/component/default/storefront-web/audit',
      );
      expect(other.body).toEqual({ items: [] });
    });

    it('answers 400 for a bad cursor and 404 for an entity the caller cannot see', async () => {
      expect(
        (
          await request(app).get(
            '/entities/component/default/payments-api/audit?cursor=abc',
          )
        ).status,
      ).toBe(400);
      expect(
        (await request(app).get('/entities/component/default/unknown/audit'))
          .status,
      ).toBe(404);
    });
  });
});
