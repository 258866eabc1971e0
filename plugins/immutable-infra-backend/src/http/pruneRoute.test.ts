import { ConfigReader } from '@backstage/config';
import { mockCredentials } from '@backstage/backend-test-utils';
import express from 'express';
import { Knex } from 'knex';
import request from 'supertest';
import { Ec2Fixtures, emulatorClients } from '../__testUtils__/ec2Fixtures';
import { emulatorConfig, MotoServer, startMoto } from '../__testUtils__/moto';
import { component, createRouterTestApp } from '../__testUtils__/routerTestApp';
import { AwsClientFactory } from '../providers/aws/AwsClientFactory';
import { Ec2ImageProvider } from '../providers/aws/Ec2ImageProvider';

jest.setTimeout(60_000);

describe('POST /images/prune', () => {
  let moto: MotoServer;
  let app: express.Express;
  let knex: Knex;
  let deny: () => void;
  let amis: string[];

  beforeAll(async () => {
    moto = await startMoto();
  });

  afterAll(async () => {
    await moto?.stop();
  });

  beforeEach(async () => {
    ({ app, knex, deny } = await createRouterTestApp(
      [component('app', { 'immutable-infra.io/image-family': 'app' })],
      {
        provider: new Ec2ImageProvider(
          AwsClientFactory.fromConfig(
            new ConfigReader(emulatorConfig(moto.endpoint)),
          ),
        ),
      },
    ));
    const { ec2, autoscaling } = emulatorClients(moto.endpoint, 'us-east-1');
    const fixtures = new Ec2Fixtures(ec2, autoscaling);
    await request(app)
      .post('/families')
      .send({ name: 'app', entityRef: 'component:default/app' })
      .expect(201);
    amis = [];
    for (let i = 0; i < 3; i++) {
      const imageId = await fixtures.image();
      amis.push(imageId);
      await request(app)
        .post('/images')
        .send({
          family: 'app',
          artifacts: [{ region: 'us-east-1', imageId }],
          builtAt: new Date(Date.now() - 60 * 86_400_000).toISOString(),
        })
        .expect(201);
    }
  });

  afterEach(async () => {
    await knex.destroy();
  });

  it('is a dry run unless told otherwise', async () => {
    const response = await request(app)
      .post('/images/prune')
      .send({ family: 'app', keepVersions: 1 });
    expect(response.status).toBe(200);
    expect(response.body.dryRun).toBe(true);
    expect(response.body.pruned.map((p: { id: string }) => p.id)).toEqual([
      'app@2',
      'app@1',
    ]);
    await expect(
      knex('image_versions').where({ state: 'pruned' }),
    ).resolves.toEqual([]);
  });

  it('prunes when dryRun is false, using the policy defaults otherwise', async () => {
    const kept = await request(app)
      .post('/images/prune')
      .send({ dryRun: false });
    // Default policy keeps the 5 newest versions: nothing to prune.
    expect(kept.body.pruned).toEqual([]);
    const pruned = await request(app)
      .post('/images/prune')
      .send({ family: 'app', keepVersions: 2, dryRun: false });
    expect(pruned.body.pruned.map((p: { id: string }) => p.id)).toEqual([
      'app@1',
    ]);
    expect(pruned.body.pruned[0].artifacts[0].imageId).toBe(amis[0]);
  });

  it('answers 400, 401, 403 and 404 as it should', async () => {
    expect(
      (await request(app).post('/images/prune').send({ keepVersions: 0 }))
        .status,
    ).toBe(400);
    expect(
      (await request(app).post('/images/prune').send({ dryRun: 'no' })).status,
    ).toBe(400);
    expect(
      (await request(app).post('/images/prune').send({ family: 'nobody' }))
        .status,
    ).toBe(404);
    expect(
      (
        await request(app)
          .post('/images/prune')
          .set('Authorization', mockCredentials.none.header())
          .send({})
      ).status,
    ).toBe(401);
    deny();
    const denied = await request(app)
      .post('/images/prune')
      .send({ dryRun: false, keepVersions: 1 });
    expect(denied.status).toBe(403);
    await expect(
      knex('image_versions').where({ state: 'pruned' }),
    ).resolves.toEqual([]);
  });
});
