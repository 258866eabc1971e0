import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import request from 'supertest';
import { immutableInfraPlugin } from './plugin';

const entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'payments-api',
    namespace: 'default',
    annotations: { 'immutable-infra.io/image-family': 'payments-api' },
  },
  spec: { type: 'service', owner: 'group:default/payments-team' },
};

describe('immutableInfraPlugin', () => {
  it('serves health without credentials and the rest only with them', async () => {
    const { server } = await startTestBackend({
      features: [
        immutableInfraPlugin,
        catalogServiceMock.factory({ entities: [entity] }),
      ],
    });

    await request(server)
      .get('/api/immutable-infra/health')
      .set('Authorization', mockCredentials.none.header())
      .expect(200, { status: 'ok' });

    await request(server)
      .get(
        '/api/immutable-infra/entities/component/default/payments-api/summary',
      )
      .set('Authorization', mockCredentials.none.header())
      .expect(401);

    for (const path of [
      '/adoption',
      '/adoption/history',
      '/adoption.csv',
      '/openapi.json',
    ]) {
      await request(server)
        .get(`/api/immutable-infra${path}`)
        .set('Authorization', mockCredentials.none.header())
        .expect(401);
    }

    const summary = await request(server)
      .get(
        '/api/immutable-infra/entities/component/default/payments-api/summary',
      )
      .set('Authorization', mockCredentials.user.header());
    expect(summary.status).toBe(200);
    expect(summary.body.enrolled).toBe(true);

    // The contract, as the installed plugin serves it.
    const contract = await request(server)
      .get('/api/immutable-infra/openapi.json')
      .set('Authorization', mockCredentials.user.header());
    expect(contract.status).toBe(200);
    expect(contract.body).toMatchObject({
      openapi: '3.1.0',
      info: { title: 'Immutable Infra', version: expect.any(String) },
    });
    expect(Object.keys(contract.body.paths)).toContain('/openapi.json');

    const enrolled = await request(server)
      .post('/api/immutable-infra/families')
      .set('Authorization', mockCredentials.service.header())
      .send({
        name: 'payments-api',
        entityRef: 'component:default/payments-api',
      });
    expect(enrolled.status).toBe(201);
  });

  it('answers 403 to an enrollment the policy denies', async () => {
    const { server } = await startTestBackend({
      features: [
        immutableInfraPlugin,
        catalogServiceMock.factory({ entities: [entity] }),
        mockServices.permissions.factory({ result: AuthorizeResult.DENY }),
      ],
    });
    const response = await request(server)
      .post('/api/immutable-infra/families')
      .set('Authorization', mockCredentials.user.header())
      .send({
        name: 'payments-api',
        entityRef: 'component:default/payments-api',
      });
    expect(response.status).toBe(403);
    expect(response.body.error.name).toBe('NotAllowedError');
  });
});
