import { mockCredentials } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import express from 'express';
import { Knex } from 'knex';
import request from 'supertest';
import { component, createRouterTestApp } from '../__testUtils__/routerTestApp';
import { CloudAccessError } from '../providers/ImageProvider';

const manifest = {
  builds: [
    {
      name: 'old',
      builder_type: 'amazon-ebs',
      build_time: 1760000000,
      files: null,
      artifact_id: 'us-east-1:ami-0aaaaaaaaaaaaaaa1',
      packer_run_uuid: 'run-1',
      custom_data: null,
    },
    {
      name: 'payments',
      builder_type: 'amazon-ebs',
      build_time: 1764000000,
      files: null,
      artifact_id:
        'us-east-1:ami-0bbbbbbbbbbbbbbb1,eu-west-1:ami-0bbbbbbbbbbbbbbb2',
      packer_run_uuid: 'run-2',
      custom_data: {
        git_commit: 'ABCDEF1234567',
        git_repo: 'https://git.example.com/payments',
        build_url: 'https://ci.example.com/builds/42',
      },
    },
  ],
  last_run_uuid: 'run-2',
};

describe('registry routes', () => {
  let app: express.Express;
  let knex: Knex;
  let deny: () => void;
  let permissions: Awaited<
    ReturnType<typeof createRouterTestApp>
  >['permissions'];

  beforeEach(async () => {
    ({ app, knex, deny, permissions } = await createRouterTestApp([
      component('payments-api', {
        'immutable-infra.io/image-family': 'payments-api',
      }),
      component('lonely', { 'immutable-infra.io/image-family': 'lonely' }),
      component('thief', { 'immutable-infra.io/image-family': 'payments-api' }),
    ]));
    await request(app)
      .post('/families')
      .send({
        name: 'payments-api',
        entityRef: 'component:default/payments-api',
      })
      .expect(201);
  });

  afterEach(async () => {
    await knex.destroy();
  });

  const register = (body: object) => request(app).post('/images').send(body);

  /** Every permission allowed, but on the one entity. */
  const denyOnly = (entityRef: string) =>
    permissions.authorize.mockImplementation(async requests =>
      requests.map(r => ({
        result:
          'resourceRef' in r && r.resourceRef === entityRef
            ? AuthorizeResult.DENY
            : AuthorizeResult.ALLOW,
      })),
    );

  describe('POST /images', () => {
    it('registers the last run of a Packer manifest, then answers 200 for the same content', async () => {
      const created = await register({ family: 'payments-api', manifest });
      expect(created.status).toBe(201);
      expect(created.body.created).toBe(true);
      expect(created.body.version).toMatchObject({
        id: 'payments-api@1',
        version: 1,
        gitCommit: 'abcdef1234567',
        fingerprint: 'abcdef1234567',
        gitRepo: 'https://git.example.com/payments',
        buildUrl: 'https://ci.example.com/builds/42',
        packerRunUuid: 'run-2',
        state: 'active',
        channels: ['latest'],
        artifacts: [
          { region: 'eu-west-1', imageId: 'ami-0bbbbbbbbbbbbbbb2' },
          { region: 'us-east-1', imageId: 'ami-0bbbbbbbbbbbbbbb1' },
        ].map(a => ({ provider: 'aws', ...a })),
      });
      expect(created.body.version.digest).toMatch(/^[0-9a-f]{64}$/);

      const again = await register({ family: 'payments-api', manifest });
      expect(again.status).toBe(200);
      expect(again.body).toEqual({ ...created.body, created: false });
    });

    it('takes an earlier run when asked, and explicit artifacts', async () => {
      const old = await register({
        family: 'payments-api',
        manifest,
        runUuid: 'run-1',
      });
      expect(old.status).toBe(201);
      expect(old.body.version.artifacts[0].imageId).toBe(
        'ami-0aaaaaaaaaaaaaaa1',
      );
      const explicit = await register({
        family: 'payments-api',
        artifacts: [
          {
            region: 'us-west-2',
            imageId: 'ami-0ccccccccccccccc1',
            account: '123456789012',
          },
        ],
        gitCommit: '1234567',
        parent: 'payments-api@1',
      });
      expect(explicit.status).toBe(201);
      expect(explicit.body.version).toMatchObject({
        id: 'payments-api@2',
        parentVersion: 'payments-api@1',
        artifacts: [{ account: '123456789012', region: 'us-west-2' }],
      });
    });

    it.each([
      [{ family: 'payments-api' }, 'give either manifest or artifacts'],
      [
        {
          family: 'payments-api',
          manifest,
          artifacts: [
            { region: 'us-east-1', imageId: 'ami-0ccccccccccccccc1' },
          ],
        },
        'not both',
      ],
      [
        {
          family: 'payments-api',
          artifacts: [{ region: 'us-east-1', imageId: 'i-0123' }],
        },
        'artifacts.0.imageId must be an AMI id',
      ],
      [
        {
          family: 'payments-api',
          artifacts: [{ region: 'mars-1', imageId: 'ami-0ccccccccccccccc1' }],
        },
        'artifacts.0.region must be an AWS region code',
      ],
      [
        {
          family: 'payments-api',
          manifest: {
            ...manifest,
            builds: [
              {
                ...manifest.builds[1],
                builder_type: 'docker',
                artifact_id: 'sha256:abc',
              },
            ],
          },
        },
        'does not produce an AMI',
      ],
      [
        {
          family: 'payments-api',
          manifest: {
            ...manifest,
            builds: [
              {
                ...manifest.builds[1],
                artifact_id: 'us-east-1/ami-0bbbbbbbbbbbbbbb1',
              },
            ],
          },
        },
        'is not "<region>:<ami id>"',
      ],
      [
        { family: 'payments-api', manifest, runUuid: 'run-9' },
        'manifest has no build of run run-9',
      ],
      [
        {
          family: 'nobody',
          artifacts: [
            { region: 'us-east-1', imageId: 'ami-0ccccccccccccccc1' },
          ],
        },
        'Image family "nobody" is not enrolled',
      ],
      [
        {
          family: 'payments-api',
          artifacts: [
            { region: 'us-east-1', imageId: 'ami-0ccccccccccccccc1' },
            { region: 'us-east-1', imageId: 'ami-0ccccccccccccccc2' },
          ],
        },
        'one AMI per region',
      ],
      [
        {
          family: 'payments-api',
          artifacts: [
            { region: 'us-east-1', imageId: 'ami-0ccccccccccccccc1' },
          ],
          builtAt: '2099-01-01T00:00:00Z',
        },
        'build time 2099-01-01T00:00:00.000Z is in the future',
      ],
    ])('answers 400 for %j', async (body, message) => {
      const response = await register(body);
      expect(response.status).toBe(400);
      expect(response.body.error.message).toContain(message);
    });

    it('answers 409 when an AMI already belongs to another version', async () => {
      await register({ family: 'payments-api', manifest }).expect(201);
      const response = await register({
        family: 'payments-api',
        artifacts: [{ region: 'us-east-1', imageId: 'ami-0bbbbbbbbbbbbbbb1' }],
      });
      expect(response.status).toBe(409);
      expect(response.body.error.message).toBe(
        'ami-0bbbbbbbbbbbbbbb1 is already registered as payments-api@1',
      );
    });

    it('answers 400 for AMIs that are not images of the account in that region, and registers nothing', async () => {
      const asked: object[] = [];
      const cloud = await createRouterTestApp(
        [
          component('payments-api', {
            'immutable-infra.io/image-family': 'payments-api',
          }),
        ],
        {
          provider: {
            listOwnedImages: async () => [],
            findImageUses: async () => new Map(),
            deleteImage: async () => {
              throw new Error('not in this test');
            },
            findOwnedImages: async location => {
              if (location.account === '999999999999') {
                throw new CloudAccessError(
                  'account 999999999999 cannot be asked in us-east-1: CredentialsProviderError: no credentials',
                );
              }
              asked.push(location);
              return new Set(
                location.imageIds.filter(id => id !== 'ami-0bbbbbbbbbbbbbbb2'),
              );
            },
          },
        },
      );
      await request(cloud.app)
        .post('/families')
        .send({
          name: 'payments-api',
          entityRef: 'component:default/payments-api',
        })
        .expect(201);
      const response = await request(cloud.app)
        .post('/images')
        .send({ family: 'payments-api', manifest });
      expect(response.status).toBe(400);
      expect(response.body.error.message).toBe(
        'Not images of the account in that region: ami-0bbbbbbbbbbbbbbb2 in eu-west-1 (the main account). Check the AMI id, the region and the account of each artifact.',
      );
      expect(asked).toEqual([
        { region: 'us-east-1', imageIds: ['ami-0bbbbbbbbbbbbbbb1'] },
        { region: 'eu-west-1', imageIds: ['ami-0bbbbbbbbbbbbbbb2'] },
      ]);
      await expect(cloud.knex('image_versions').select()).resolves.toEqual([]);

      // The AMIs of an account named by the artifact are checked in it.
      const other = await request(cloud.app)
        .post('/images')
        .send({
          family: 'payments-api',
          artifacts: [
            {
              region: 'us-east-1',
              imageId: 'ami-0ccccccccccccccc1',
              account: '210987654321',
            },
          ],
        });
      expect(other.status).toBe(201);
      expect(asked[2]).toEqual({
        region: 'us-east-1',
        account: '210987654321',
        imageIds: ['ami-0ccccccccccccccc1'],
      });

      // An account the plugin cannot ask is a configuration problem: 400.
      const unknownAccount = await request(cloud.app)
        .post('/images')
        .send({
          family: 'payments-api',
          artifacts: [
            {
              region: 'us-east-1',
              imageId: 'ami-0ccccccccccccccc2',
              account: '999999999999',
            },
          ],
        });
      expect(unknownAccount.status).toBe(400);
      expect(unknownAccount.body.error.message).toContain(
        'ami-0ccccccccccccccc2 in us-east-1: account 999999999999 cannot be asked',
      );
      expect(unknownAccount.body.error.message).toContain(
        'configure credentials for account 999999999999 (aws.accounts)',
      );
      await cloud.knex.destroy();
    });

    it('answers 413 for a body over 1 MB, 401 without credentials, 403 when denied', async () => {
      const huge = await register({
        family: 'payments-api',
        manifest,
        pad: 'x'.repeat(1_100_000),
      });
      expect(huge.status).toBe(413);
      expect(huge.body.error.message).toBe(
        'Request body is larger than the 1mb limit',
      );
      const anonymous = await request(app)
        .post('/images')
        .set('Authorization', mockCredentials.none.header())
        .send({ family: 'payments-api', manifest });
      expect(anonymous.status).toBe(401);
      deny();
      const denied = await register({ family: 'payments-api', manifest });
      expect(denied.status).toBe(403);
      await expect(knex('image_versions').select()).resolves.toEqual([]);
    });
  });

  describe('reads', () => {
    beforeEach(async () => {
      await register({ family: 'payments-api', manifest }).expect(201);
    });

    it('GET /images/:id by version ref or AMI id, 404 when unknown, 400 when malformed', async () => {
      const byRef = await request(app).get('/images/payments-api@1');
      expect(byRef.status).toBe(200);
      const byAmi = await request(app).get('/images/ami-0bbbbbbbbbbbbbbb2');
      expect(byAmi.body.id).toBe('payments-api@1');
      expect((await request(app).get('/images/payments-api@9')).status).toBe(
        404,
      );
      const bad = await request(app).get('/images/latest');
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toContain(
        'expected "<family>@<version>" or an AMI id',
      );
    });

    it('GET /entities/.../images pages the family, 404 for an unknown entity', async () => {
      const page = await request(app).get(
        '/entities/component/default/payments-api/images?limit=1',
      );
      expect(page.status).toBe(200);
      expect(page.body.family).toBe('payments-api');
      expect(page.body.items.map((v: { id: string }) => v.id)).toEqual([
        'payments-api@1',
      ]);
      expect(page.body.nextCursor).toBeUndefined();
      expect(
        (await request(app).get('/entities/component/default/x/images')).status,
      ).toBe(404);
      const badLimit = await request(app).get(
        '/entities/component/default/payments-api/images?limit=0',
      );
      expect(badLimit.status).toBe(400);
    });
  });

  describe('GET /families', () => {
    it('lists the enrolled families by name, only those whose entity the caller may read', async () => {
      await request(app)
        .post('/families')
        .send({ name: 'lonely', entityRef: 'component:default/lonely' })
        .expect(201);
      const all = await request(app).get('/families').expect(200);
      expect(all.body.items).toEqual([
        {
          name: 'lonely',
          entityRef: 'component:default/lonely',
          createdAt: expect.any(String),
        },
        {
          name: 'payments-api',
          entityRef: 'component:default/payments-api',
          createdAt: expect.any(String),
        },
      ]);
      denyOnly('component:default/lonely');
      const some = await request(app).get('/families').expect(200);
      expect(some.body.items.map((f: { name: string }) => f.name)).toEqual([
        'payments-api',
      ]);
    });

    it('answers 401 without credentials', async () => {
      const anonymous = await request(app)
        .get('/families')
        .set('authorization', mockCredentials.none.header());
      expect(anonymous.status).toBe(401);
    });
  });

  describe('revoke and restore', () => {
    beforeEach(async () => {
      await register({ family: 'payments-api', manifest }).expect(201);
    });

    it('requires a reason, then revokes and restores', async () => {
      const noReason = await request(app)
        .post('/images/payments-api@1/revoke')
        .send({});
      expect(noReason.status).toBe(400);
      expect(noReason.body.error.message).toContain('reason');

      const revoked = await request(app)
        .post('/images/payments-api@1/revoke')
        .send({ reason: 'CVE-2026-1234' });
      expect(revoked.status).toBe(200);
      expect(revoked.body.changed).toMatchObject([
        {
          id: 'payments-api@1',
          state: 'revoked',
          revokeReason: 'CVE-2026-1234',
          revokedBy: 'user:default/mock',
        },
      ]);
      const restored = await request(app)
        .post('/images/payments-api@1/restore')
        .send({});
      expect(restored.body.changed).toMatchObject([
        { id: 'payments-api@1', state: 'active' },
      ]);
    });

    it('revokes descendants in other families only when their owners allow it', async () => {
      await request(app)
        .post('/families')
        .send({ name: 'lonely', entityRef: 'component:default/lonely' })
        .expect(201);
      await register({
        family: 'lonely',
        artifacts: [{ region: 'us-east-1', imageId: 'ami-0ddddddddddddddd1' }],
        parent: 'payments-api@1',
      }).expect(201);
      denyOnly('component:default/lonely');
      const denied = await request(app)
        .post('/images/payments-api@1/revoke')
        .send({ reason: 'CVE', descendants: true });
      expect(denied.status).toBe(403);
      expect(denied.body.error.message).toBe(
        'You may not revoke images of lonely, which are built on payments-api@1',
      );
      await expect(
        knex('image_versions').where({ state: 'revoked' }),
      ).resolves.toEqual([]);

      permissions.authorize.mockImplementation(async requests =>
        requests.map(() => ({ result: AuthorizeResult.ALLOW })),
      );
      const allowed = await request(app)
        .post('/images/payments-api@1/revoke')
        .send({ reason: 'CVE', descendants: true });
      expect(
        allowed.body.changed.map((v: { id: string }) => v.id).sort(),
      ).toEqual(['lonely@1', 'payments-api@1']);
    });

    it('answers 403 when denied and 404 for an unknown image', async () => {
      expect(
        (
          await request(app)
            .post('/images/payments-api@7/revoke')
            .send({ reason: 'x' })
        ).status,
      ).toBe(404);
      deny();
      const denied = await request(app)
        .post('/images/payments-api@1/revoke')
        .send({ reason: 'x' });
      expect(denied.status).toBe(403);
    });
  });

  describe('channels', () => {
    beforeEach(async () => {
      await register({ family: 'payments-api', manifest }).expect(201);
      await register({
        family: 'payments-api',
        manifest,
        runUuid: 'run-1',
      }).expect(201);
    });

    it('assigns, lists with history, and rolls back', async () => {
      const assigned = await request(app)
        .put('/families/payments-api/channels/production')
        .send({ version: 1 });
      expect(assigned.status).toBe(200);
      expect(assigned.body).toMatchObject({
        changed: true,
        channel: { name: 'production', version: 'payments-api@1' },
      });
      await request(app)
        .put('/families/payments-api/channels/production')
        .send({ version: 'payments-api@2', reason: 'promote' })
        .expect(200);

      const channels = await request(app).get(
        '/families/payments-api/channels',
      );
      expect(
        channels.body.channels.map((c: { name: string; version: string }) => [
          c.name,
          c.version,
        ]),
      ).toEqual([
        // latest is the version built last: run-2, though registered first.
        ['latest', 'payments-api@1'],
        ['production', 'payments-api@2'],
      ]);

      const history = await request(app).get(
        '/families/payments-api/channels/history?channel=production',
      );
      expect(history.body.items).toHaveLength(2);

      const rolled = await request(app)
        .post('/families/payments-api/channels/production/rollback')
        .send({});
      expect(rolled.body.channel.version).toBe('payments-api@1');
    });

    it('refuses latest, unknown versions, revoked versions, and other families', async () => {
      const latest = await request(app)
        .put('/families/payments-api/channels/latest')
        .send({ version: 1 });
      expect(latest.status).toBe(400);
      expect(latest.body.error.message).toContain('managed');
      const unknown = await request(app)
        .put('/families/payments-api/channels/production')
        .send({ version: 42 });
      expect(unknown.status).toBe(404);
      await request(app)
        .post('/images/payments-api@2/revoke')
        .send({ reason: 'bad' })
        .expect(200);
      const revoked = await request(app)
        .put('/families/payments-api/channels/production')
        .send({ version: 2 });
      expect(revoked.status).toBe(409);
      expect(revoked.body.error.message).toBe(
        'payments-api@2 is revoked and cannot be assigned to a channel',
      );
      const other = await request(app)
        .put('/families/payments-api/channels/production')
        .send({ version: 'lonely@1' });
      expect(other.status).toBe(400);
      const noHistory = await request(app)
        .post('/families/payments-api/channels/staging/rollback')
        .send({});
      expect(noHistory.status).toBe(404);
      expect((await request(app).get('/families/nobody/channels')).status).toBe(
        404,
      );
    });

    it('answers 403 when assignment is denied', async () => {
      deny();
      const denied = await request(app)
        .put('/families/payments-api/channels/production')
        .send({ version: 1 });
      expect(denied.status).toBe(403);
      await expect(knex('channel_assignments').select()).resolves.toEqual([]);
    });
  });
});
