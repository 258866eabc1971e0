/*
 * The rollout engine under SIGKILL: real backends (rolloutBackend.ts) as
 * separate processes on PostgreSQL and the EC2 emulator, killed at random
 * moments of canary or blue-green rollouts and started again, while an
 * observer watches
 * the fleet through the EC2 API. Used by rollouts/RolloutChaos.test.ts and
 * by scripts/chaos-rollout for longer runs.
 *
 * The fleet: one Auto Scaling group behind a target group (4 instances) and
 * 3 standalone instances, both launched from one launch template, all on an
 * entity enrolled through the API. Rollouts follow one another (v1 to v2, v2
 * to v3, ...) while kills remain; each is started through the API with steps
 * that need no promote: a canary (setWeight 34, pause 2s, setWeight 100), or
 * a blue-green promoted automatically, blue kept 2 s after the switch.
 *
 * What is checked:
 * - at every observation, each fleet runs at least its minimum healthy
 *   capacity (100%: all of it) and at most its capacity plus the surge (a
 *   canary's 25%, at least one; blue-green's 100%);
 * - for each rollout, the instances ever launched with its id tag
 *   (terminated ones included) are exactly the new capacity its steps plan:
 *   no double launch;
 * - none of them is left outside its fleet (no orphan), and the fleet ends
 *   at its capacity, all on the new AMI, its group pinned to the new
 *   template version, the template defaulting to it, the channel moved;
 * - each step's event is recorded once ("every step passed", where the
 *   engine tells it, too);
 * - no two runs of the rollout task overlap, whichever process ran them.
 *
 * Two things are compressed in time, neither of them the engine's: the
 * rollout task's initial delay after a start (5 s in plugin.ts; nothing runs
 * in it) is cut to 1 s by the backend's instrument, and a run that a killed
 * process held is released at once, as the scheduler's janitor releases it
 * once the run's timeout (5 minutes) has passed.
 */
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  DescribeInstancesCommand,
  DescribeLaunchTemplateVersionsCommand,
  EC2Client,
  Instance,
} from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  ROLLOUT_ID_TAG,
  Rollout,
} from '@immutable-infra/backstage-plugin-common';
import Knex, { Knex as KnexType } from 'knex';
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Ec2Fixtures, emulatorClients } from './ec2Fixtures';
import { logTail } from './logTail';
import { freePort } from './moto';
import {
  readTicks,
  ROLLOUT_TASK_ID,
  runsOf,
  SCHEDULER_TASKS_TABLE,
  TickLogLine,
} from './rolloutTickLog';

const REGION = 'us-east-1';
const ENVIRONMENT = 'production';
const GROUP_CAPACITY = 4;
const STANDALONE_CAPACITY = 3;
/** The rollouts of a run, by strategy: none waits for a promote. */
const SPECS = {
  canary: {
    strategy: 'canary',
    steps: [
      { setWeight: 34 },
      { pause: { duration: '2s' } },
      { setWeight: 100 },
    ],
  },
  blueGreen: {
    strategy: 'blueGreen',
    blueGreen: { autoPromote: true, scaleDownDelay: '2s' },
  },
} as const;

/** The strategies a chaos run may roll out with. */
export type RolloutChaosStrategy = keyof typeof SPECS;

/**
 * The extra instances a fleet of `capacity` may run at once: a canary's
 * 25%, at least one (both fleets: one); blue-green's whole capacity. 100%
 * must stay healthy either way.
 */
function surgeOf(strategy: RolloutChaosStrategy, capacity: number): number {
  return strategy === 'blueGreen' ? capacity : 1;
}
/** How often the observer looks at the fleet. */
const OBSERVE_EVERY_MS = 200;
/** The longest a backend may take to be ready. */
const READY_TIMEOUT_MS = 60_000;
/** The longest the last rollout may take once the kills are over. */
const FINISH_TIMEOUT_MS = 90_000;
const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped'];

/** What a chaos run is asked to do. */
export type RolloutChaosOptions = {
  /** Backends on the one database: 1, or 2 replicas. */
  replicas: 1 | 2;
  /** How every rollout of the run replaces the fleet. */
  strategy: RolloutChaosStrategy;
  /** SIGKILLs over the run. */
  kills: number;
  /**
   * Seeds every random choice (each kill's kind, victim and delay): the same
   * seed makes the same choices again, though the processes' timing differs.
   */
  seed: number;
  /** `postgresql://user@host:port` of a server it may create databases on. */
  postgresUrl: string;
  /** A moto server. */
  ec2Endpoint: string;
  /** Prints a line of the run's account. */
  log: (line: string) => void;
};

/** One observation of both fleets. */
type Observation = {
  at: number;
  group: { running: number; onTarget: number };
  standalone: { running: number; onTarget: number };
};

/** What a chaos run found. */
export type RolloutChaosReport = {
  seed: number;
  replicas: number;
  strategy: RolloutChaosStrategy;
  kills: number;
  /** Kills that landed while the process ran the rollout task. */
  killsInTick: number;
  /** Runs of killed processes released (as the janitor would). */
  claimsReleased: number;
  killsByMode: Record<string, number>;
  observations: number;
  minRunning: { group: number; standalone: number };
  maxRunning: { group: number; standalone: number };
  rollouts: {
    id: string;
    toVersion: string;
    planned: number;
    launched: number;
    /** Launch actions recorded in rollout_steps (a replay records again). */
    launchRecords: number;
  }[];
  /** Runs of the rollout task by backend (a, b), over all its restarts. */
  ticksByBackend: Record<string, number>;
  durationMs: number;
  /** Every broken rule, in words; empty when the run passed. */
  failures: string[];
};

/** A small seeded generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/** A backend process, started again after each kill on the same port. */
class Backend {
  child?: ChildProcess;
  exited?: Promise<void>;
  /** Its processes, one per start. */
  readonly pids: number[] = [];

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly spawnArgs: {
      dir: string;
      configs: string[];
      tickLog: string;
    },
  ) {}

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid() {
    return this.child?.pid;
  }

  get logFile() {
    return join(this.spawnArgs.dir, `backend-${this.name}.log`);
  }

  start() {
    const out = openSync(this.logFile, 'a');
    const child = spawn(
      process.execPath,
      [
        '--require',
        require.resolve('@backstage/cli/config/nodeTransform.cjs'),
        resolve(__dirname, 'rolloutBackend.ts'),
        ...this.spawnArgs.configs.flatMap(c => ['--config', c]),
      ],
      {
        // A directory of its own with an empty package.json: the backend
        // then loads no config schema of the monorepo's packages (seconds).
        cwd: this.spawnArgs.dir,
        env: {
          ...process.env,
          NODE_ENV: 'development',
          ROLLOUT_BACKEND_TICK_LOG: this.spawnArgs.tickLog,
          ROLLOUT_BACKEND_INITIAL_DELAY_MS: '1000',
          NODE_COMPILE_CACHE: join(tmpdir(), 'immutable-infra-compile-cache'),
        },
        // Its own process group: the kill takes the whole of it.
        detached: true,
        stdio: ['ignore', out, out],
      },
    );
    closeSync(out);
    this.child = child;
    this.pids.push(child.pid!);
    this.exited = new Promise(done => child.once('exit', () => done()));
  }

  alive() {
    return this.child !== undefined && this.child.exitCode === null;
  }

  async waitReady() {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (!this.alive()) {
        throw new Error(
          `backend ${this.name} exited while starting:\n${this.tail()}`,
        );
      }
      try {
        const answer = await fetch(
          `${this.url}/.backstage/health/v1/readiness`,
        );
        if (answer.ok) {
          return;
        }
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        throw new Error(`backend ${this.name} not ready:\n${this.tail()}`);
      }
      await sleep(100);
    }
  }

  async kill(signal: NodeJS.Signals) {
    if (!this.alive()) {
      return;
    }
    try {
      process.kill(-this.child!.pid!, signal);
    } catch {
      this.child!.kill(signal);
    }
    await this.exited;
  }

  /** Stops it as an orchestrator does: SIGTERM, then SIGKILL after 10 s. */
  async stop() {
    if (!this.alive()) {
      return;
    }
    const timer = setTimeout(() => {
      this.kill('SIGKILL').catch(() => {});
    }, 10_000);
    await this.kill('SIGTERM');
    clearTimeout(timer);
  }

  tail(lines = 40) {
    return logTail(this.logFile, lines);
  }
}

const tag = (instance: Instance, key: string) =>
  instance.Tags?.find(t => t.Key === key)?.Value;

/**
 * Tells the group's instances from the standalone ones. moto's
 * TerminateInstanceInAutoScalingGroup takes the instance out of the group
 * (and its aws:autoscaling:groupName tag off) before it terminates it, so
 * a look in between sees a running instance with no group: an instance once
 * seen with the tag stays the group's.
 */
class GroupMembers {
  private readonly seen = new Set<string>();

  has(instance: Instance): boolean {
    if (tag(instance, 'aws:autoscaling:groupName')) {
      this.seen.add(instance.InstanceId!);
    }
    return this.seen.has(instance.InstanceId!);
  }
}

/**
 * Runs the chaos: sets up the fleet and the backends, rolls out while it
 * kills, then lets the last rollout finish and checks everything.
 */
export async function runRolloutChaos(
  options: RolloutChaosOptions,
): Promise<RolloutChaosReport> {
  const { log, seed } = options;
  const next = random(seed);
  const started = Date.now();
  const failures: string[] = [];
  const fail = (message: string) => {
    failures.push(message);
    log(`  ✗ ${message}`);
  };
  const run = `chaos${randomBytes(3).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), `rollout-${run}-`));
  const tickLog = join(dir, 'ticks.log');
  const prefix = `${run}_`;
  log(
    `rollout chaos: seed ${seed}, ${options.kills} kills, ${
      options.replicas
    } backend${options.replicas === 1 ? '' : 's'}, ${
      options.strategy
    } rollouts (run ${run}, logs in ${dir})`,
  );

  const { ec2, autoscaling } = emulatorClients(options.ec2Endpoint, REGION);
  const elb = new ElasticLoadBalancingV2Client({
    region: REGION,
    endpoint: options.ec2Endpoint,
    maxAttempts: 1,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  const fixtures = new Ec2Fixtures(ec2, autoscaling);
  const fleet = await createFleet({ run, fixtures, elb });

  const token = randomBytes(24).toString('hex');
  const entityRef = `component:default/${run}`;
  writeFileSync(
    join(dir, 'package.json'),
    '{"name":"rollout-chaos","private":true}\n',
  );
  writeFileSync(
    join(dir, 'catalog.yaml'),
    `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ${run}
  annotations:
    immutable-infra.io/image-family: ${run}
    immutable-infra.io/fleet-selector: app=${run}
    immutable-infra.io/autoscaling-group: ${ENVIRONMENT}=${fleet.groupName}
    immutable-infra.io/launch-template: ${run}
spec:
  type: service
  lifecycle: production
  owner: group:default/platform
`,
  );
  writeFileSync(
    join(dir, 'app-config.yaml'),
    `backend:
  database:
    client: pg
    connection: ${options.postgresUrl}
    prefix: ${prefix}
  auth:
    externalAccess:
      - type: static
        options:
          token: ${token}
          subject: rollout-chaos
catalog:
  locations:
    - type: file
      target: ${join(dir, 'catalog.yaml')}
aws:
  mainAccount:
    accessKeyId: testing
    secretAccessKey: testing
immutableInfra:
  aws:
    regions: [${REGION}]
    endpoint: ${options.ec2Endpoint}
    maxAttempts: 1
  rollouts:
    frequency: PT1S
    # The emulator shows what it launches at once.
    launchVisibility: PT0S
  # Out of the way: the chaos is about rollouts.
  schedule:
    frequency: PT1H
    timeout: PT1M
  entityRefresh: PT1H
`,
  );
  const backends: Backend[] = [];
  for (const name of options.replicas === 1 ? ['a'] : ['a', 'b']) {
    const port = await freePort();
    const config = join(dir, `app-config.${name}.yaml`);
    writeFileSync(
      config,
      `backend:\n  baseUrl: http://127.0.0.1:${port}\n  listen:\n    host: 127.0.0.1\n    port: ${port}\n`,
    );
    backends.push(
      new Backend(name, port, {
        dir,
        configs: [join(dir, 'app-config.yaml'), config],
        tickLog,
      }),
    );
  }
  const pluginDb: KnexType = Knex({
    client: 'pg',
    connection: `${options.postgresUrl.replace(
      /\/$/,
      '',
    )}/${prefix}immutable-infra`,
    pool: { min: 0, max: 2 },
  });

  const observations: Observation[] = [];
  const members = new GroupMembers();
  let observing = true;
  let observer: Promise<void> | undefined;
  const report: RolloutChaosReport = {
    seed,
    replicas: options.replicas,
    strategy: options.strategy,
    kills: 0,
    killsInTick: 0,
    claimsReleased: 0,
    killsByMode: {},
    observations: 0,
    minRunning: { group: Infinity, standalone: Infinity },
    maxRunning: { group: 0, standalone: 0 },
    rollouts: [],
    ticksByBackend: {},
    durationMs: 0,
    failures,
  };

  try {
    // One at a time: two backends migrating an empty database at once race
    // for the migration locks (docs/operations.md).
    for (const backend of backends) {
      backend.start();
      await backend.waitReady();
    }
    log(
      `backends ready in ${((Date.now() - started) / 1000).toFixed(
        1,
      )}s: ${backends.map(b => `${b.name} pid ${b.pid} ${b.url}`).join(', ')}`,
    );
    const api = apiOf(token);
    const anyUrl = () => backends.find(b => b.alive())!.url;

    // Enrolled, versions 1 and 2 registered, the fleet synced: all through
    // the API. The catalog reads its file location within seconds.
    await retry('the catalog has the entity', 30_000, async () => {
      const answer = await fetch(
        `${anyUrl()}/api/catalog/entities/by-name/component/default/${run}`,
        { headers: { Authorization: `Bearer ${token}` } },
      );
      if (!answer.ok) {
        throw new Error(`the catalog answers ${answer.status}`);
      }
    });
    await api(anyUrl(), 'POST', '/families', { name: run, entityRef });
    const versions: string[] = [fleet.firstImage];
    const register = async (url: string) => {
      const imageId = await fixtures.image();
      versions.push(imageId);
      await api(url, 'POST', '/images', {
        family: run,
        artifacts: [{ region: REGION, imageId }],
      });
      return versions.length;
    };
    await api(anyUrl(), 'POST', '/images', {
      family: run,
      artifacts: [{ region: REGION, imageId: fleet.firstImage }],
    });
    await api(anyUrl(), 'PUT', `/families/${run}/channels/${ENVIRONMENT}`, {
      version: 1,
    });
    await api(anyUrl(), 'POST', '/sync', { entityRef });

    observer = (async () => {
      while (observing) {
        try {
          observations.push(await observe(ec2, run, versions, members));
        } catch (error) {
          log(`  (observation failed: ${(error as Error).message})`);
        }
        await sleep(OBSERVE_EVERY_MS);
      }
    })();

    const startRollout = async () => {
      const url = anyUrl();
      const version = await register(url);
      await api(url, 'POST', '/sync', { entityRef });
      const { rollout } = (await api(url, 'POST', '/rollouts', {
        entityRef,
        environment: ENVIRONMENT,
        version,
        spec: SPECS[options.strategy],
        reason: `chaos run ${run}`,
      })) as { rollout: Rollout };
      log(
        `rollout ${rollout.id}: ${rollout.fromVersion ?? '?'} to ${
          rollout.toVersion
        } (${rollout.fleets.map(f => `${f.name}: ${f.capacity}`).join(', ')})`,
      );
      return rollout;
    };

    let current = await startRollout();
    /** Checks the rollout once it succeeded and starts the next. */
    const onwards = async (more: boolean) => {
      const view = (await api(
        anyUrl(),
        'GET',
        `/rollouts/${current.id}`,
      )) as Rollout;
      if (['failed', 'aborted', 'paused'].includes(view.state)) {
        throw new Error(
          `rollout ${view.id} is ${view.state}: ${view.reason ?? ''}`,
        );
      }
      // Succeeded, and AWS tidied (templates, group sizes, protection and
      // tag): the entity is released with the `finished` event.
      if (
        view.state !== 'succeeded' ||
        !view.events.some(e => e.kind === 'finished')
      ) {
        return false;
      }
      await checkRollout({
        view,
        ec2,
        autoscaling,
        run,
        members,
        pluginDb,
        api: path => api(anyUrl(), 'GET', path),
        report,
        fail,
        log,
      });
      if (more) {
        current = await startRollout();
      }
      return true;
    };

    const tickDurations: number[] = [];
    let restarted: { backend: Backend; at: number } | undefined;
    const drawMode = () => {
      // In a tick, at a random moment of one; at a random moment of the
      // process's life after its next tick; or while it starts again.
      const draw = next();
      if (draw < 0.4) {
        return 'in a tick';
      }
      return draw < 0.8 || !restarted ? 'any time' : 'starting';
    };
    let mode = drawMode();
    for (let kill = 1; kill <= options.kills; kill++) {
      let victim = backends[Math.floor(next() * backends.length)];
      let delay: number;
      if (mode === 'starting' && restarted) {
        victim = restarted.backend;
        delay = Math.round(next() * 4000);
        await sleep(Math.max(0, restarted.at + delay - Date.now()));
      } else {
        for (const backend of backends) {
          await backend.waitReady();
        }
        await onwards(true);
        const seen = readTicks(tickLog).length;
        if (mode === 'in a tick') {
          // Within a run as long as the typical one.
          delay = Math.round(next() * 0.9 * (median(tickDurations) ?? 50));
          const start = await waitForTick(tickLog, seen, 15_000);
          victim = backends.find(b => b.pid === start?.pid) ?? victim;
        } else {
          delay = Math.round(next() * 3000);
          await waitForTick(tickLog, seen, 15_000);
        }
        await sleep(delay);
      }
      const pid = victim.pid!;
      const killedAt = Date.now();
      await victim.kill('SIGKILL');
      report.kills += 1;
      report.killsByMode[mode] = (report.killsByMode[mode] ?? 0) + 1;

      const runs = runsOf(readTicks(tickLog));
      tickDurations.splice(
        0,
        tickDurations.length,
        ...runs.filter(r => r.end).map(r => r.end! - r.start),
      );
      const open = runs.find(r => r.pid === pid && r.end === undefined);
      const released = await releaseDeadClaim({
        pluginDb,
        dead: pid,
        survivors: backends.filter(b => b.alive()).map(b => b.pid!),
        tickLog,
      });
      if (open) {
        report.killsInTick += 1;
      }
      if (released) {
        report.claimsReleased += 1;
      }
      const state = await pluginDb('rollouts')
        .where({ id: current.id })
        .first('state', 'current_step');
      const last = observations[observations.length - 1];
      log(
        `kill ${kill}/${options.kills} (${mode}, +${delay} ms): backend ${
          victim.name
        } pid ${pid}${
          open
            ? `, in a run of the task for ${killedAt - open.start} ms`
            : ', in no run of the task'
        }${released ? ', its run released' : ''}; rollout to ${
          current.toVersion
        } ${state?.state} at step ${Number(state?.current_step ?? 0) + 1}/${
          current.steps.length
        }; ${observations.length} observations${
          last
            ? `, the last: group ${last.group.running} running (${last.group.onTarget} new), standalone ${last.standalone.running} (${last.standalone.onTarget} new)`
            : ''
        }`,
      );
      victim.start();
      restarted = { backend: victim, at: Date.now() };
      mode = drawMode();
    }

    // The last rollout runs to its end with no more kills.
    for (const backend of backends) {
      await backend.waitReady();
    }
    const deadline = Date.now() + FINISH_TIMEOUT_MS;
    while (!(await onwards(false))) {
      if (Date.now() > deadline) {
        throw new Error(
          `rollout ${current.id} did not finish within ${
            FINISH_TIMEOUT_MS / 1000
          }s of the last kill`,
        );
      }
      await sleep(500);
    }
  } catch (error) {
    fail(`stopped: ${(error as Error).message}`);
    for (const backend of backends) {
      log(`--- last lines of backend ${backend.name} ---\n${backend.tail(20)}`);
    }
  } finally {
    observing = false;
    await observer;
    for (const backend of backends) {
      await backend.stop();
    }
    await pluginDb.destroy();
  }

  // The observations: capacity kept, surge bounded. Each broken rule is
  // told once, with the first time and how often it was seen.
  const broken = new Map<string, { first: number; count: number }>();
  for (const o of observations) {
    for (const [key, capacity] of [
      ['group', GROUP_CAPACITY],
      ['standalone', STANDALONE_CAPACITY],
    ] as const) {
      const { running } = o[key];
      report.minRunning[key] = Math.min(report.minRunning[key], running);
      report.maxRunning[key] = Math.max(report.maxRunning[key], running);
      let rule: string | undefined;
      if (running < capacity) {
        rule = `${key} fleet ran ${running} instances, below its minimum healthy ${capacity}`;
      } else if (running > capacity + surgeOf(options.strategy, capacity)) {
        rule = `${key} fleet ran ${running} instances, above its capacity ${capacity} plus surge ${surgeOf(
          options.strategy,
          capacity,
        )}`;
      }
      if (rule) {
        const seen = broken.get(rule) ?? { first: o.at, count: 0 };
        broken.set(rule, { ...seen, count: seen.count + 1 });
      }
    }
  }
  for (const [rule, { first, count }] of broken) {
    fail(
      `${rule}: in ${count} observations, first at ${new Date(
        first,
      ).toISOString()}`,
    );
  }
  report.observations = observations.length;

  // The task's runs: one at a time across every process.
  const runs = runsOf(readTicks(tickLog));
  for (const r of runs) {
    const name = backends.find(b => b.pids.includes(r.pid))?.name ?? '?';
    report.ticksByBackend[name] = (report.ticksByBackend[name] ?? 0) + 1;
  }
  const sorted = [...runs].sort((x, y) => x.start - y.start);
  for (let i = 1; i < sorted.length; i++) {
    const before = sorted[i - 1];
    // A killed process's run ends, at the latest, with the next start of
    // any (its claim is released only after it is dead).
    if (before.end !== undefined && before.end > sorted[i].start) {
      fail(
        `runs of the rollout task overlapped: ${before.ticket} (pid ${before.pid}) until ${before.end}, ${sorted[i].ticket} (pid ${sorted[i].pid}) from ${sorted[i].start}`,
      );
    }
  }
  report.durationMs = Date.now() - started;
  log(summary(report));
  // What failed stays to be looked at: the logs and the databases.
  if (failures.length === 0) {
    rmSync(dir, { recursive: true, force: true });
    await dropDatabases(options.postgresUrl, prefix);
  } else {
    log(`kept for a look: ${dir} and the databases ${prefix}*`);
  }
  return report;
}

/** The figures at the end of a run. */
export function summary(r: RolloutChaosReport): string {
  const modes = Object.entries(r.killsByMode)
    .map(([mode, n]) => `${n} ${mode}`)
    .join(', ');
  return [
    `seed ${r.seed}, ${r.strategy}: ${r.kills} kills (${modes}; ${
      r.killsInTick
    } during a run of the rollout task, ${
      r.claimsReleased
    } runs released) over ${r.rollouts.length} rollouts in ${(
      r.durationMs / 1000
    ).toFixed(1)}s`,
    `observations: ${r.observations}; instances running, group ${
      r.minRunning.group
    }..${r.maxRunning.group} (capacity ${GROUP_CAPACITY} + surge ${surgeOf(
      r.strategy,
      GROUP_CAPACITY,
    )}), standalone ${r.minRunning.standalone}..${
      r.maxRunning.standalone
    } (capacity ${STANDALONE_CAPACITY} + surge ${surgeOf(
      r.strategy,
      STANDALONE_CAPACITY,
    )})`,
    ...r.rollouts.map(
      x =>
        `rollout ${x.toVersion}: launched ${x.launched}, planned ${x.planned}, launch actions recorded ${x.launchRecords}`,
    ),
    `runs of the rollout task by backend: ${Object.entries(r.ticksByBackend)
      .map(([name, n]) => `${name} ${n}`)
      .join(', ')}`,
    r.failures.length
      ? `${r.failures.length} failures:\n  ${r.failures.join('\n  ')}`
      : 'all checks passed',
  ].join('\n');
}

/** The items that pass `test`, and the others. */
function partition<T>(items: T[], test: (item: T) => boolean): [T[], T[]] {
  return [items.filter(test), items.filter(item => !test(item))];
}

function median(values: number[]): number | undefined {
  if (values.length === 0) {
    return undefined;
  }
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Waits for a run of the task to start after the first `seen` lines. */
async function waitForTick(
  file: string,
  seen: number,
  timeoutMs: number,
): Promise<TickLogLine | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const start = readTicks(file)
      .slice(seen)
      .find(l => l.event === 'start');
    if (start) {
      return start;
    }
    await sleep(10);
  }
  return undefined;
}

/**
 * Frees the rollout task when a killed process held it, as the janitor
 * does once the run's timeout passed: the ticket in the table is the dead
 * process's if it logged it, or if no survivor logs it within a second (a
 * survivor logs its ticket right after its claim).
 */
async function releaseDeadClaim(options: {
  pluginDb: KnexType;
  dead: number;
  survivors: number[];
  tickLog: string;
}): Promise<boolean> {
  const { pluginDb, dead, survivors, tickLog } = options;
  const held = async () =>
    (
      await pluginDb(SCHEDULER_TASKS_TABLE)
        .where({ id: ROLLOUT_TASK_ID })
        .first('current_run_ticket')
    )?.current_run_ticket as string | null | undefined;
  const ticket = await held();
  if (!ticket) {
    return false;
  }
  const owner = () =>
    readTicks(tickLog).find(l => l.ticket === ticket && l.event === 'start')
      ?.pid;
  if (owner() === undefined && survivors.length > 0) {
    await sleep(1000);
    if ((await held()) !== ticket) {
      return false;
    }
  }
  const pid = owner();
  if (pid !== undefined && pid !== dead) {
    return false;
  }
  const updated = await pluginDb(SCHEDULER_TASKS_TABLE)
    .where({ id: ROLLOUT_TASK_ID, current_run_ticket: ticket })
    .update({
      current_run_ticket: null,
      current_run_started_at: null,
      current_run_expires_at: null,
      last_run_ended_at: pluginDb.fn.now(),
      last_run_error_json: JSON.stringify({
        name: 'Error',
        message: 'Task timed out (released by the chaos test)',
      }),
    });
  return updated === 1;
}

/** Calls the plugin's API with the static token. */
function apiOf(token: string) {
  return async (
    base: string,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<unknown> => {
    const answer = await fetch(`${base}/api/immutable-infra${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        ...(body ? { 'Content-Type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(30_000),
    });
    const text = await answer.text();
    if (!answer.ok) {
      throw new Error(
        `${method} ${path} answered ${answer.status}: ${text.slice(0, 500)}`,
      );
    }
    return text ? JSON.parse(text) : undefined;
  };
}

async function retry<T>(
  what: string,
  timeoutMs: number,
  fn: () => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`${what}: ${(error as Error).message}`);
      }
      await sleep(250);
    }
  }
}

/** The group behind a target group and the standalone instances, on v1. */
async function createFleet(options: {
  run: string;
  fixtures: Ec2Fixtures;
  elb: ElasticLoadBalancingV2Client;
}) {
  const { run, fixtures, elb } = options;
  const firstImage = await fixtures.image();
  const templateId = await fixtures.launchTemplate(run, [firstImage]);
  const groupName = `${run}-${ENVIRONMENT}`;
  const fleetTags = { app: run, environment: ENVIRONMENT };
  await fixtures.groupBehindTargetGroup(elb, {
    name: groupName,
    templateId,
    capacity: GROUP_CAPACITY,
    minSize: 2,
    maxSize: 8,
    tags: fleetTags,
    region: REGION,
    // Blue-green keeps blue at least this long after the switch.
    deregistrationDelaySeconds: 2,
  });
  await fixtures.fromTemplate(templateId, STANDALONE_CAPACITY, fleetTags);
  return { firstImage, templateId, groupName };
}

/** Every instance matching the filters, following EC2's pages. */
async function describe(
  ec2: EC2Client,
  filters: { Name: string; Values: string[] }[],
): Promise<Instance[]> {
  const found: Instance[] = [];
  let token: string | undefined;
  do {
    const page = await ec2.send(
      new DescribeInstancesCommand({ Filters: filters, NextToken: token }),
    );
    found.push(...(page.Reservations ?? []).flatMap(r => r.Instances ?? []));
    token = page.NextToken;
  } while (token);
  return found;
}

/** The fleet now, in one call: running instances, per fleet. */
async function observe(
  ec2: EC2Client,
  run: string,
  versions: string[],
  members: GroupMembers,
): Promise<Observation> {
  const instances = await describe(ec2, [
    { Name: 'tag:app', Values: [run] },
    { Name: 'instance-state-name', Values: ['running'] },
  ]);
  const target = versions[versions.length - 1];
  const count = (inGroup: boolean) => {
    const mine = instances.filter(i => members.has(i) === inGroup);
    return {
      running: mine.length,
      onTarget: mine.filter(i => i.ImageId === target).length,
    };
  };
  return { at: Date.now(), group: count(true), standalone: count(false) };
}

/** The checks of a rollout that succeeded. */
async function checkRollout(options: {
  view: Rollout;
  ec2: EC2Client;
  autoscaling: AutoScalingClient;
  run: string;
  members: GroupMembers;
  pluginDb: KnexType;
  api: (path: string) => Promise<unknown>;
  report: RolloutChaosReport;
  fail: (message: string) => void;
  log: (line: string) => void;
}) {
  const { view, ec2, autoscaling, run, members, pluginDb, report, fail, log } =
    options;
  const failuresBefore = report.failures.length;
  const lastTargets = view.steps[view.steps.length - 1].targets;
  const launchedAll = await describe(ec2, [
    { Name: `tag:${ROLLOUT_ID_TAG}`, Values: [view.id] },
  ]);
  const fleetNow = await describe(ec2, [
    { Name: 'tag:app', Values: [run] },
    { Name: 'instance-state-name', Values: LIVE_STATES },
  ]);
  let planned = 0;
  for (const fleet of view.fleets) {
    const inGroup = fleet.kind === 'autoscaling-group';
    // The run has one group.
    const ofFleet = (i: Instance) => members.has(i) === inGroup;
    const want = lastTargets[fleet.key] ?? 0;
    planned += want;
    const launched = launchedAll.filter(ofFleet);
    if (launched.length !== want) {
      fail(
        `${view.toVersion}, ${fleet.name}: ${
          launched.length
        } instances launched with the rollout's tag (${launched
          .map(i => `${i.InstanceId} ${i.State?.Name}`)
          .join(', ')}), planned ${want}`,
      );
    }
    const inFleet = fleetNow.filter(ofFleet);
    if (inGroup) {
      const group = (
        await autoscaling.send(
          new DescribeAutoScalingGroupsCommand({
            AutoScalingGroupNames: [fleet.name],
          }),
        )
      ).AutoScalingGroups![0];
      const ids = new Set(
        (group.Instances ?? [])
          .filter(i => !/Terminat/.test(i.LifecycleState ?? ''))
          .map(i => i.InstanceId),
      );
      const outside = inFleet.filter(i => !ids.has(i.InstanceId));
      if (outside.length > 0) {
        fail(
          `${view.toVersion}, ${
            fleet.name
          }: instances outside the group: ${outside
            .map(i => i.InstanceId)
            .join(', ')}`,
        );
      }
      if (group.DesiredCapacity !== fleet.capacity) {
        fail(
          `${view.toVersion}, ${fleet.name}: desired capacity ${group.DesiredCapacity}, was ${fleet.capacity}`,
        );
      }
      if (group.LaunchTemplate?.Version !== String(fleet.newTemplateVersion)) {
        fail(
          `${view.toVersion}, ${fleet.name}: the group launches template version ${group.LaunchTemplate?.Version}, not ${fleet.newTemplateVersion}`,
        );
      }
      if ([group.MinSize, group.MaxSize].join() !== [2, 8].join()) {
        fail(
          `${view.toVersion}, ${fleet.name}: size limits ${group.MinSize}..${group.MaxSize}, were 2..8`,
        );
      }
      if (group.Tags?.some(t => t.Key === ROLLOUT_ID_TAG)) {
        fail(`${view.toVersion}, ${fleet.name}: still tagged with the rollout`);
      }
    }
    const stale = inFleet.filter(i => i.ImageId !== fleet.targetImageId);
    if (inFleet.length !== fleet.capacity || stale.length > 0) {
      fail(
        `${view.toVersion}, ${fleet.name}: ends with ${
          inFleet.length
        } instances (capacity ${fleet.capacity}), ${stale.length} not on ${
          fleet.targetImageId
        }: ${stale
          .map(i => `${i.InstanceId} ${i.ImageId} ${i.State?.Name}`)
          .join(', ')}`,
      );
    }
  }
  // Orphans: launched by the rollout, alive, in no fleet at the end.
  const kept = new Set(fleetNow.map(i => i.InstanceId));
  const orphans = launchedAll.filter(
    i => LIVE_STATES.includes(i.State?.Name ?? '') && !kept.has(i.InstanceId),
  );
  if (orphans.length > 0) {
    fail(
      `${view.toVersion}: orphan instances: ${orphans
        .map(i => i.InstanceId)
        .join(', ')}`,
    );
  }
  const templateId = view.fleets[0].launchTemplate!.id;
  const defaults = await ec2.send(
    new DescribeLaunchTemplateVersionsCommand({
      LaunchTemplateId: templateId,
      Versions: ['$Default'],
    }),
  );
  const defaultVersion = defaults.LaunchTemplateVersions?.[0]?.VersionNumber;
  if (defaultVersion !== view.fleets[0].newTemplateVersion) {
    fail(
      `${view.toVersion}: the template defaults to version ${defaultVersion}, not ${view.fleets[0].newTemplateVersion}`,
    );
  }
  // Each step's event once, and one start and one success.
  const kinds = (kind: string) => view.events.filter(e => e.kind === kind);
  // The end of the last step may be told in a step event of its own, once.
  const [numbered, last] = partition(kinds('step'), e =>
    /step \d+ of \d+/.test(e.message),
  );
  const stepNumbers = numbered.map(e =>
    Number(/step (\d+) of \d+/.exec(e.message)?.[1]),
  );
  const expected = view.steps.slice(1).map(s => s.index + 1);
  if (last.length > 1 || last.some(e => !/every step passed/.test(e.message))) {
    fail(
      `${view.toVersion}: step events after the last step: ${last
        .map(e => e.message)
        .join(' | ')}`,
    );
  }
  if (stepNumbers.join() !== expected.join()) {
    fail(
      `${view.toVersion}: step events for steps ${stepNumbers.join(
        ', ',
      )}, expected ${expected.join(', ')} once each`,
    );
  }
  for (const kind of ['started', 'succeeded']) {
    if (kinds(kind).length !== 1) {
      fail(`${view.toVersion}: ${kinds(kind).length} '${kind}' events`);
    }
  }
  const channels = (await options.api(`/families/${view.family}/channels`)) as {
    channels: { name: string; version?: string }[];
  };
  const channel = channels.channels.find(c => c.name === view.environment);
  if (channel?.version !== view.toVersion) {
    fail(
      `${view.toVersion}: the ${view.environment} channel points at ${channel?.version}`,
    );
  }
  const launchRecords = Number(
    (
      await pluginDb('rollout_steps')
        .where({ rollout_id: view.id, action: 'launch' })
        .count({ n: '*' })
    )[0].n,
  );
  report.rollouts.push({
    id: view.id,
    toVersion: view.toVersion,
    planned,
    launched: launchedAll.length,
    launchRecords,
  });
  log(
    `rollout ${view.toVersion} succeeded: launched ${
      launchedAll.length
    }, planned ${planned}; ${launchRecords} launch actions recorded; ${
      report.failures.length === failuresBefore
        ? 'checks passed'
        : `${report.failures.length - failuresBefore} checks failed`
    }`,
  );
}

/** Drops the run's databases (one per plugin). */
async function dropDatabases(postgresUrl: string, prefix: string) {
  const admin = Knex({
    client: 'pg',
    connection: postgresUrl,
    pool: { min: 0, max: 1 },
  });
  try {
    const { rows } = await admin.raw(
      'select datname from pg_database where datname like ?',
      [`${prefix}%`],
    );
    for (const { datname } of rows as { datname: string }[]) {
      await admin.raw(
        'select pg_terminate_backend(pid) from pg_stat_activity where datname = ?',
        [datname],
      );
      await admin.raw('drop database if exists ??', [datname]);
    }
  } finally {
    await admin.destroy();
  }
}
