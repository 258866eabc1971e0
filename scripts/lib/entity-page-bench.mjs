// The entity page of one service with 5,000 instances across two
// environments with drift, in Chromium: the catalog's own Overview and the
// plugin's Immutability, Image age and Drift tabs, each opened the way a
// user opens it (a click on its tab, the app already loaded) and by a fresh
// load of its URL. For each: time to content, the longest main-thread task
// (PerformanceObserver longtask) and the main thread blocked while it
// rendered, the DOM size (elements) once shown, and an interaction. Run by
// scripts/bench-entity-page, which starts PostgreSQL, the EC2 replay server
// and the backend serving the production build of the app.
//
// usage:
//   node scripts/lib/entity-page-bench.mjs catalog FILE
//       writes the catalog (the service and its owner) to FILE
//   node scripts/lib/entity-page-bench.mjs run BACKEND_URL APP_URL
//       registers the family and two versions, assigns the channels, syncs
//       the fleet from the replay server and measures the page
//   node scripts/lib/entity-page-bench.mjs measure APP_URL
//       measures the page of a running app whose service is synced
import { chromium } from '@playwright/test';
import { writeFile } from 'node:fs/promises';

// The replay server answers the tag `immutable-infra:service=svc-N` with
// svc-N's instances: every third one in staging, the others in production,
// every seventh with a key pair, all on AMI N % 50 behind security group
// N % 20 (plugins/immutable-infra-backend/bench/ec2ReplayServer.ts). Its
// instance ids are unique across services only up to 1,000 a service: the
// account's listing holds svc-0 alone, the benchmark's service.
const SERVICE = process.env.BENCH_SERVICE ?? 'svc-0';
const ENTITY_NUMBER = Number(SERVICE.slice(4));
const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 5000);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
const REGION = 'us-east-1';

/** The replay server's AMI of entity `n` (its `imageOf`). */
const imageOf = n => `ami-${String(n % 50).padStart(17, '0')}`;

function catalogYaml() {
  return `apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: fleet-team
spec:
  type: team
  children: []
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ${SERVICE}
  description: A service of ${INSTANCES} instances (entity-page benchmark)
  annotations:
    immutable-infra.io/image-family: ${SERVICE}
    immutable-infra.io/environments: staging,production
spec:
  type: service
  lifecycle: production
  owner: group:default/fleet-team
`;
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

async function call(
  backend,
  token,
  path,
  { method = 'GET', body, ok = [] } = {},
) {
  const response = await fetch(`${backend}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body ? { 'Content-Type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!response.ok && !ok.includes(response.status)) {
    throw new Error(
      `${method} ${path}: ${response.status} ${await response.text()}`,
    );
  }
  return { status: response.status, body: await response.json() };
}

async function waitForEntity(backend, token) {
  const started = Date.now();
  for (;;) {
    const { status } = await call(
      backend,
      token,
      `/api/catalog/entities/by-name/component/default/${SERVICE}`,
      { ok: [404] },
    );
    if (status === 200) {
      return;
    }
    if (Date.now() - started > 300_000) {
      throw new Error(`the catalog did not ingest ${SERVICE} in 5 minutes`);
    }
    await sleep(2000);
  }
}

/**
 * The family and two versions (the instances run the first), both channels
 * on the second: every instance of both environments drifts from its
 * channel, and every seventh has a key pair.
 */
async function prepare(backend, token) {
  await waitForEntity(backend, token);
  await call(backend, token, '/api/immutable-infra/families', {
    method: 'POST',
    body: { name: SERVICE, entityRef: `component:default/${SERVICE}` },
    ok: [409],
  });
  for (const n of [ENTITY_NUMBER, ENTITY_NUMBER + 1]) {
    await call(backend, token, '/api/immutable-infra/images', {
      method: 'POST',
      body: {
        family: SERVICE,
        artifacts: [{ region: REGION, imageId: imageOf(n) }],
      },
      ok: [409],
    });
  }
  for (const [channel, version] of [
    ['staging', 2],
    ['production', 2],
  ]) {
    await call(
      backend,
      token,
      `/api/immutable-infra/families/${SERVICE}/channels/${channel}`,
      { method: 'PUT', body: { version, reason: 'benchmark' } },
    );
  }
  const started = Date.now();
  const { body } = await call(backend, token, '/api/immutable-infra/sync', {
    method: 'POST',
    body: { entityRef: `component:default/${SERVICE}` },
  });
  const [result] = body.synced;
  if (result?.status !== 'ok') {
    throw new Error(`the sync failed: ${result?.error ?? 'no result'}`);
  }
  console.log(
    `synced ${result.instances} instances of ${SERVICE} in ${(
      (Date.now() - started) /
      1000
    ).toFixed(1)} s`,
  );
  if (result.instances !== INSTANCES) {
    throw new Error(`expected ${INSTANCES} instances`);
  }
  // The answers the tabs read (the Drift tab asks for 20 findings a
  // group), the whole drift answer, and their sizes: the first read after
  // the sync, then the same read again (what the next tab finds).
  for (const page of [
    'summary',
    'drift?findingsPerGroup=20',
    'drift',
    'image-age',
    'instances?limit=25',
  ]) {
    const read = async () => {
      const started = Date.now();
      const response = await fetch(
        `${backend}/api/immutable-infra/entities/component/default/${SERVICE}/${page}`,
        { headers: { Authorization: `Bearer ${token}` } },
      );
      const text = await response.text();
      return { response, text, ms: Date.now() - started };
    };
    const { response, text, ms } = await read();
    const again = await read();
    const body = JSON.parse(text);
    const shape = body.groups
      ? `${body.groups.length} drift groups`
      : body.total !== undefined
      ? `${body.total} instances`
      : body.fleet
      ? `${body.fleet.instances} instances`
      : body.environments
      ? body.environments.map(e => `${e.environment} ${e.instances}`).join(', ')
      : text.slice(0, 200);
    console.log(
      `  GET ${page}: ${response.status}, ${(text.length / 1024).toFixed(
        0,
      )} KiB in ${ms} ms, again in ${again.ms} ms (${shape})`,
    );
  }
}

const median = values => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
};
const max = values => Math.max(0, ...values);

/** What each view shows once it has its content, and its interaction. */
function views(page) {
  return [
    {
      name: 'Overview (catalog)',
      tab: 'Overview',
      path: '',
      // The catalog's About card with the entity's owner.
      content: () =>
        page.getByRole('link', { name: 'fleet-team' }).first().waitFor(),
    },
    {
      name: 'Immutability card (on the Overview)',
      tab: undefined,
      path: '',
      content: () => page.getByText(/^\d+\/100$/).waitFor(),
    },
    {
      name: 'Immutability tab',
      tab: 'Immutability',
      path: '/immutability',
      content: () => page.getByText(/^Immutability: .*\(\d+\/100\)$/).waitFor(),
      interaction: {
        name: 'open "Roll out production" to its plan (or its error)',
        run: async () => {
          await page
            .getByRole('button', { name: 'Roll out production' })
            .click();
          // The plan, or why there is none (the replay server answers
          // no Auto Scaling or launch template call).
          const dialog = page.getByRole('dialog');
          await dialog.waitFor();
          await dialog.getByRole('progressbar').waitFor({ state: 'detached' });
        },
        undo: () =>
          page
            .getByRole('dialog')
            .getByRole('button', { name: 'Cancel' })
            .click(),
      },
    },
    {
      name: 'Image age tab',
      tab: 'Image age',
      path: '/image-age',
      content: async () => {
        await page
          .getByRole('table', { name: 'image age per environment' })
          .getByText('production')
          .waitFor();
        await page
          .getByRole('table', { name: 'image versions' })
          .getByText('v2', { exact: true })
          .waitFor();
      },
      interaction: {
        name: 'open "Revoke" of a version',
        run: () =>
          page
            .getByRole('table', { name: 'image versions' })
            .getByRole('button', { name: 'Revoke' })
            .first()
            .click()
            .then(() => page.getByLabel('Reason (required)').waitFor()),
        undo: () =>
          page
            .getByRole('dialog')
            .getByRole('button', { name: 'Cancel' })
            .click(),
      },
    },
    {
      name: 'Drift tab',
      tab: 'Drift',
      path: '/drift',
      content: async () => {
        await page.locator('.MuiAccordion-root').first().waitFor();
        await page
          .getByRole('table', { name: 'instances' })
          .locator('tbody tr')
          .first()
          .waitFor();
      },
      interactions: [
        {
          name: 'expand the first drift group',
          run: async () => {
            const summary = page
              .locator('.MuiAccordion-root')
              .first()
              .getByRole('button')
              .first();
            await summary.click();
            await page
              .locator('.MuiAccordion-root.Mui-expanded')
              .first()
              .getByText('Fix:')
              .waitFor({ state: 'visible' });
          },
        },
        {
          name: 'next page of instances (Load more)',
          run: async () => {
            const table = page.getByRole('table', { name: 'instances' });
            const first = await table.locator('tbody tr').first().textContent();
            await page.getByRole('button', { name: 'Load more' }).click();
            await page.waitForFunction(
              before =>
                document.querySelector('table[aria-label="instances"] tbody tr')
                  ?.textContent !== before,
              first,
            );
          },
        },
      ],
    },
  ];
}

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
  page.setDefaultTimeout(120_000);
  // Every long task (over 50 ms on the main thread) from the page's start.
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver(list => {
      for (const entry of list.getEntries()) {
        window.__longTasks.push(entry.duration);
      }
    }).observe({ type: 'longtask', buffered: true });
  });
  const entityUrl = `${app}/catalog/default/component/${SERVICE}`;
  await page.goto(app);
  await page.getByRole('button', { name: 'Enter' }).click();
  // The catalog's list, the app's home page.
  await page
    .getByRole('link', { name: SERVICE, exact: true })
    .first()
    .waitFor();

  const longTasks = () => page.evaluate(() => window.__longTasks.splice(0));
  const elements = () =>
    page.evaluate(() => document.getElementsByTagName('*').length);
  // Lets late answers and their renders land, so the next measurement
  // starts on an idle page.
  const settle = async () => {
    await page.waitForLoadState('networkidle');
    await sleep(300);
    await longTasks();
  };
  const tabLink = name =>
    page
      .getByRole('navigation', { name: 'Content navigation' })
      .getByRole('link', { name, exact: true });

  // With BENCH_TRACE=1, the requests of each tab click of the last run:
  // when each started after the click and how long it took.
  let traced;
  page.on('requestfinished', request => {
    if (!traced) {
      return;
    }
    const { startTime, responseEnd } = request.timing();
    const url = new URL(request.url());
    traced.requests.push({
      start: Math.round(startTime - traced.clicked),
      took: Math.round(responseEnd),
      what: `${request.method()} ${url.pathname}${url.search}`.slice(0, 110),
    });
  });

  const all = views(page);
  const results = new Map(
    all.map(v => [
      v.name,
      {
        cold: [],
        coldLongest: [],
        click: [],
        clickLongest: [],
        clickBlocked: [],
        elements: [],
        interactions: new Map(),
      },
    ]),
  );
  const record = (view, key, value) => results.get(view.name)[key].push(value);
  const interactionsOf = view =>
    view.interactions ?? (view.interaction ? [view.interaction] : []);

  try {
    await runs();
  } catch (e) {
    const shot =
      process.env.BENCH_FAILURE_SCREENSHOT ??
      '/tmp/entity-page-bench-failure.png';
    await page.screenshot({ path: shot, fullPage: true });
    console.error(`failed on ${page.url()}; screenshot: ${shot}`);
    throw e;
  }
  async function runs() {
    for (let i = 0; i < REPEATS; i++) {
      console.log(`  run ${i + 1} of ${REPEATS}`);
      for (const view of all) {
        // A fresh load of the view's URL: the app, the entity, the tab.
        let started = Date.now();
        await page.goto(`${entityUrl}${view.path}`);
        await view.content();
        record(view, 'cold', Date.now() - started);
        record(view, 'coldLongest', max(await longTasks()));
        await settle();
        if (!view.tab) {
          continue;
        }
        // The way a user opens it: a click on its tab from another tab, the
        // app and the entity already loaded.
        const from = view.tab === 'Overview' ? 'Drift' : 'Overview';
        await tabLink(from).click();
        await all.find(v => v.tab === from).content();
        await settle();
        // With BENCH_CPU_PROFILE=DIR, the main thread's CPU profile of each
        // tab click of the last run, for the browser's DevTools.
        const profiling =
          process.env.BENCH_CPU_PROFILE && i === REPEATS - 1
            ? await page.context().newCDPSession(page)
            : undefined;
        if (profiling) {
          await profiling.send('Profiler.enable');
          await profiling.send('Profiler.setSamplingInterval', {
            interval: 100,
          });
          await profiling.send('Profiler.start');
        }
        started = Date.now();
        if (process.env.BENCH_TRACE && i === REPEATS - 1) {
          traced = { clicked: started, requests: [] };
        }
        await tabLink(view.tab).click();
        await view.content();
        record(view, 'click', Date.now() - started);
        if (profiling) {
          const { profile } = await profiling.send('Profiler.stop');
          await writeFile(
            `${process.env.BENCH_CPU_PROFILE}/${view.tab.replace(
              /\W/g,
              '',
            )}.cpuprofile`,
            JSON.stringify(profile),
          );
          await profiling.detach();
        }
        if (traced) {
          console.log(`    ${view.tab}: content at ${Date.now() - started} ms`);
          for (const r of traced.requests.sort((a, b) => a.start - b.start)) {
            console.log(`      +${r.start} ms ${r.took} ms ${r.what}`);
          }
          traced = undefined;
        }
        const tasks = await longTasks();
        record(view, 'clickLongest', max(tasks));
        record(
          view,
          'clickBlocked',
          tasks.reduce((sum, t) => sum + t, 0),
        );
        await settle();
        record(view, 'elements', await elements());
        for (const interaction of interactionsOf(view)) {
          started = Date.now();
          await interaction.run();
          const took = Date.now() - started;
          const longest = max(await longTasks());
          const list = results.get(view.name).interactions;
          if (!list.has(interaction.name)) {
            list.set(interaction.name, { took: [], longest: [] });
          }
          list.get(interaction.name).took.push(took);
          list.get(interaction.name).longest.push(longest);
          await settle();
          if (interaction.undo) {
            await interaction.undo();
            await settle();
          }
        }
      }
    }
  }
  await browser.close();

  console.log(
    `the entity page of ${SERVICE}, ${INSTANCES} instances in 2 environments, ${REPEATS} runs (medians; longest task: the largest of the runs)`,
  );
  const pad = (s, n) => String(s).padEnd(n);
  console.log(
    `  ${pad('view', 38)}${pad('click→content', 15)}${pad(
      'longest task',
      14,
    )}${pad('blocked', 10)}${pad('DOM', 8)}${pad('cold load', 11)}cold longest`,
  );
  for (const view of all) {
    const r = results.get(view.name);
    const ms = v => (v === undefined ? '—' : `${Math.round(v)} ms`);
    console.log(
      `  ${pad(view.name, 38)}${pad(
        r.click.length ? ms(median(r.click)) : '—',
        15,
      )}${pad(r.clickLongest.length ? ms(max(r.clickLongest)) : '—', 14)}${pad(
        r.clickBlocked.length ? ms(median(r.clickBlocked)) : '—',
        10,
      )}${pad(r.elements.length ? median(r.elements) : '—', 8)}${pad(
        ms(median(r.cold)),
        11,
      )}${ms(max(r.coldLongest))}`,
    );
  }
  console.log('  interactions:');
  for (const view of all) {
    for (const [name, r] of results.get(view.name).interactions) {
      console.log(
        `    ${pad(`${view.name}: ${name}`, 60)}${pad(
          `${median(r.took)} ms`,
          10,
        )}longest task ${Math.round(max(r.longest))} ms`,
      );
    }
  }
}

const [command, ...args] = process.argv.slice(2);
if (command === 'catalog') {
  await writeFile(args[0], catalogYaml());
} else if (command === 'measure') {
  await measure(args[0]);
} else if (command === 'run') {
  const [backend, app] = args;
  const token = await guestToken(backend);
  await prepare(backend, token);
  const started = Date.now();
  await measure(app);
  console.log(`measured in ${((Date.now() - started) / 1000).toFixed(0)} s`);
} else {
  console.error(
    'usage: entity-page-bench.mjs catalog FILE | run BACKEND_URL APP_URL | measure APP_URL',
  );
  process.exit(2);
}
