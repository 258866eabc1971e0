/*
 * Benchmark: GET /entities/:kind/:namespace/:name/images for a family with
 * 10 versions and one with 10,000, through the plugin's real router and
 * store. Prints p50/p99 per page and the ratio large/small.
 *
 *   yarn workspace @immutable-infra/backstage-plugin-backend bench:images
 *   BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench yarn ... (PostgreSQL)
 */
import { mockErrorHandler, mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { openBenchDatabase, silentLogger } from './benchDatabase';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import express from 'express';
import { createHash } from 'node:crypto';
import { AddressInfo } from 'node:net';
import { createRouter } from '../src/http/router';
import { readSettings } from '../src/config/settings';
import { createServices } from '../src/services';

const SIZES = { small: 10, large: 10_000 };

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200);

function percentile(sorted: number[], p: number) {
  return sorted[
    Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))
  ];
}

async function main() {
  const { knex, kind } = await openBenchDatabase();
  const url = kind === 'PostgreSQL';

  const started = Date.now();
  for (const [family, count] of Object.entries(SIZES)) {
    await knex('image_families').insert({
      name: family,
      entity_ref: `component:default/${family}`,
      last_version: count,
    });
    for (let from = 1; from <= count; from += 500) {
      const rows = [];
      for (let v = from; v < from + 500 && v <= count; v++) {
        rows.push({
          family,
          version: v,
          fingerprint: `c${v}`,
          digest: createHash('sha256').update(`${family}-${v}`).digest('hex'),
          git_commit: `c${v}`,
          source: 'registered',
          state: v % 97 === 0 ? 'revoked' : 'active',
          created_at: new Date(Date.now() - (count - v) * 3_600_000),
        });
      }
      const ids = await knex('image_versions').insert(rows).returning('id');
      await knex('image_artifacts').insert(
        ids.map((row: any, i: number) => ({
          version_id: typeof row === 'object' ? row.id : row,
          provider: 'aws',
          region: 'us-east-1',
          image_id: `ami-${family === 'small' ? 'a' : 'b'}${String(
            from + i,
          ).padStart(16, '0')}`,
        })),
      );
    }
  }
  console.log(
    `seeded ${SIZES.small + SIZES.large} versions in ${
      Date.now() - started
    } ms (${url ? 'PostgreSQL' : 'SQLite'})`,
  );

  if (url) {
    // Statistics, as a live database has them.
    await knex.raw('ANALYZE');
  }
  const entity = (name: string) => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      namespace: 'default',
      annotations: { 'immutable-infra.io/image-family': name },
    },
    spec: {},
  });
  const catalog = catalogServiceMock({
    entities: [entity('small'), entity('large')],
  });
  const settings = readSettings(new ConfigReader({}));
  const services = createServices({
    knex,
    settings,
    logger: silentLogger,
    permissions: mockServices.permissions({ result: AuthorizeResult.ALLOW }),
    catalog,
    auth: mockServices.auth(),
    imageProvider: undefined as never,
    fleetProviderFactory: () => undefined as never,
    rolloutProvider: undefined as never,
  });
  const router = await createRouter({
    httpAuth: mockServices.httpAuth(),
    auditor: {
      createEvent: async () => ({
        success: async () => {},
        fail: async () => {},
      }),
    },
    ...services,
  });
  const app = express().use(router).use(mockErrorHandler());
  const server = app.listen(0, '127.0.0.1');
  await new Promise(resolve => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  async function measure(path: string) {
    const times: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const t0 = process.hrtime.bigint();
      const response = await fetch(`${base}${path}`);
      const body = await response.json();
      if (!response.ok || body.items.length === 0) {
        throw new Error(
          `${path}: ${response.status} ${JSON.stringify(body).slice(0, 200)}`,
        );
      }
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    times.sort((a, b) => a - b);
    return { p50: percentile(times, 50), p99: percentile(times, 99) };
  }

  // Warm up connections, plans and the JIT before measuring anything.
  for (const family of Object.keys(SIZES)) {
    await measure(`/entities/component/default/${family}/images?limit=10`);
  }
  const results: Record<string, { p50: number; p99: number }> = {};
  for (const family of Object.keys(SIZES)) {
    results[`${family} first page`] = await measure(
      `/entities/component/default/${family}/images?limit=10`,
    );
    results[`${family} last page`] = await measure(
      `/entities/component/default/${family}/images?limit=10&cursor=6`,
    );
  }
  console.log(
    `${REQUESTS} requests per case, 10 versions per page (the small family has 10)`,
  );
  for (const [name, r] of Object.entries(results)) {
    console.log(
      `${name.padEnd(20)} p50 ${r.p50.toFixed(2)} ms   p99 ${r.p99.toFixed(
        2,
      )} ms`,
    );
  }
  for (const page of ['first page', 'last page']) {
    const ratio = results[`large ${page}`].p50 / results[`small ${page}`].p50;
    console.log(`ratio 10,000/10 versions, ${page}: p50 ${ratio.toFixed(2)}x`);
  }
  server.close();
  await knex.destroy();
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
