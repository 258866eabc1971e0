import { mockCredentials } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { RunInstancesCommand } from '@aws-sdk/client-ec2';
import express from 'express';
import { Knex } from 'knex';
import request from 'supertest';
import { Ec2Fixtures, emulatorClients } from '../__testUtils__/ec2Fixtures';
import { emulatorConfig, MotoServer, startMoto } from '../__testUtils__/moto';
import { component, createRouterTestApp } from '../__testUtils__/routerTestApp';
import { AwsClientFactory } from '../providers/aws/AwsClientFactory';
import { Ec2FleetProvider } from '../providers/aws/Ec2FleetProvider';

jest.setTimeout(60_000);

describe('fleet routes', () => {
  let moto: MotoServer;
  let app: express.Express;
  let knex: Knex;
  let deny: () => void;
  let amis: string[];
  const instances: string[] = [];

  beforeAll(async () => {
    moto = await startMoto();
    const { ec2, autoscaling } = emulatorClients(moto.endpoint, 'us-east-1');
    const fixtures = new Ec2Fixtures(ec2, autoscaling);
    amis = [
      await fixtures.image(),
      await fixtures.image(),
      await fixtures.image(),
    ];
    // Three production instances on v1 (to be revoked), one on v2, one hand-built.
    const launch = async (imageId: string, count: number) => {
      const run = await ec2.send(
        new RunInstancesCommand({
          ImageId: imageId,
          MinCount: count,
          MaxCount: count,
          InstanceType: 't3.micro',
          MetadataOptions: { HttpTokens: 'required' },
          TagSpecifications: [
            {
              ResourceType: 'instance',
              Tags: [
                { Key: 'immutable-infra:service', Value: 'app' },
                { Key: 'environment', Value: 'production' },
              ],
            },
          ],
        }),
      );
      instances.push(...run.Instances!.map(i => i.InstanceId!));
    };
    await launch(amis[0], 3);
    await launch(amis[1], 1);
    await launch(amis[2], 1);
  });

  afterAll(async () => {
    await moto?.stop();
  });

  beforeEach(async () => {
    ({ app, knex, deny } = await createRouterTestApp(
      [
        component('app', {
          'immutable-infra.io/image-family': 'app',
          'immutable-infra.io/log-destination': 'cloudwatch:/app',
        }),
        component('stranger', {}),
      ],
      {
        fleetProvider: new Ec2FleetProvider(
          AwsClientFactory.fromConfig(
            new ConfigReader(emulatorConfig(moto.endpoint)),
          ),
        ),
      },
    ));
    await request(app)
      .post('/families')
      .send({ name: 'app', entityRef: 'component:default/app' })
      .expect(201);
    for (const imageId of amis.slice(0, 2)) {
      await request(app)
        .post('/images')
        .send({
          family: 'app',
          artifacts: [{ region: 'us-east-1', imageId }],
          gitCommit: 'abc1234',
        })
        .expect(201);
    }
    await request(app)
      .put('/families/app/channels/production')
      .send({ version: 2 })
      .expect(200);
    await request(app)
      .post('/images/app@1/revoke')
      .send({ reason: 'CVE-2026-7' })
      .expect(200);
  });

  afterEach(async () => {
    await knex.destroy();
  });

  it('syncs, then shows drift grouped by root cause, the summary and the instances', async () => {
    const synced = await request(app)
      .post('/sync')
      .send({ entityRef: 'component:default/app' });
    expect(synced.status).toBe(200);
    expect(synced.body.synced).toEqual([
      { entityRef: 'component:default/app', status: 'ok', instances: 5 },
    ]);

    const drift = await request(app).get(
      '/entities/component/default/app/drift',
    );
    expect(drift.status).toBe(200);
    expect(drift.body.counts).toEqual({
      critical: 3,
      high: 1,
      medium: 0,
      low: 0,
    });
    expect(
      drift.body.groups.map((g: any) => [g.rule, g.count, g.summary]),
    ).toEqual([
      ['revoked-image', 3, '3 instances run the revoked app@1'],
      [
        'unregistered-image',
        1,
        `1 instance runs ${amis[2]}, an image no pipeline registered`,
      ],
    ]);
    expect(drift.body.sync).toMatchObject({ status: 'ok', stale: false });
    // A page asks for a few findings a group: the counts stay whole.
    const bounded = await request(app).get(
      '/entities/component/default/app/drift?findingsPerGroup=1',
    );
    expect(bounded.status).toBe(200);
    expect(
      bounded.body.groups.map((g: any) => [
        g.count,
        g.findings.length,
        g.instanceIds.length,
        g.environments,
      ]),
    ).toEqual([
      [3, 1, 1, ['production']],
      [1, 1, 1, ['production']],
    ]);
    expect(drift.body.groups[0].findings).toHaveLength(3);
    expect(
      (
        await request(app).get(
          '/entities/component/default/app/drift?findingsPerGroup=0',
        )
      ).status,
    ).toBe(400);

    const summary = await request(app).get(
      '/entities/component/default/app/summary',
    );
    expect(summary.body.fleet).toMatchObject({
      instances: 5,
      counts: { critical: 3, high: 1 },
      score: { score: 45, level: 'bronze' },
      environments: [
        { environment: 'staging', running: [] },
        { environment: 'production', channelVersion: 'app@2' },
      ],
    });
    expect(summary.body.fleet.environments[1].running).toEqual(
      expect.arrayContaining([
        { imageId: amis[0], version: 'app@1', instances: 3 },
        { imageId: amis[1], version: 'app@2', instances: 1 },
        { imageId: amis[2], instances: 1 },
      ]),
    );

    const revoked = await request(app).get(
      '/entities/component/default/app/instances?rule=revoked-image&limit=2',
    );
    expect(revoked.body.total).toBe(3);
    expect(revoked.body.items).toHaveLength(2);
    const rest = await request(app).get(
      `/entities/component/default/app/instances?rule=revoked-image&limit=2&cursor=${revoked.body.nextCursor}`,
    );
    expect(rest.body.items).toHaveLength(1);
    expect(rest.body.nextCursor).toBeUndefined();
    expect(rest.body.items[0]).toMatchObject({
      version: 'app@1',
      imageAgeDays: 0,
      rules: ['revoked-image'],
    });

    const age = await request(app).get(
      '/entities/component/default/app/image-age',
    );
    expect(age.body.environments).toEqual([
      expect.objectContaining({
        environment: 'staging',
        instances: 0,
        withinPolicy: true,
      }),
      expect.objectContaining({
        environment: 'production',
        instances: 5,
        maxDays: 0,
        policyDays: 30,
      }),
    ]);
    expect(age.body.versionsInUse[0]).toEqual({
      imageId: amis[0],
      version: 'app@1',
      ageDays: 0,
      instances: 3,
    });
    // The figures say how fresh they are, as the drift answer does.
    expect(age.body.sync).toMatchObject({ status: 'ok', stale: false });
    expect(Date.parse(age.body.sync.lastSuccessAt)).toBeGreaterThan(0);

    const blast = await request(app).get('/images/app@1/blast-radius');
    expect(blast.body).toEqual({
      version: 'app@1',
      imageIds: [amis[0]],
      instances: 3,
      entities: [
        {
          entityRef: 'component:default/app',
          owner: 'group:default/team',
          environments: ['production'],
          instanceIds: expect.arrayContaining(instances.slice(0, 3)),
        },
      ],
    });
  });

  it('shows a revocation or a channel move on the very next read', async () => {
    await request(app)
      .post('/sync')
      .send({ entityRef: 'component:default/app' })
      .expect(200);
    const before = await request(app).get(
      '/entities/component/default/app/drift',
    );
    expect(before.body.groups.map((g: any) => g.rule)).toEqual([
      'revoked-image',
      'unregistered-image',
    ]);

    await request(app).post('/images/app@1/restore').send({}).expect(200);
    const restored = await request(app).get(
      '/entities/component/default/app/drift',
    );
    expect(restored.body.groups.map((g: any) => g.rootCause)).toEqual([
      `unregistered-image:${amis[2]}`,
      'image-mismatch:production:app@1',
    ]);

    await request(app)
      .put('/families/app/channels/production')
      .send({ version: 1 })
      .expect(200);
    const moved = await request(app).get(
      '/entities/component/default/app/summary',
    );
    expect(moved.body.fleet.environments[1].channelVersion).toBe('app@1');
  });

  it('answers 404 to a caller who may not read the entity, though the plugin knows it', async () => {
    await request(app)
      .post('/sync')
      .send({ entityRef: 'component:default/app' })
      .expect(200);
    await request(app).get('/entities/component/default/app/drift').expect(200);
    await request(app).get('/families/app/channels').expect(200);
    await request(app).get('/families/app/channels/history').expect(200);
    deny();
    for (const page of ['drift', 'summary', 'image-age', 'instances']) {
      const response = await request(app).get(
        `/entities/component/default/app/${page}`,
      );
      expect(response.status).toBe(404);
      expect(response.body.error.message).toBe(
        'No entity component:default/app found, or you may not read it',
      );
    }
    // Nor its family's channels (the read permission, without reading the
    // entity from the catalog).
    for (const path of [
      '/families/app/channels',
      '/families/app/channels/history',
    ]) {
      const response = await request(app).get(path);
      expect(response.status).toBe(404);
      expect(response.body.error.message).toBe(
        'No image family "app" found, or you may not read its entity',
      );
    }
    // Nor does the blast radius name it.
    const blast = await request(app).get('/images/app@1/blast-radius');
    expect(blast.status).toBe(200);
    expect(blast.body).toMatchObject({ instances: 0, entities: [] });
  });

  it('answers 400, 401, 403 and 404 as it should', async () => {
    expect(
      (await request(app).post('/sync').send({ entityRef: 'component:' }))
        .status,
    ).toBe(400);
    expect(
      (
        await request(app)
          .post('/sync')
          .send({ entityRef: 'component:default/nope' })
      ).status,
    ).toBe(404);
    expect(
      (
        await request(app)
          .post('/sync')
          .set('Authorization', mockCredentials.none.header())
          .send({})
      ).status,
    ).toBe(401);
    expect(
      (await request(app).get('/entities/component/default/stranger/drift'))
        .status,
    ).toBe(404);
    expect(
      (
        await request(app).get(
          '/entities/component/default/app/instances?rule=bogus',
        )
      ).status,
    ).toBe(400);
    expect(
      (await request(app).get('/images/nonsense/blast-radius')).status,
    ).toBe(400);
    expect((await request(app).get('/images/app@9/blast-radius')).status).toBe(
      404,
    );
    deny();
    const denied = await request(app).post('/sync').send({});
    expect(denied.status).toBe(403);
    // A service (the scheduler, another plugin) may sync without the permission.
    const service = await request(app)
      .post('/sync')
      .set('Authorization', mockCredentials.service.header())
      .send({ entityRef: 'component:default/app' });
    expect(service.status).toBe(200);
  });
});
