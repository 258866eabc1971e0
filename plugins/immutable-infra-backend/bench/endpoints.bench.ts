/*
 * Benchmark: the summary and drift endpoints against the catalog's own
 * GET /api/catalog/entities/by-name/... on one backend in one run, with a
 * synthetic fleet (default 2,000 entities, 25 instances each) synced through
 * the plugin from a local server replaying EC2, in PostgreSQL.
 *
 *   BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432 \
 *     yarn workspace @immutable-infra/backstage-plugin-backend bench:endpoints
 */
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { createBackendModule } from '@backstage/backend-plugin-api';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import knexFactory from 'knex';
import request from 'supertest';
import { immutableInfraPlugin } from '../src/plugin';
import { imageOf, startReplayServer } from './ec2ReplayServer';
import { percentiles, requiredPostgresUrl } from './benchDatabase';

const ENTITIES = Number(process.env.BENCH_ENTITIES ?? 2000);
const PER_ENTITY = Number(process.env.BENCH_INSTANCES_PER_ENTITY ?? 25);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 1000);

function entity(n: number) {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: `svc-${n}`,
      namespace: 'default',
      annotations: {
        'immutable-infra.io/image-family': `svc-${n}`,
        'immutable-infra.io/log-destination': 'cloudwatch:/bench',
        'backstage.io/managed-by-location': 'bench:fleet',
        'backstage.io/managed-by-origin-location': 'bench:fleet',
      },
    },
    spec: {
      type: 'service',
      owner: 'group:default/team',
      lifecycle: 'production',
    },
  };
}

const fleetEntities = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'bench-fleet',
  register(reg) {
    reg.registerInit({
      deps: { catalog: catalogProcessingExtensionPoint },
      async init({ catalog }) {
        catalog.addEntityProvider({
          getProviderName: () => 'bench-fleet',
          connect: async connection => {
            await connection.applyMutation({
              type: 'full',
              entities: Array.from({ length: ENTITIES }, (_, n) => ({
                entity: entity(n),
                locationKey: 'bench:fleet',
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
  const replay = await startReplayServer({
    perEntity: PER_ENTITY,
    entities: ENTITIES,
  });
  const prefix = `bench_${Date.now()}_`;
  const backend = await startTestBackend({
    features: [
      import('@backstage/plugin-catalog-backend'),
      fleetEntities,
      immutableInfraPlugin,
      mockServices.rootConfig.factory({
        data: {
          backend: {
            database: {
              client: 'pg',
              connection: url,
              prefix,
            },
          },
          catalog: { processingInterval: { hours: 1 } },
          aws: { mainAccount: { accessKeyId: 'x', secretAccessKey: 'x' } },
          immutableInfra: {
            aws: { endpoint: replay.endpoint, regions: ['us-east-1'] },
            schedule: { frequency: { hours: 1 }, timeout: { hours: 1 } },
          },
        },
      }),
    ],
  });
  const { server } = backend;
  const auth = mockCredentials.user.header();
  const service = mockCredentials.service.header();

  let t0 = Date.now();
  for (;;) {
    const last = await request(server)
      .get(
        `/api/catalog/entities/by-name/component/default/svc-${ENTITIES - 1}`,
      )
      .set('Authorization', auth);
    if (last.status === 200) break;
    if (Date.now() - t0 > 600_000)
      throw new Error('the catalog did not ingest the fleet');
    await new Promise(r => setTimeout(r, 1000));
  }
  console.log(
    `catalog ingested ${ENTITIES} entities in ${(
      (Date.now() - t0) /
      1000
    ).toFixed(1)} s`,
  );

  for (let n = 0; n < ENTITIES; n++) {
    await request(server)
      .post('/api/immutable-infra/families')
      .set('Authorization', service)
      .send({ name: `svc-${n}`, entityRef: `component:default/svc-${n}` })
      .expect(201);
    await request(server)
      .post('/api/immutable-infra/images')
      .set('Authorization', service)
      .send({
        family: `svc-${n}`,
        artifacts: [{ region: 'us-east-1', imageId: imageOf(n) }],
      })
      .expect(res => {
        // AMIs are shared by 40 families in the replayed fleet: the first registers it.
        if (![201, 409].includes(res.status)) throw new Error(res.text);
      });
  }
  t0 = Date.now();
  const sync = await request(server)
    .post('/api/immutable-infra/sync')
    .set('Authorization', service)
    .send({});
  const failed = sync.body.synced.filter((s: any) => s.status !== 'ok');
  if (failed.length) throw new Error(`sync failed: ${failed[0].error}`);
  console.log(
    `synced ${ENTITIES * PER_ENTITY} instances over ${ENTITIES} entities in ${(
      (Date.now() - t0) /
      1000
    ).toFixed(1)} s`,
  );

  const paths: Record<string, (n: number) => string> = {
    'catalog by-name': n =>
      `/api/catalog/entities/by-name/component/default/svc-${n}`,
    'immutable-infra summary': n =>
      `/api/immutable-infra/entities/component/default/svc-${n}/summary`,
    'immutable-infra drift': n =>
      `/api/immutable-infra/entities/component/default/svc-${n}/drift`,
  };
  // Warm up every path, then measure them interleaved.
  const times: Record<string, number[]> = Object.fromEntries(
    Object.keys(paths).map(k => [k, []]),
  );
  for (let i = 0; i < 50; i++) {
    for (const path of Object.values(paths)) {
      await request(server)
        .get(path(i % ENTITIES))
        .set('Authorization', auth)
        .expect(200);
    }
  }
  for (let i = 0; i < REQUESTS; i++) {
    const n = (i * 7919) % ENTITIES;
    for (const [name, path] of Object.entries(paths)) {
      const start = process.hrtime.bigint();
      await request(server).get(path(n)).set('Authorization', auth).expect(200);
      times[name].push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  }
  console.log(
    `${REQUESTS} requests per endpoint, ${PER_ENTITY} instances per entity (PostgreSQL)`,
  );
  const catalog = percentiles(times['catalog by-name']);
  for (const [name, list] of Object.entries(times)) {
    const p = percentiles(list);
    console.log(
      `${name.padEnd(24)} p50 ${p.p50.toFixed(2)} ms  p99 ${p.p99.toFixed(
        2,
      )} ms  (p50 ${(p.p50 / catalog.p50).toFixed(2)}x the catalog)`,
    );
  }
  replay.close();
  await backend.stop();
  // Drop the databases of this run (one per plugin).
  const admin = knexFactory({ client: 'pg', connection: url });
  const { rows } = await admin.raw(
    'select datname from pg_database where datname like ?',
    [`${prefix}%`],
  );
  for (const { datname } of rows) {
    await admin.raw('drop database if exists ?? with (force)', [datname]);
  }
  await admin.destroy();
  process.exit(0);
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
