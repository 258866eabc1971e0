// The adoption page in Chromium over a catalog of 10,000 components in 300
// groups with a year of daily snapshots: how long it takes to show, how long
// the main thread is blocked (long tasks), and how quickly it pages, sorts
// and drills down. Run by scripts/bench-adoption-page, which starts
// PostgreSQL, the backend and the app.
//
// usage:
//   node scripts/lib/adoption-page-bench.mjs catalog FILE
//       writes the catalog (300 groups, 10,000 components) to FILE
//   node scripts/lib/adoption-page-bench.mjs run BACKEND_URL APP_URL DATABASE_URL
//       waits for the catalog, writes the snapshots, measures the page
//   node scripts/lib/adoption-page-bench.mjs measure APP_URL
//       measures the page of a running app whose catalog and snapshots are there
import { chromium } from '@playwright/test';
import knexFactory from 'knex';
import { readFile, writeFile } from 'node:fs/promises';

const COMPONENTS = Number(process.env.BENCH_COMPONENTS ?? 10_000);
const DEPARTMENTS = 30;
const TEAMS = 270;
const DAYS = Number(process.env.BENCH_DAYS ?? 365);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);

function catalogYaml() {
  const docs = [];
  for (let n = 0; n < DEPARTMENTS; n++) {
    docs.push(`apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: dept-${n}
spec:
  type: department
  children: []`);
  }
  for (let n = 0; n < TEAMS; n++) {
    docs.push(`apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: team-${n}
spec:
  type: team
  parent: dept-${n % DEPARTMENTS}
  children: []`);
  }
  for (let n = 0; n < COMPONENTS; n++) {
    const family =
      n % 10 < 6
        ? `
  annotations:
    immutable-infra.io/image-family: svc-${n}`
        : '';
    docs.push(`apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: svc-${n}${family}
spec:
  type: service
  lifecycle: ${n % 10 === 9 ? 'experimental' : 'production'}
  owner: group:default/team-${n % TEAMS}`);
  }
  return `${docs.join('\n---\n')}\n`;
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

async function guestToken(backend) {
  const response = await fetch(
    `${backend}/api/auth/guest/refresh?env=development`,
    { headers: { 'X-Requested-With': 'XMLHttpRequest' } },
  );
  if (!response.ok) {
    throw new Error(`guest sign-in: ${response.status}`);
  }
  return (await response.json()).backstageIdentity.token;
}

async function waitForCatalog(backend, token) {
  const started = Date.now();
  let last = -1;
  for (;;) {
    const response = await fetch(
      `${backend}/api/catalog/entities/by-query?filter=kind=component,metadata.name=svc-${
        COMPONENTS - 1
      }&limit=1`,
      { headers: { Authorization: `Bearer ${token}` } },
    );
    const count = await fetch(
      `${backend}/api/catalog/entities/by-query?filter=kind=component&limit=1`,
      { headers: { Authorization: `Bearer ${token}` } },
    );
    const total = count.ok ? (await count.json()).totalItems : 0;
    if (
      response.ok &&
      (await response.json()).items.length > 0 &&
      total >= COMPONENTS
    ) {
      console.log(
        `catalog: ${total} components in ${(
          (Date.now() - started) /
          1000
        ).toFixed(0)} s`,
      );
      return;
    }
    if (total !== last) {
      console.log(`catalog: ${total} components so far`);
      last = total;
    }
    if (Date.now() - started > 1_800_000) {
      throw new Error(
        'the catalog did not ingest the components in 30 minutes',
      );
    }
    await sleep(5000);
  }
}

/** A year of snapshots in the plugin's database: enrolment grows over it. */
async function writeSnapshots(databaseUrl) {
  const admin = knexFactory({ client: 'pg', connection: databaseUrl });
  const { rows } = await admin.raw(
    "select datname from pg_database where datname like '%immutable%'",
  );
  await admin.destroy();
  if (rows.length !== 1) {
    throw new Error(`expected one plugin database, found ${rows.length}`);
  }
  const url = new URL(databaseUrl);
  url.pathname = `/${rows[0].datname}`;
  const plugin = knexFactory({ client: 'pg', connection: url.toString() });
  const started = Date.now();
  // Today's is the snapshot task's, from the catalog.
  await plugin.raw(
    await readFile(
      new URL(
        '../../plugins/immutable-infra-backend/bench/adoptionSnapshots.sql',
        import.meta.url,
      ),
      'utf8',
    ),
    [TEAMS, DAYS - 1, DAYS, DAYS - 1, DAYS, 1, DAYS - 1, COMPONENTS - 1],
  );
  await plugin.raw('analyze adoption_snapshots');
  const [{ count }] = await plugin('adoption_snapshots').count({ count: '*' });
  console.log(
    `snapshots: ${count} rows in ${((Date.now() - started) / 1000).toFixed(
      0,
    )} s`,
  );
  await plugin.destroy();
}

const median = values => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
};

async function measure(app) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  const page = await browser.newPage({
    viewport: { width: 1440, height: 900 },
  });
  // Every long task (over 50 ms on the main thread) from the page's start.
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver(list => {
      for (const entry of list.getEntries()) {
        window.__longTasks.push(entry.duration);
      }
    }).observe({ type: 'longtask', buffered: true });
  });
  await page.goto(app);
  await page.getByRole('button', { name: 'Enter' }).click();
  await page.getByRole('link', { name: 'Immutability' }).waitFor();

  const services = page.getByRole('table', { name: 'services' });
  const groups = page.getByRole('table', { name: 'adoption by owner' });
  const longTasks = () => page.evaluate(() => window.__longTasks.splice(0));
  // Until the services table shows, in order, the page the backend answered.
  const answered = async action => {
    const started = Date.now();
    const response = page.waitForResponse(
      r => /\/api\/immutable-infra\/adoption(\?|$)/.test(r.url()) && r.ok(),
    );
    await action();
    const body = await (await response).json();
    const names = body.services.items.map(s => s.entityRef.split('/').pop());
    await page.waitForFunction(
      expected =>
        [...document.querySelectorAll('table[aria-label="services"] tbody tr')]
          .map(row => row.querySelector('a')?.textContent)
          .join() === expected,
      names.join(),
    );
    return Date.now() - started;
  };
  const results = {
    load: [],
    blocked: [],
    longest: [],
    next: [],
    sort: [],
    drill: [],
  };
  for (let i = 0; i < REPEATS; i++) {
    // A fresh load of the dashboard, to its first services and owners.
    results.load.push(
      await answered(async () => {
        await page.goto(`${app}/immutability`);
        await groups
          .getByRole('link', { name: 'dept-0', exact: true })
          .waitFor();
      }),
    );
    const tasks = await longTasks();
    results.blocked.push(tasks.reduce((sum, t) => sum + t, 0));
    results.next.push(
      await answered(() =>
        page.getByRole('button', { name: 'Next page', exact: true }).click(),
      ),
    );
    results.sort.push(
      await answered(() =>
        services.getByRole('button', { name: 'Level' }).click(),
      ),
    );
    results.drill.push(
      await answered(() =>
        groups
          .getByRole('button', {
            name: 'Show the services of group:default/dept-0',
          })
          .click(),
      ),
    );
    results.longest.push(Math.max(0, ...tasks, ...(await longTasks())));
  }
  const summary = await page.evaluate(() => ({
    nodes: document.getElementsByTagName('*').length,
    heapMb: performance.memory
      ? performance.memory.usedJSHeapSize / 1048576
      : undefined,
  }));
  await browser.close();
  console.log(
    `the adoption page, ${COMPONENTS} components in ${
      DEPARTMENTS + TEAMS
    } groups, ${DAYS} days of snapshots, ${REPEATS} runs (medians):`,
  );
  console.log(
    `  load to the first services and owners   ${median(results.load)} ms`,
  );
  console.log(
    `  main thread blocked during it (long tasks) ${median(
      results.blocked,
    ).toFixed(0)} ms`,
  );
  console.log(
    `  longest task, load and interactions      ${median(
      results.longest,
    ).toFixed(0)} ms`,
  );
  console.log(
    `  next page of services                    ${median(results.next)} ms`,
  );
  console.log(
    `  sort by level                            ${median(results.sort)} ms`,
  );
  console.log(
    `  drill down to a department               ${median(results.drill)} ms`,
  );
  console.log(
    `  after the runs: ${summary.nodes} DOM elements${
      summary.heapMb ? `, ${summary.heapMb.toFixed(0)} MB of JS heap` : ''
    }`,
  );
}

const [command, ...args] = process.argv.slice(2);
if (command === 'catalog') {
  await writeFile(args[0], catalogYaml());
} else if (command === 'measure') {
  await measure(args[0]);
} else if (command === 'run') {
  const [backend, app, databaseUrl] = args;
  const token = await guestToken(backend);
  await waitForCatalog(backend, token);
  await writeSnapshots(databaseUrl);
  // The snapshot task's first run: the figures of the year's days, and
  // today's snapshot from the catalog.
  let started = Date.now();
  const snapshot = await fetch(
    `${backend}/api/immutable-infra/adoption/snapshots`,
    {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${token}`,
        'Content-Type': 'application/json',
      },
      body: '{}',
    },
  );
  if (!snapshot.ok) {
    throw new Error(
      `POST /adoption/snapshots: ${snapshot.status} ${await snapshot.text()}`,
    );
  }
  console.log(
    `snapshot task: ${
      (await snapshot.json()).components
    } components today, in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  started = Date.now();
  await measure(app);
  console.log(`measured in ${((Date.now() - started) / 1000).toFixed(0)} s`);
} else {
  console.error(
    'usage: adoption-page-bench.mjs catalog FILE | run BACKEND_URL APP_URL DATABASE_URL',
  );
  process.exit(2);
}
