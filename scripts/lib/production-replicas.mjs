#!/usr/bin/env node
// The Node half of production-test.sh, which builds the bundle, installs it
// and starts the processes:
//
//   prepare STATE_DIR POSTGRES_URL EC2_ENDPOINT DOCKERFILE
//     writes what two replicas of the production backend run with: a catalog
//     file of one annotated component, the test's config (a database prefix
//     of its own, a static access token, the emulator, 5 second schedules),
//     each replica's listen address, and each replica's command line (the
//     Dockerfile's last CMD with the environment of the image's stage) into
//     replica-<name>.argv, one word a line; prints "<name> <url> <log>
//     <argv file>" a replica.
//
//   check STATE_DIR PID_A PID_B
//     checks the two replicas started from those files on one PostgreSQL:
//     each serves the app and the plugin's routes; a registration through one
//     is seen by the next page read through the other; each scheduled task
//     runs once per period across both (the scheduler's table in the plugin's
//     database counts the runs, the replicas' JSON logs tell which replica ran
//     each fleet sync); after one replica is killed with SIGKILL the other
//     serves and runs every task.
//
// The AMIs come from the backend tests' EC2 fixtures, loaded through the
// TypeScript transform of Backstage's CLI (node_ts in bootstrap.sh).

import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { answer } from './http.mjs';
// CommonJS modules once transformed: their exports are the default import.
import ec2Fixtures from '../../plugins/immutable-infra-backend/src/__testUtils__/ec2Fixtures.ts';
import moto from '../../plugins/immutable-infra-backend/src/__testUtils__/moto.ts';
import logTailModule from '../../plugins/immutable-infra-backend/src/__testUtils__/logTail.ts';
import tickLog from '../../plugins/immutable-infra-backend/src/__testUtils__/rolloutTickLog.ts';

const { Ec2Fixtures, emulatorClients } = ec2Fixtures;
const { freePort } = moto;
const { SCHEDULER_TASKS_TABLE } = tickLog;
const { logTail } = logTailModule;

const REGION = 'us-east-1';
/** The annotated component of the test's catalog, enrolled by the check. */
const ENTITY = 'replica-check';
/** Seconds between runs of each scheduled task. */
const FREQUENCY = 5;
const REPLICAS = ['a', 'b'];
const TASKS = {
  'immutable-infra:image-discovery': 'image discovery',
  'immutable-infra:entity-refresh': 'entity refresh',
  'immutable-infra:fleet-sync': 'fleet sync',
};
const FLEET_SYNC = 'immutable-infra:fleet-sync';
/** The plugin's line at the end of every fleet sync. */
const FLEET_SYNC_LINE = /^Fleet sync: /;
/** How long the runs are counted with both replicas up. */
const WINDOW_MS = 6 * FREQUENCY * 1000;
/** The scheduler's janitor frees a dead replica's task once its run times out. */
const TIMED_OUT = 'Task timed out';

/** What prepare wrote and check reads. */
const settingsFile = stateDir => join(stateDir, 'production-test.json');

/** The Dockerfile's last CMD (JSON form), word by word. */
function imageCommand(dockerfile) {
  const text = readFileSync(dockerfile, 'utf8');
  const cmds = [...text.matchAll(/^CMD\s+(\[.*\])\s*$/gm)];
  if (!cmds.length) {
    throw new Error(`no CMD [...] in ${dockerfile}`);
  }
  return JSON.parse(cmds[cmds.length - 1][1]);
}

async function prepare(stateDir, postgresUrl, ec2Endpoint, dockerfile) {
  const token = randomBytes(24).toString('hex');
  const prefix = `prodtest_${randomBytes(4).toString('hex')}_`;
  const command = imageCommand(dockerfile);
  const catalog = join(stateDir, 'catalog', `${ENTITY}.yaml`);
  mkdirSync(join(stateDir, 'catalog'), { recursive: true });
  writeFileSync(
    catalog,
    `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ${ENTITY}
  annotations:
    immutable-infra.io/image-family: ${ENTITY}
spec:
  type: service
  lifecycle: production
  owner: group:default/platform
`,
  );
  // What the test adds to the production config. Schedules as ISO strings:
  // an object would merge with the production config's.
  const testConfig = join(stateDir, 'app-config.test.yaml');
  writeFileSync(
    testConfig,
    `backend:
  database:
    prefix: ${prefix}
  auth:
    externalAccess:
      - type: static
        options:
          token: \${PRODUCTION_TEST_TOKEN}
          subject: production-test
catalog:
  locations:
    - type: file
      target: ${catalog}
immutableInfra:
  aws:
    endpoint: ${ec2Endpoint}
    maxAttempts: 1
  schedule:
    frequency: PT${FREQUENCY}S
    timeout: PT30S
  entityRefresh: PT${FREQUENCY}S
`,
  );
  const postgres = new URL(postgresUrl);
  const replicas = [];
  for (const name of REPLICAS) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const replicaConfig = join(stateDir, `app-config.replica-${name}.yaml`);
    writeFileSync(replicaConfig, `backend:\n  listen: 127.0.0.1:${port}\n`);
    const argv = join(stateDir, `replica-${name}.argv`);
    const words = [
      'env',
      'NODE_ENV=production',
      'NODE_OPTIONS=--no-node-snapshot',
      `APP_BASE_URL=${url}`,
      `BACKEND_BASE_URL=${url}`,
      `POSTGRES_HOST=${postgres.hostname}`,
      `POSTGRES_PORT=${postgres.port || '5432'}`,
      `POSTGRES_USER=${decodeURIComponent(postgres.username) || 'postgres'}`,
      `POSTGRES_PASSWORD=${decodeURIComponent(postgres.password) || 'unused'}`,
      'AWS_ACCESS_KEY_ID=immutable-infra-emulator',
      'AWS_SECRET_ACCESS_KEY=immutable-infra-emulator',
      `PRODUCTION_TEST_TOKEN=${token}`,
      ...command,
      ...['--config', testConfig, '--config', replicaConfig],
    ];
    writeFileSync(argv, `${words.join('\n')}\n`, { mode: 0o600 });
    const log = join(stateDir, `replica-${name}.log`);
    replicas.push({ name, url, log });
    console.log(`${name} ${url} ${log} ${argv}`);
  }
  writeFileSync(
    settingsFile(stateDir),
    JSON.stringify({
      token,
      tasksDb: `${postgresUrl.replace(/\/$/, '')}/${prefix}immutable-infra`,
      ec2Endpoint,
      replicas,
    }),
    { mode: 0o600 },
  );
}

/** What prepare wrote: the token the replicas accept, among others. */
const settings = {};

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));
const failures = [];
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;

function pass(message) {
  console.log(`  ✓ ${message} (${elapsed()})`);
}

function fail(message) {
  console.log(`  ✗ ${message} (${elapsed()})`);
  failures.push(message);
}

function expect(ok, message, detail = '') {
  if (ok) {
    pass(message);
  } else {
    fail(detail ? `${message}: ${detail}` : message);
  }
  return ok;
}

/** Stops here: what follows cannot be checked. */
class Fatal extends Error {}

function alive(replica) {
  try {
    process.kill(replica.pid, 0);
    return true;
  } catch {
    return false;
  }
}

const replicaLogTail = (replica, lines = 30) => logTail(replica.log, lines);

/** The replica's JSON log lines (NODE_ENV=production), parsed. */
function logEntries(replica) {
  return readFileSync(replica.log, 'utf8')
    .split('\n')
    .filter(line => line.startsWith('{'))
    .flatMap(line => {
      try {
        return [JSON.parse(line)];
      } catch {
        return [];
      }
    });
}

function fleetSyncLines(replica) {
  return logEntries(replica)
    .filter(
      e => e.plugin === 'immutable-infra' && FLEET_SYNC_LINE.test(e.message),
    )
    .map(e => ({ at: Date.parse(e.timestamp), message: e.message }));
}

function call(replica, path, { method = 'GET', body, auth = true } = {}) {
  return answer(`${replica.url}${path}`, {
    method,
    body,
    token: auth ? settings.token : undefined,
    timeoutMs: 60_000,
  });
}

async function waitFor(what, seconds, probe) {
  const deadline = Date.now() + seconds * 1000;
  let last;
  for (;;) {
    try {
      last = await probe();
      if (last === true) {
        return true;
      }
    } catch (error) {
      if (error instanceof Fatal) {
        throw error;
      }
      last = error;
    }
    if (Date.now() > deadline) {
      fail(`${what}: not within ${seconds}s (last: ${String(last)})`);
      return false;
    }
    await sleep(500);
  }
}

/**
 * Follows the scheduler's table: every run of a task ends with a new
 * `last_run_ended_at` (the janitor's release of a lost run too, with its
 * error), at least one frequency apart, so a poll every 200 ms sees each.
 */
class TaskTable {
  constructor(connectionString) {
    this.connectionString = connectionString;
    this.runs = Object.fromEntries(Object.keys(TASKS).map(id => [id, []]));
    this.state = {};
    this.stopped = false;
  }

  start() {
    this.loop = (async () => {
      while (!this.stopped) {
        try {
          await this.poll();
        } catch (error) {
          this.error = error;
          await this.client?.end().catch(() => {});
          this.client = undefined;
        }
        await sleep(200);
      }
      await this.client?.end().catch(() => {});
    })();
  }

  async stop() {
    this.stopped = true;
    await this.loop;
  }

  async poll() {
    if (!this.client) {
      const client = new pg.Client({ connectionString: this.connectionString });
      client.on('error', () => {});
      await client.connect();
      this.client = client;
    }
    const { rows } = await this.client.query(
      `select id, current_run_ticket, last_run_ended_at, last_run_error_json
         from ${SCHEDULER_TASKS_TABLE} where id = any($1)`,
      [Object.keys(TASKS)],
    );
    for (const row of rows) {
      this.state[row.id] = row;
      const runs = this.runs[row.id];
      const ended = row.last_run_ended_at?.getTime();
      if (ended && runs[runs.length - 1]?.at !== ended) {
        runs.push({ at: ended, error: row.last_run_error_json ?? undefined });
      }
    }
  }

  /** Runs that ended in (from, to]; the janitor's releases apart. */
  ended(id, from, to = Infinity) {
    return this.runs[id].filter(
      r => r.at > from && r.at <= to && !r.error?.includes(TIMED_OUT),
    );
  }

  lost(id, from) {
    return this.runs[id].filter(
      r => r.at > from && r.error?.includes(TIMED_OUT),
    );
  }

  idle(id) {
    return this.state[id] && !this.state[id].current_run_ticket;
  }

  /** Waits for a run of the task that ends after `after`; its end time. */
  async nextEnd(id, after, seconds) {
    const deadline = Date.now() + seconds * 1000;
    while (Date.now() < deadline) {
      const run = this.ended(id, after)[0];
      if (run) {
        return run.at;
      }
      await sleep(200);
    }
    return undefined;
  }
}

function registration(imageId, n) {
  return {
    family: ENTITY,
    artifacts: [{ region: REGION, imageId }],
    gitCommit: createHash('sha1').update(`${ENTITY}-${n}`).digest('hex'),
    gitRepo: `https://git.example.com/platform/${ENTITY}`,
  };
}

const imagesPath = `/api/immutable-infra/entities/component/default/${ENTITY}/images`;
const summaryPath = `/api/immutable-infra/entities/component/default/${ENTITY}/summary`;

async function checkServing(replica) {
  const health = await call(replica, '/api/immutable-infra/health', {
    auth: false,
  });
  expect(
    health.status === 200 && health.json?.status === 'ok',
    `replica ${replica.name}: GET /api/immutable-infra/health answers 200 without a token`,
    `${health.status} ${health.text.slice(0, 200)}`,
  );
  const page = await call(replica, '/', { auth: false });
  const script = page.text.match(/<script[^>]+src="([^"]+\.js)"/)?.[1];
  expect(
    page.status === 200 && page.text.includes('<div id="root">') && script,
    `replica ${replica.name}: GET / serves the built app (index.html)`,
    `${page.status} ${page.text.slice(0, 200)}`,
  );
  if (script) {
    const asset = await call(replica, new URL(script, replica.url).pathname, {
      auth: false,
    });
    expect(
      asset.status === 200 && asset.text.length > 0,
      `replica ${replica.name}: GET ${
        new URL(script, replica.url).pathname
      } serves the app's script`,
      String(asset.status),
    );
  }
  const anonymous = await call(replica, summaryPath, { auth: false });
  expect(
    anonymous.status === 401,
    `replica ${replica.name}: the entity summary without a token answers 401`,
    String(anonymous.status),
  );
}

async function check(stateDir, pids) {
  Object.assign(
    settings,
    JSON.parse(readFileSync(settingsFile(stateDir), 'utf8')),
  );
  const replicas = settings.replicas.map((replica, index) => ({
    ...replica,
    pid: Number(pids[index]),
  }));
  const [a, b] = replicas;
  const table = new TaskTable(settings.tasksDb);
  table.start();
  const { ec2, autoscaling } = emulatorClients(settings.ec2Endpoint, REGION);
  const fixtures = new Ec2Fixtures(ec2, autoscaling);
  const bakeImage = name => fixtures.image({ Name: name }, { name });
  try {
    console.log('Both replicas ready');
    for (const replica of replicas) {
      if (!alive(replica)) {
        throw new Fatal(
          `replica ${replica.name} exited:\n${replicaLogTail(replica)}`,
        );
      }
      const ready = await call(replica, '/.backstage/health/v1/readiness', {
        auth: false,
      });
      expect(
        ready.status === 200,
        `replica ${replica.name}: GET /.backstage/health/v1/readiness answers 200`,
        `${ready.status} ${ready.text.slice(0, 200)}`,
      );
    }

    console.log('Each serves the app and the plugin');
    for (const replica of replicas) {
      await checkServing(replica);
    }
    for (const replica of replicas) {
      await waitFor(
        `replica ${replica.name}: the catalog has component:default/${ENTITY}`,
        180,
        async () => {
          const { status } = await call(
            replica,
            `/api/catalog/entities/by-name/component/default/${ENTITY}`,
          );
          return status === 200 || `answered ${status}`;
        },
      );
    }
    const summary = await call(a, summaryPath);
    expect(
      summary.status === 200 && summary.json?.enrolled === true,
      'replica a: the entity summary with the static token answers 200 (annotated, enrolled)',
      `${summary.status} ${summary.text.slice(0, 300)}`,
    );

    console.log('A registration through one replica, read through the other');
    const before = await call(b, imagesPath);
    expect(
      before.status === 200 && before.json?.items?.length === 0,
      'replica b: the entity has no image versions yet',
      `${before.status} ${before.text.slice(0, 300)}`,
    );
    const enrolled = await call(a, '/api/immutable-infra/families', {
      method: 'POST',
      body: { name: ENTITY, entityRef: `component:default/${ENTITY}` },
    });
    expect(
      enrolled.status === 201,
      `replica a: POST /families enrolls ${ENTITY}`,
      `${enrolled.status} ${enrolled.text.slice(0, 300)}`,
    );
    const warm = await call(b, imagesPath);
    expect(
      warm.status === 200 && warm.json?.items?.length === 0,
      'replica b: the family is enrolled, with no versions',
      `${warm.status} ${warm.text.slice(0, 300)}`,
    );
    const firstImage = await bakeImage(`${ENTITY}-v1`);
    const registered = await call(a, '/api/immutable-infra/images', {
      method: 'POST',
      body: registration(firstImage, 1),
    });
    expect(
      registered.status === 201 &&
        registered.json?.version?.id === `${ENTITY}@1`,
      `replica a: POST /images registers ${ENTITY}@1 (${firstImage}, checked with EC2)`,
      `${registered.status} ${registered.text.slice(0, 300)}`,
    );
    const after = await call(b, imagesPath);
    expect(
      after.status === 200 &&
        after.json?.items?.[0]?.id === `${ENTITY}@1` &&
        after.json.items[0].artifacts?.[0]?.imageId === firstImage,
      `replica b: the next page read shows ${ENTITY}@1`,
      `${after.status} ${after.text.slice(0, 300)}`,
    );
    const summaryB = await call(b, summaryPath);
    expect(
      summaryB.status === 200 && summaryB.json?.family?.name === ENTITY,
      `replica b: the summary shows the family ${ENTITY}`,
      `${summaryB.status} ${summaryB.text.slice(0, 300)}`,
    );

    console.log(
      `Each scheduled task once per period (${
        (FREQUENCY * 1000) / 1000
      }s) across both replicas`,
    );
    // The window runs from the end of one fleet sync to the end of another:
    // every fleet sync that ends in it started and logged in it.
    const t0 = await table.nextEnd(FLEET_SYNC, Date.now() - 1, 120);
    if (!t0) {
      throw new Fatal(
        `no fleet sync ended within 120s (${
          table.error ?? 'no error reading the table'
        })`,
      );
    }
    await sleep(Math.max(0, t0 + WINDOW_MS - Date.now()));
    const t1 = await table.nextEnd(FLEET_SYNC, t0 + WINDOW_MS - 1, 120);
    if (!t1) {
      throw new Fatal('fleet sync stopped running with both replicas up');
    }
    const window = t1 - t0;
    const most = Math.floor(window / (FREQUENCY * 1000)) + 2;
    for (const [id, name] of Object.entries(TASKS)) {
      const runs = table.ended(id, t0, t1);
      const gaps = runs
        .slice(1)
        .map((r, i) => ((r.at - runs[i].at) / 1000).toFixed(1));
      expect(
        runs.length >= 2 && runs.length <= most,
        `${name}: ${runs.length} runs in ${(window / 1000).toFixed(
          1,
        )}s (at most ${most} when once per period; two replicas each running it would make about ${
          2 * Math.floor(window / (FREQUENCY * 1000))
        }); seconds between ends: ${gaps.join(', ')}`,
      );
    }
    const dbRuns = table.ended(FLEET_SYNC, t0, t1).length;
    const perReplica = replicas.map(
      r => fleetSyncLines(r).filter(l => l.at > t0 && l.at <= t1).length,
    );
    expect(
      perReplica[0] + perReplica[1] === dbRuns,
      `fleet sync: every run logged by one replica only (replica a ${perReplica[0]}, replica b ${perReplica[1]}; runs in the scheduler's table ${dbRuns})`,
    );

    // Kill the replica that ran the last fleet sync: the one doing the work.
    const lastRun = replicas
      .map(r => ({ r, at: Math.max(0, ...fleetSyncLines(r).map(l => l.at)) }))
      .sort((x, y) => y.at - x.at)[0].r;
    const victim = lastRun;
    const survivor = victim === a ? b : a;
    console.log(
      `SIGKILL to replica ${victim.name} (it ran the last fleet sync); replica ${survivor.name} goes on`,
    );
    const killedAt = Date.now();
    try {
      process.kill(-victim.pid, 'SIGKILL');
    } catch {
      process.kill(victim.pid, 'SIGKILL');
    }
    await sleep(500);
    expect(!alive(victim), `replica ${victim.name} is gone`);
    const held = Object.keys(TASKS).filter(id => !table.idle(id));
    if (held.length) {
      console.log(
        `  (tasks running when it was killed: ${held.join(
          ', ',
        )}; their lock lasts until the run's timeout, then the janitor frees it)`,
      );
    }

    const health = await call(survivor, '/api/immutable-infra/health', {
      auth: false,
    });
    expect(
      health.status === 200,
      `replica ${survivor.name}: health answers 200`,
      String(health.status),
    );
    const secondImage = await bakeImage(`${ENTITY}-v2`);
    const second = await call(survivor, '/api/immutable-infra/images', {
      method: 'POST',
      body: registration(secondImage, 2),
    });
    expect(
      second.status === 201 && second.json?.version?.id === `${ENTITY}@2`,
      `replica ${survivor.name}: POST /images registers ${ENTITY}@2`,
      `${second.status} ${second.text.slice(0, 300)}`,
    );
    const page = await call(survivor, imagesPath);
    expect(
      page.status === 200 &&
        page.json?.items?.map(i => i.id).join(',') ===
          `${ENTITY}@2,${ENTITY}@1`,
      `replica ${survivor.name}: the entity's page lists ${ENTITY}@2 and ${ENTITY}@1`,
      `${page.status} ${page.text.slice(0, 300)}`,
    );

    // Two runs of each task after the kill; a run the victim held blocks its
    // task until the run's timeout (30s here; 1 minute for entity refresh)
    // and the janitor's next pass (every minute).
    const deadline = Date.now() + 180_000;
    while (
      Date.now() < deadline &&
      Object.keys(TASKS).some(id => table.ended(id, killedAt).length < 2)
    ) {
      if (!alive(survivor)) {
        throw new Fatal(
          `replica ${survivor.name} exited:\n${replicaLogTail(survivor)}`,
        );
      }
      await sleep(500);
    }
    for (const [id, name] of Object.entries(TASKS)) {
      const runs = table.ended(id, killedAt);
      const lost = table.lost(id, killedAt);
      expect(
        runs.length >= 2,
        `${name}: ${runs.length} runs since the SIGKILL, by replica ${
          survivor.name
        }${
          lost.length
            ? ` (the killed replica's run was freed by the janitor)`
            : ''
        }`,
        runs.length
          ? `first after ${((runs[0].at - killedAt) / 1000).toFixed(1)}s`
          : 'none',
      );
    }
    const tasks = await call(
      survivor,
      '/api/immutable-infra/.backstage/scheduler/v1/tasks',
    );
    const listed = (tasks.json?.tasks ?? []).filter(t => t.scope === 'global');
    expect(
      tasks.status === 200 &&
        Object.keys(TASKS).every(id => listed.some(t => t.taskId === id)),
      `replica ${survivor.name}: the scheduler lists the three tasks, scope global (GET /api/immutable-infra/.backstage/scheduler/v1/tasks)`,
      `${tasks.status} ${tasks.text.slice(0, 300)}`,
    );
    const survivorLines = fleetSyncLines(survivor).filter(l => l.at > killedAt);
    expect(
      survivorLines.length >= 2,
      `fleet sync: replica ${survivor.name} logged ${survivorLines.length} runs since the SIGKILL`,
      survivorLines.map(l => l.message).join(' | '),
    );
    expect(alive(survivor), `replica ${survivor.name} still runs`);
  } catch (error) {
    fail(
      error instanceof Fatal
        ? error.message
        : `unexpected: ${error?.stack ?? error}`,
    );
  } finally {
    await table.stop();
  }
  if (failures.length) {
    console.log(`${failures.length} checks failed`);
    for (const replica of replicas) {
      console.log(
        `--- last lines of replica ${replica.name}'s log ---\n${replicaLogTail(
          replica,
          40,
        )}`,
      );
    }
    process.exit(1);
  }
  console.log(`all checks passed in ${elapsed()}`);
}

const [command, stateDir, ...rest] = process.argv.slice(2);
if (command === 'prepare' && rest.length === 3) {
  await prepare(stateDir, ...rest);
} else if (command === 'check' && rest.length === REPLICAS.length) {
  await check(stateDir, rest);
} else {
  console.error(
    'usage: production-replicas.mjs prepare STATE_DIR POSTGRES_URL EC2_ENDPOINT DOCKERFILE\n' +
      '       production-replicas.mjs check STATE_DIR PID_A PID_B',
  );
  process.exit(2);
}
