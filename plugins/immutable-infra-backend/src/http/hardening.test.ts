/* eslint jest/expect-expect: ["warn", { "assertFunctionNames": ["expect", "expectRefused"] }] */
import express from 'express';
import { Knex } from 'knex';
import request from 'supertest';
import { LONE_SURROGATE_MESSAGE } from '@immutable-infra/backstage-plugin-common';
import { createTestDatabases } from '../__testUtils__/databases';
import { component, createRouterTestApp } from '../__testUtils__/routerTestApp';
import {
  ImageProvider,
  RegionNotEnabledError,
} from '../providers/ImageProvider';

jest.setTimeout(60_000);

// Bad input answers a clear 4xx naming the field, never a 500, and never
// slips past a check: each case below was accepted or failed with 500
// before the request schemas were made strict.

const FAMILY = 'payments-api';

/** A script URL, which links must never carry. */
const SCRIPT_URL = ['javascript', 'alert(1)'].join(':');

function manifestWith(build: object, customData?: object) {
  return {
    builds: [
      {
        name: 'payments',
        builder_type: 'amazon-ebs',
        build_time: 1764000000,
        artifact_id: 'us-east-1:ami-0bbbbbbbbbbbbbbb1',
        packer_run_uuid: 'run-1',
        custom_data: customData ?? null,
        ...build,
      },
    ],
    last_run_uuid: 'run-1',
  };
}

/** A cloud where every AMI asked about is the account's, after `delayMs`. */
function ownedCloud(
  options: { delayMs?: number; calls?: { inFlight: number; max: number } } = {},
): ImageProvider {
  return {
    listOwnedImages: async () => [],
    findImageUses: async () => new Map(),
    deleteImage: async () => {
      throw new Error('not in this test');
    },
    findOwnedImages: async location => {
      const calls = options.calls;
      if (calls) {
        calls.inFlight += 1;
        calls.max = Math.max(calls.max, calls.inFlight);
      }
      await new Promise(resolve => setTimeout(resolve, options.delayMs ?? 0));
      if (calls) {
        calls.inFlight -= 1;
      }
      return new Set(location.imageIds);
    },
  };
}

async function appWith(
  options: Parameters<typeof createRouterTestApp>[1] = {},
) {
  const test = await createRouterTestApp(
    [
      component(FAMILY, { 'immutable-infra.io/image-family': FAMILY }),
      component('legacy', { 'immutable-infra.io/image-family': 'legacy' }),
    ],
    options,
  );
  await request(test.app)
    .post('/families')
    .send({ name: FAMILY, entityRef: `component:default/${FAMILY}` })
    .expect(201);
  return test;
}

describe('hostile input', () => {
  let app: express.Express;
  let knex: Knex;

  beforeEach(async () => {
    ({ app, knex } = await appWith());
  });

  afterEach(async () => {
    await knex.destroy();
  });

  const register = (body: object) => request(app).post('/images').send(body);

  async function expectRefused(body: object, field: string) {
    const response = await register({ family: FAMILY, ...body });
    expect(response.status).toBe(400);
    expect(response.body.error.name).toBe('InputError');
    expect(response.body.error.message).toContain(field);
    await expect(knex('image_versions').select()).resolves.toEqual([]);
  }

  it.each([
    ['a build time past the date range', { build_time: 1e300 }],
    ['a build time before it', { build_time: -1e15 }],
  ])('refuses a manifest with %s, naming build_time', async (_, build) => {
    await expectRefused({ manifest: manifestWith(build) }, 'build_time');
  });

  it('refuses a manifest of 150 artifacts, as explicit artifacts stop at 64', async () => {
    const artifactId = Array.from(
      { length: 150 },
      (_, i) => `us-east-1:ami-0${String(i).padStart(16, '0')}`,
    ).join(',');
    const started = Date.now();
    await expectRefused(
      { manifest: manifestWith({ artifact_id: artifactId }) },
      'artifact_id',
    );
    // Refused by the schema, before any region is asked.
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it.each([
    ['a commit that is no SHA', { git_commit: "not-a-sha'; --" }, 'git_commit'],
    ['a javascript: build URL', { build_url: SCRIPT_URL }, 'build_url'],
    [
      'a 300-character parent',
      { parent_image: 'x'.repeat(300) },
      'parent_image',
    ],
    [
      'a NUL byte',
      { git_repo: 'https://git.example.com/a\u0000b' },
      'git_repo',
    ],
  ])(
    'refuses custom_data with %s, naming the field',
    async (_, data, field) => {
      await expectRefused({ manifest: manifestWith({}, data) }, field);
    },
  );

  it.each([
    ['a javascript: build URL', { buildUrl: SCRIPT_URL }, 'buildUrl'],
    ['a data: repository', { gitRepo: 'data:text/html,<b>x</b>' }, 'gitRepo'],
    ['a commit that is no SHA', { gitCommit: 'zzzzzzz' }, 'gitCommit'],
    ['a 300-character parent', { parent: 'y'.repeat(300) }, 'parent'],
  ])('refuses explicit artifacts with %s', async (_, fields, field) => {
    await expectRefused(
      {
        artifacts: [{ region: 'us-east-1', imageId: 'ami-0bbbbbbbbbbbbbbb1' }],
        ...fields,
      },
      field,
    );
  });

  it.each([
    ['an invented region', 'zz-nowhere-9'],
    ['a 60-character region', `us-east-${'1'.repeat(52)}`],
    ['a NUL byte', 'us-east-1\u0000'],
  ])('refuses an artifact in %s, naming region', async (_, region) => {
    await expectRefused(
      { artifacts: [{ region, imageId: 'ami-0bbbbbbbbbbbbbbb1' }] },
      'region',
    );
  });

  it('refuses an entityRef longer than its column and NUL bytes when enrolling', async () => {
    const long = await request(app)
      .post('/families')
      .send({
        name: 'long',
        entityRef: `component:default/${'a'.repeat(300)}`,
      });
    expect(long.status).toBe(400);
    expect(long.body.error.message).toContain('entityRef');
    const nul = await request(app)
      .post('/families')
      .send({ name: 'nul', entityRef: 'component:default/a\u0000b' });
    expect(nul.status).toBe(400);
    const nulName = await request(app)
      .post('/families')
      .send({ name: 'a\u0000b', entityRef: 'component:default/legacy' });
    expect(nulName.status).toBe(400);
    await expect(knex('image_families').select('name')).resolves.toEqual([
      { name: FAMILY },
    ]);
  });

  it('answers entity paths that cannot exist with 400 and its own message, without asking the catalog', async () => {
    for (const name of ['bad%00name', '-starts-with-dash', 'a'.repeat(64)]) {
      const response = await request(app).get(
        `/entities/component/default/${name}/summary`,
      );
      expect(response.status).toBe(400);
      expect(response.body.error.message).toMatch(/^Invalid entity name /);
      expect(response.body.error.message).not.toContain('Request failed');
    }
    const kind = await request(app).get('/entities/com%00p/default/x/drift');
    expect(kind.status).toBe(400);
    expect(kind.body.error.message).toMatch(/^Invalid entity kind /);
  });

  it.each(['/images', '/initiatives', '/rollouts', '/families', '/sync'])(
    'answers a body of 600 KB of unknown keys on %s with a short 400 naming a few of them',
    async path => {
      const body = Object.fromEntries(
        Array.from({ length: 3000 }, (_, i) => [`${i}`.padEnd(200, 'k'), 1]),
      );
      const response = await request(app).post(path).send(body);
      expect(response.status).toBe(400);
      const { message } = response.body.error;
      expect(message).toMatch(/^Invalid request body: /);
      expect(message.length).toBeLessThan(4_096);
      expect(JSON.stringify(response.body).length).toBeLessThan(8_192);
      // Every body is strict: it names the keys it does not have, five at most.
      expect(message).toContain('request body has unknown keys "0kkk');
      expect(message).toContain('and 2995 more');
    },
  );

  it('refuses a lone surrogate in a reason, as in every stored text', async () => {
    await register({
      family: FAMILY,
      artifacts: [{ region: 'us-east-1', imageId: 'ami-0bbbbbbbbbbbbbbb1' }],
    }).expect(201);
    const response = await request(app)
      .post(`/images/${FAMILY}@1/revoke`)
      .set('Content-Type', 'application/json')
      .send('{"reason":"CVE \\udead"}');
    expect(response.status).toBe(400);
    expect(response.body.error.message).toBe(
      `Invalid request body: reason ${LONE_SURROGATE_MESSAGE}`,
    );
    await expect(
      knex('image_versions').select('state', 'revoke_reason'),
    ).resolves.toEqual([{ state: 'active', revoke_reason: null }]);
  });

  it('answers a path that is not percent-encoded UTF-8 with a short 400', async () => {
    for (const path of [
      `/images/${'x'.repeat(5000)}%ZZ`,
      `/entities/component/default/${'%E0'.repeat(1000)}/summary`,
      '/rollouts/%ED%A0%80',
    ]) {
      const response = await request(app).get(path);
      expect(response.status).toBe(400);
      expect(response.body.error).toEqual({
        name: 'InputError',
        message:
          'Invalid path: a parameter is not percent-encoded UTF-8 (such as %C3%A9 for "é")',
      });
    }
  });

  it('answers malformed image ids, families and channels with 400', async () => {
    const image = await request(app).get('/images/not-an-image');
    expect(image.status).toBe(400);
    expect(image.body.error.message).toMatch(
      /^Invalid image id "not-an-image"/,
    );
    const family = await request(app).get('/families/Bad%20Family/channels');
    expect(family.status).toBe(400);
    expect(family.body.error.message).toMatch(/^Invalid image family /);
    const channel = await request(app)
      .put(`/families/${FAMILY}/channels/${'c'.repeat(65)}`)
      .send({ version: 1 });
    expect(channel.status).toBe(400);
    expect(channel.body.error.message).toMatch(/^Invalid channel /);
  });
});

describe('queries, encodings, links and texts', () => {
  let app: express.Express;
  let knex: Knex;

  beforeEach(async () => {
    ({ app, knex } = await appWith());
    await request(app)
      .post('/images')
      .send({
        family: FAMILY,
        artifacts: [{ region: 'us-east-1', imageId: 'ami-0bbbbbbbbbbbbbbb1' }],
      })
      .expect(201);
  });

  afterEach(async () => {
    await knex.destroy();
  });

  it('refuses a query key a route does not read, where ignoring it would act otherwise', async () => {
    // A prune asked as a dry run in the query prunes nothing.
    const prune = await request(app)
      .post('/images/prune?dryRun=true')
      .send({ family: FAMILY, keepVersions: 0, minAgeDays: 0 });
    expect(prune.status).toBe(400);
    expect(prune.body.error.message).toBe(
      'Invalid query: query has an unknown key "dryRun"',
    );
    await expect(knex('image_versions').select('state')).resolves.toEqual([
      { state: 'active' },
    ]);
    for (const path of [
      `/families?owner=group:default/team`,
      `/images/${FAMILY}@1?fields=all`,
      `/entities/component/default/${FAMILY}/summary?refresh=true`,
      // A typo of a paging route's key is not read as its default.
      `/entities/component/default/${FAMILY}/audit?limt=5`,
      `/families/${FAMILY}/channels/history?limt=5`,
      '/adoption?ownr=group:default/team',
      '/adoption/history?from=2027-01-01',
    ]) {
      const response = await request(app).get(path);
      expect({ path, status: response.status }).toEqual({ path, status: 400 });
      expect(response.body.error.message).toMatch(
        /^Invalid query: query has an unknown key "/,
      );
    }
    // The routes' own keys, and /health, which anyone may ask, answer.
    await request(app)
      .get(`/entities/component/default/${FAMILY}/audit?limit=5`)
      .expect(200);
    await request(app).get('/health?probe=lb').expect(200);
  });

  it('answers a body compressed as its Content-Encoding does not say with 400, and one it cannot read with 415', async () => {
    const garbled = await request(app)
      .post('/images/prune')
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'gzip')
      .send('{"dryRun":true}');
    expect(garbled.status).toBe(400);
    expect(garbled.body.error).toEqual({
      name: 'InputError',
      message: 'Request body is not compressed as its Content-Encoding says',
    });
    const brotli = await request(app)
      .post('/images/prune')
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'br')
      .send('{"dryRun":true}');
    // The OpenAPI document lists 415 (the test app checks every answer).
    expect(brotli.status).toBe(415);
    expect(brotli.body.error.message).toBe('unsupported content encoding "br"');
  });

  it.each([
    [
      'a token',
      'https://user:ghp_token@git.example.com/acme/orders',
      'gitRepo',
    ],
    ['a disguised host', 'https://ci.example.com@evil.example/42', 'buildUrl'],
  ])(
    'refuses a link with a user name (%s), as every reader would see it',
    async (_, url, field) => {
      const response = await request(app)
        .post('/images')
        .send({
          family: FAMILY,
          artifacts: [
            { region: 'us-east-1', imageId: 'ami-0bbbbbbbbbbbbbbb2' },
          ],
          [field]: url,
        });
      expect(response.status).toBe(400);
      expect(response.body.error.message).toContain(`${field} must be an http`);
      await expect(knex('image_versions').count({ n: '*' })).resolves.toEqual([
        { n: 1 },
      ]);
    },
  );

  it('refuses control and bidirectional characters in reasons and titles, and keeps line breaks in reasons', async () => {
    const revoke = (reason: string) =>
      request(app).post(`/images/${FAMILY}@1/revoke`).send({ reason });
    for (const [reason, escaped] of [
      ['CVE \u001b[2J\u001b[31mfixed', '\\u001b'],
      ['fixed in \u202egpj.exe', '\\u202e'],
    ]) {
      const response = await revoke(reason);
      expect(response.status).toBe(400);
      expect(response.body.error.message).toContain(
        `reason must not contain ${escaped}`,
      );
    }
    await expect(knex('image_versions').select('state')).resolves.toEqual([
      { state: 'active' },
    ]);
    await revoke('CVE-2026-1\n\tsee the ticket').expect(200);

    const goal = { kind: 'level', value: 'silver' };
    for (const title of ['Silver\nby June', 'Silver \u0007', '\u200b']) {
      const response = await request(app)
        .post('/initiatives')
        .send({ title, goal, deadline: '2099-01-01' });
      expect(response.status).toBe(400);
      expect(response.body.error.message).toMatch(
        /^Invalid request body: title /,
      );
    }
    await expect(knex('initiatives').count({ n: '*' })).resolves.toEqual([
      { n: 0 },
    ]);
  });
});

describe('the AMI ownership check', () => {
  const artifacts = (regions: string[]) =>
    regions.map((region, i) => ({
      region,
      imageId: `ami-0${String(i + 1).padStart(16, '0')}`,
    }));

  it('fails closed with 503 when EC2 cannot be asked, and registers nothing', async () => {
    const { app, knex } = await appWith({
      provider: {
        ...ownedCloud(),
        findOwnedImages: async () => {
          throw new Error('connect ECONNREFUSED 127.0.0.1:443');
        },
      },
    });
    const response = await request(app)
      .post('/images')
      .send({ family: FAMILY, artifacts: artifacts(['us-east-1']) });
    expect(response.status).toBe(503);
    expect(response.body.error.message).toContain(
      'Cannot check the AMIs with EC2, so nothing was registered; try again',
    );
    expect(response.body.error.message).toContain('ECONNREFUSED');
    await expect(knex('image_versions').select()).resolves.toEqual([]);
    await knex.destroy();
  });

  it('refuses with 400 an AMI in a region the account has not enabled', async () => {
    const { app, knex } = await appWith({
      provider: {
        ...ownedCloud(),
        findOwnedImages: async location => {
          throw new RegionNotEnabledError(
            `${location.region} is not enabled for the account`,
          );
        },
      },
    });
    const response = await request(app)
      .post('/images')
      .send({ family: FAMILY, artifacts: artifacts(['ap-east-1']) });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toContain(
      'ap-east-1 is not enabled for the main account',
    );
    await knex.destroy();
  });

  it('registers without asking when the operator turned the check off', async () => {
    const { app, knex } = await appWith({
      provider: {
        ...ownedCloud(),
        findOwnedImages: async () => {
          throw new Error('must not be asked');
        },
      },
      config: { immutableInfra: { registration: { verifyArtifacts: false } } },
    });
    const response = await request(app)
      .post('/images')
      .send({ family: FAMILY, artifacts: artifacts(['us-east-1']) });
    expect(response.status).toBe(201);
    await knex.destroy();
  });

  it('asks a bounded number of regions at once, and all of them', async () => {
    const calls = { inFlight: 0, max: 0 };
    const regions = [
      'us-east-1',
      'us-east-2',
      'us-west-1',
      'us-west-2',
      'eu-west-1',
      'eu-west-2',
      'eu-central-1',
      'ap-south-1',
      'ap-northeast-1',
      'sa-east-1',
    ];
    const { app, knex } = await appWith({
      provider: ownedCloud({ delayMs: 20, calls }),
      config: { immutableInfra: { registration: { concurrency: 3 } } },
    });
    await request(app)
      .post('/images')
      .send({ family: FAMILY, artifacts: artifacts(regions) })
      .expect(201);
    expect(calls.max).toBe(3);
    await knex.destroy();
  });

  it('gives up a registration that takes longer than its time bound, with 503', async () => {
    const { app, knex } = await appWith({
      provider: ownedCloud({ delayMs: 2_000 }),
      config: {
        immutableInfra: { registration: { timeout: { milliseconds: 200 } } },
      },
    });
    const started = Date.now();
    const response = await request(app)
      .post('/images')
      .send({ family: FAMILY, artifacts: artifacts(['us-east-1']) });
    expect(response.status).toBe(503);
    expect(response.body.error.message).toContain('took longer than');
    expect(Date.now() - started).toBeLessThan(1_500);
    await expect(knex('image_versions').select()).resolves.toEqual([]);
    await knex.destroy();
  });
});

const databases = createTestDatabases();

describe.each(databases.eachSupportedId())(
  'values at their column limits on %p',
  id => {
    it('stores values exactly at each limit, and refuses one more character with 400', async () => {
      const db = await databases.init(id);
      const family = `f${'a'.repeat(127)}`;
      const { app } = await createRouterTestApp(
        [component('owner', { 'immutable-infra.io/image-family': family })],
        { knex: db },
      );
      await request(app)
        .post('/families')
        .send({ name: family, entityRef: 'component:default/owner' })
        .expect(201);
      const tooLongFamily = await request(app)
        .post('/families')
        .send({ name: `${family}b`, entityRef: 'component:default/owner' });
      expect(tooLongFamily.status).toBe(400);

      const repo = `https://git.example.com/${'r'.repeat(512 - 24)}`;
      const buildUrl = `https://ci.example.com/${'b'.repeat(1024 - 23)}`;
      expect([repo.length, buildUrl.length]).toEqual([512, 1024]);
      const created = await request(app)
        .post('/images')
        .send({
          family,
          artifacts: [
            { region: 'us-east-1', imageId: 'ami-0bbbbbbbbbbbbbbb1' },
          ],
          gitRepo: repo,
          buildUrl,
          gitCommit: 'a'.repeat(40),
        });
      expect(created.status).toBe(201);
      expect(created.body.version).toMatchObject({ gitRepo: repo, buildUrl });
      const tooLong = await request(app)
        .post('/images')
        .send({
          family,
          artifacts: [
            { region: 'us-east-1', imageId: 'ami-0bbbbbbbbbbbbbbb2' },
          ],
          buildUrl: `${buildUrl}x`,
        });
      expect(tooLong.status).toBe(400);
      expect(tooLong.body.error.message).toContain('buildUrl');

      const reason = 'why'.repeat(341).padEnd(1024, '!');
      await request(app)
        .post(`/images/${family}@1/revoke`)
        .send({ reason })
        .expect(200);
      const tooLongReason = await request(app)
        .post(`/images/${family}@1/restore`)
        .send({ reason: `${reason}!` });
      expect(tooLongReason.status).toBe(400);
      await request(app)
        .post(`/images/${family}@1/restore`)
        .send({ reason })
        .expect(200);

      const channel = `c${'h'.repeat(62)}`;
      const assigned = await request(app)
        .put(`/families/${family}/channels/${channel}`)
        .send({ version: 1, reason });
      expect(assigned.body.error?.message).toBeUndefined();
      expect(assigned.status).toBe(200);
      await db.destroy();
    });
  },
);
