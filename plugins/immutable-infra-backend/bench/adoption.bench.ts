/*
 * Benchmark: GET /adoption and GET /adoption/history next to the catalog's own
 * GET /api/catalog/entities?filter=kind=component for the same components, on
 * one backend in one run: 10,000 components owned by 270 teams under 30
 * departments (300 groups) in the real catalog, and a year of daily adoption
 * snapshots (3.65 million rows) in PostgreSQL.
 *
 *   BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432 \
 *     yarn workspace @immutable-infra/backstage-plugin-backend bench:adoption
 */
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { createBackendModule } from '@backstage/backend-plugin-api';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import knexFactory from 'knex';
import { readFile } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import request from 'supertest';
import { immutableInfraPlugin } from '../src/plugin';
import { percentiles, requiredPostgresUrl } from './benchDatabase';

const COMPONENTS = Number(process.env.BENCH_COMPONENTS ?? 10_000);
const DEPARTMENTS = 30;
const TEAMS = 270;
const DAYS = Number(process.env.BENCH_DAYS ?? 365);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 30);

const location = {
  'backstage.io/managed-by-location': 'bench:adoption',
  'backstage.io/managed-by-origin-location': 'bench:adoption',
};

function entities() {
  const groups = [
    ...Array.from({ length: DEPARTMENTS }, (_, n) => ({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Group',
      metadata: {
        name: `dept-${n}`,
        namespace: 'default',
        annotations: location,
      },
      spec: { type: 'department', children: [] },
    })),
    ...Array.from({ length: TEAMS }, (_, n) => ({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Group',
      metadata: {
        name: `team-${n}`,
        namespace: 'default',
        annotations: location,
      },
      spec: { type: 'team', parent: `dept-${n % DEPARTMENTS}`, children: [] },
    })),
  ];
  const components = Array.from({ length: COMPONENTS }, (_, n) => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: `svc-${n}`,
      namespace: 'default',
      annotations: {
        ...location,
        ...(n % 10 < 6
          ? { 'immutable-infra.io/image-family': `svc-${n}` }
          : {}),
      },
    },
    spec: {
      type: 'service',
      lifecycle: n % 10 === 9 ? 'experimental' : 'production',
      owner: `group:default/team-${n % TEAMS}`,
    },
  }));
  return [...groups, ...components];
}

const benchEntities = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'bench-adoption',
  register(reg) {
    reg.registerInit({
      deps: { catalog: catalogProcessingExtensionPoint },
      async init({ catalog }) {
        catalog.addEntityProvider({
          getProviderName: () => 'bench-adoption',
          connect: async connection => {
            await connection.applyMutation({
              type: 'full',
              entities: entities().map(entity => ({
                entity,
                locationKey: 'bench:adoption',
              })),
            });
          },
        });
      },
    });
  },
});

async function main() {
  const url = requiredPostgresUrl();
  const prefix = `bench_${Date.now()}_`;
  const backend = await startTestBackend({
    features: [
      import('@backstage/plugin-catalog-backend'),
      benchEntities,
      immutableInfraPlugin,
      mockServices.rootConfig.factory({
        data: {
          backend: { database: { client: 'pg', connection: url, prefix } },
          catalog: { processingInterval: { hours: 1 } },
          aws: { mainAccount: { accessKeyId: 'x', secretAccessKey: 'x' } },
          immutableInfra: {
            aws: { endpoint: 'http://127.0.0.1:9', regions: ['us-east-1'] },
            // No scheduled work during the run.
            schedule: { frequency: { hours: 24 }, timeout: { hours: 1 } },
            adoption: { frequency: { hours: 24 } },
          },
        },
      }),
    ],
  });
  const { server } = backend;
  const auth = mockCredentials.user.header();

  let t0 = Date.now();
  for (;;) {
    const last = await request(server)
      .get(
        `/api/catalog/entities/by-name/component/default/svc-${COMPONENTS - 1}`,
      )
      .set('Authorization', auth);
    const team = await request(server)
      .get(`/api/catalog/entities/by-name/group/default/team-${TEAMS - 1}`)
      .set('Authorization', auth);
    if (
      last.status === 200 &&
      team.status === 200 &&
      team.body.relations?.some((r: any) => r.type === 'childOf')
    ) {
      break;
    }
    if (Date.now() - t0 > 900_000) {
      throw new Error('the catalog did not ingest the components');
    }
    await new Promise(r => setTimeout(r, 2000));
  }
  console.log(
    `catalog ingested ${COMPONENTS} components and ${
      DEPARTMENTS + TEAMS
    } groups in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );

  // A year of snapshots: enrolment and levels move with the days.
  const admin = knexFactory({ client: 'pg', connection: url });
  const { rows: databases } = await admin.raw(
    'select datname from pg_database where datname like ?',
    [`${prefix}%immutable%`],
  );
  const pluginUrl = new URL(url);
  pluginUrl.pathname = `/${databases[0].datname}`;
  const plugin = knexFactory({
    client: 'pg',
    connection: pluginUrl.toString(),
  });
  t0 = Date.now();
  await plugin.raw(
    await readFile(resolvePath(__dirname, 'adoptionSnapshots.sql'), 'utf8'),
    [TEAMS, DAYS - 1, DAYS, DAYS - 1, DAYS, 0, DAYS - 1, COMPONENTS - 1],
  );
  await plugin.raw('analyze adoption_snapshots');
  const [{ count }] = await plugin('adoption_snapshots').count({ count: '*' });
  console.log(
    `wrote ${count} snapshot rows (${DAYS} days) in ${(
      (Date.now() - t0) /
      1000
    ).toFixed(1)} s`,
  );
  await plugin.destroy();

  // The snapshot task's first run: computes the figures of the year's days
  // (written above without them), then writes today's from the catalog.
  t0 = Date.now();
  const snapshot = await request(server)
    .post('/api/immutable-infra/adoption/snapshots')
    .set('Authorization', auth)
    .send({})
    .expect(201);
  console.log(
    `snapshot task's first run (figures of ${DAYS} days kept, today's ${
      snapshot.body.components
    } components written): ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );

  const paths: Record<string, string> = {
    'catalog kind=component': '/api/catalog/entities?filter=kind=component',
    'GET /adoption': '/api/immutable-infra/adoption',
    'GET /adoption by owner':
      '/api/immutable-infra/adoption?owner=group:default/dept-3&sort=score&order=desc',
    'GET /adoption/history': '/api/immutable-infra/adoption/history?days=90',
  };
  const check = await request(server)
    .get(paths['GET /adoption'])
    .set('Authorization', auth);
  console.log(
    `the view: ${check.body.figures.services} services, ${check.body.figures.enrolled} enrolled, ${check.body.groups.length} owner rows`,
  );
  const times: Record<string, number[]> = Object.fromEntries(
    Object.keys(paths).map(k => [k, []]),
  );
  // The first history of a snapshot is read (every component) or computed
  // (a filtered view); later ones of the same view and snapshot come from
  // memory: the first ones are shown apart.
  for (const [name, path] of [
    ['GET /adoption/history', paths['GET /adoption/history']],
    [
      'GET /adoption/history, production only',
      `${paths['GET /adoption/history']}&lifecycle=production`,
    ],
  ]) {
    const cold = process.hrtime.bigint();
    await request(server).get(path).set('Authorization', auth).expect(200);
    console.log(
      `${name}, first of this snapshot: ${(
        Number(process.hrtime.bigint() - cold) / 1e6
      ).toFixed(1)} ms`,
    );
  }
  for (let i = 0; i < 3; i++) {
    for (const path of Object.values(paths)) {
      await request(server).get(path).set('Authorization', auth).expect(200);
    }
  }
  for (let i = 0; i < REQUESTS; i++) {
    for (const [name, path] of Object.entries(paths)) {
      const start = process.hrtime.bigint();
      await request(server).get(path).set('Authorization', auth).expect(200);
      times[name].push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  }
  console.log(
    `${REQUESTS} requests per endpoint, ${COMPONENTS} components, ${
      DEPARTMENTS + TEAMS
    } groups, ${DAYS} days of snapshots (PostgreSQL)`,
  );
  const catalog = percentiles(times['catalog kind=component']);
  for (const [name, list] of Object.entries(times)) {
    const p = percentiles(list);
    console.log(
      `${name.padEnd(24)} p50 ${p.p50.toFixed(1)} ms  p99 ${p.p99.toFixed(
        1,
      )} ms  (p50 ${(p.p50 / catalog.p50).toFixed(2)}x, p99 ${(
        p.p99 / catalog.p99
      ).toFixed(2)}x the catalog)`,
    );
  }
  await backend.stop();
  for (const { datname } of (
    await admin.raw('select datname from pg_database where datname like ?', [
      `${prefix}%`,
    ])
  ).rows) {
    await admin.raw('drop database if exists ?? with (force)', [datname]);
  }
  await admin.destroy();
  process.exit(0);
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
