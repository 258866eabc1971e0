/*
 * Benchmark: the rollout engine.
 *
 * 1. AWS calls of one canary rollout (setWeight 10, 50, 100; maxSurgePercent
 *    25) with the real Ec2RolloutProvider and SDK clients against a local
 *    moto server, every SDK request counted by command name (a middleware
 *    on each client the provider gets): for an Auto Scaling group of N
 *    instances and for N standalone instances, N = 10, 100, 1,000. Prints
 *    calls by command, total, calls per instance and ticks.
 * 2. Engine time per reconcile tick with 200 rollouts in flight in one
 *    DatabaseRolloutStore, next to the time of the provider's calls in that
 *    tick. The provider is the in-memory AWS model (AwsModel: groups that
 *    launch and scale in asynchronously, reads that lag launches, one step
 *    of its cloud between ticks, outside the timing) with a fixed simulated
 *    latency per call (not moto: 200 rollouts there take minutes a tick).
 *    First one rollout at a time: AWS time = sum of the provider calls'
 *    durations (none overlap), engine time = tick wall time minus that.
 *    Then `rollouts.concurrency` (default 4) at once: the tick's wall time,
 *    next to the first's.
 *
 *   yarn workspace @immutable-infra/backstage-plugin-backend bench:rollouts
 *   BENCH_SIZES=10,100,1000 BENCH_ROLLOUTS=200 BENCH_LATENCY_MS=20 BENCH_TICKS=8 BENCH_DATABASE_URL=postgresql://… yarn …
 *   BENCH_PART=calls|ticks runs one part only; BENCH_CONCURRENCY the second run's.
 */
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ConfigReader } from '@backstage/config';
import {
  parseImmutableInfraAnnotations,
  RolloutSpec,
} from '@immutable-infra/backstage-plugin-common';
import Knex from 'knex';
import { median, openBenchDatabase, silentLogger } from './benchDatabase';
import { Ec2Fixtures, emulatorClients } from '../src/__testUtils__/ec2Fixtures';
import { migrateForTests } from '../src/__testUtils__/migrate';
import {
  modelInventory,
  NEW_AMI,
  OLD_AMI,
} from '../src/__testUtils__/rolloutHarness';
import { emulatorConfig, startMoto } from '../src/__testUtils__/moto';
import { DatabaseEntitySnapshotStore } from '../src/catalog/EntitySnapshotStore';
import { DatabaseFleetStore } from '../src/fleet/DatabaseFleetStore';
import { FleetSync } from '../src/fleet/FleetSync';
import { AwsClientFactory } from '../src/providers/aws/AwsClientFactory';
import { Ec2FleetProvider } from '../src/providers/aws/Ec2FleetProvider';
import { Ec2RolloutProvider } from '../src/providers/aws/Ec2RolloutProvider';
import { RolloutProvider } from '../src/providers/RolloutProvider';
import { DatabaseRolloutStore } from '../src/rollouts/DatabaseRolloutStore';
import { AwsModel } from '../src/rollouts/AwsModel.testUtil';
import { planRollout } from '../src/rollouts/plan';
import {
  ROLLOUT_CONCURRENCY,
  RolloutEngine,
} from '../src/rollouts/RolloutEngine';
import { RolloutStore } from '../src/rollouts/RolloutStore';

const SIZES = (process.env.BENCH_SIZES ?? '10,100,1000').split(',').map(Number);
const ROLLOUTS = Number(process.env.BENCH_ROLLOUTS ?? 200);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 20);
const TICKS = Number(process.env.BENCH_TICKS ?? 8);
const PART = process.env.BENCH_PART;
const CONCURRENCY = Number(
  process.env.BENCH_CONCURRENCY ?? ROLLOUT_CONCURRENCY,
);
const region = 'us-east-1';
const SPEC: RolloutSpec = {
  strategy: 'canary',
  steps: [{ setWeight: 10 }, { setWeight: 50 }, { setWeight: 100 }],
  maxSurgePercent: 25,
  progressDeadline: '10m',
} as RolloutSpec;

function newRollout(options: {
  index: number;
  entityRef: string;
  family: string;
  plan: any;
  selector: { key: string; value: string }[];
}) {
  return {
    id: `00000000-0000-4000-8000-${String(options.index).padStart(12, '0')}`,
    entityRef: options.entityRef,
    environment: 'production',
    family: options.family,
    toVersion: `${options.family}@2`,
    movesChannel: false,
    strategy: options.plan.strategy,
    state: 'pending' as const,
    currentStep: 0,
    promoted: false,
    createdBy: 'user:default/bench',
    plan: {
      ...options.plan,
      selector: options.selector,
      environmentTag: 'environment',
    },
  };
}

/** Part 1: the AWS calls of one rollout, by command. */
async function rolloutCalls() {
  const moto = await startMoto();
  try {
    const { ec2, autoscaling } = emulatorClients(moto.endpoint, region);
    const elb = new ElasticLoadBalancingV2Client({
      region,
      endpoint: moto.endpoint,
      maxAttempts: 1,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    let index = 0;
    for (const size of SIZES) {
      for (const kind of ['group', 'standalone'] as const) {
        index += 1;
        // Each fleet in an account of its own: moto answers a describe in
        // time that grows with every instance the account ever had.
        await fetch(`${moto.endpoint}/moto-api/reset`, { method: 'POST' });
        const fixtures = new Ec2Fixtures(ec2, autoscaling);
        const oldAmi = await fixtures.image();
        const newAmi = await fixtures.image();
        const name = `b${index}-${kind}-${size}`;
        const template = await fixtures.launchTemplate(`${name}-lt`, [oldAmi]);
        const t0 = Date.now();
        const annotations: Record<string, string> = {
          'immutable-infra.io/image-family': name,
          'immutable-infra.io/fleet-selector': `app=${name}`,
        };
        if (kind === 'group') {
          await fixtures.groupBehindTargetGroup(elb, {
            name: `${name}-prod`,
            templateId: template,
            capacity: size,
            tags: { app: name, environment: 'production' },
            region,
          });
          annotations[
            'immutable-infra.io/autoscaling-group'
          ] = `production=${name}-prod`;
        } else {
          await fixtures.fromTemplate(template, size, {
            app: name,
            environment: 'production',
          });
          annotations['immutable-infra.io/launch-template'] = `${name}-lt`;
        }
        const setupMs = Date.now() - t0;

        const knex = Knex({
          client: 'better-sqlite3',
          connection: ':memory:',
          useNullAsDefault: true,
        });
        await migrateForTests(knex);
        const entity = {
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Component',
          metadata: { name, namespace: 'default', annotations },
          spec: { type: 'service', owner: 'group:default/team' },
        };
        const fleet = DatabaseFleetStore.create({ knex });
        const sync = new FleetSync({
          catalog: {
            getEntities: async () => ({ items: [entity] }),
            getEntityByRef: async () => entity,
          } as any,
          auth: { getOwnServiceCredentials: async () => ({}) } as any,
          fleet,
          snapshots: DatabaseEntitySnapshotStore.create({ knex }),
          providerFactory: () =>
            new Ec2FleetProvider(
              AwsClientFactory.fromConfig(
                new ConfigReader(emulatorConfig(moto.endpoint)),
              ),
            ),
          logger: silentLogger,
          regions: [region],
          environmentTag: 'environment',
        });
        await sync.run();
        const parsed = parseImmutableInfraAnnotations(
          entity as any,
        ).annotations;
        const entityRef = `component:default/${name}`;
        const planned = planRollout({
          environment: 'production',
          annotations: parsed,
          inventory: await fleet.getInventory(entityRef),
          targetImages: new Map([[region, newAmi]]),
          spec: SPEC,
        });
        if (planned.problems.length) {
          throw new Error(`${name}: ${JSON.stringify(planned.problems)}`);
        }

        // The rollout's own clients, each request counted by command.
        const counts = new Map<string, number>();
        const clients = AwsClientFactory.fromConfig(
          new ConfigReader(emulatorConfig(moto.endpoint)),
        );
        const counter = (next: any, context: any) => async (args: any) => {
          counts.set(
            context.commandName,
            (counts.get(context.commandName) ?? 0) + 1,
          );
          return next(args);
        };
        for (const client of [
          await clients.ec2Client(region),
          await clients.autoScalingClient(region),
          await clients.elbClient(region),
          await clients.cloudWatchClient(region),
        ]) {
          (client.middlewareStack as any).add(counter, {
            step: 'initialize',
            name: 'benchCount',
          });
        }
        const store = DatabaseRolloutStore.create({ knex });
        const engine = new RolloutEngine({
          // The emulators show what they launch at once.
          launchVisibilityMs: 0,
          store,
          provider: new Ec2RolloutProvider(clients),
          logger: silentLogger,
          syncEntity: async () => {},
        });
        const rollout = await store.create({
          rollout: newRollout({
            index,
            entityRef,
            family: name,
            plan: planned.plan!,
            selector: parsed.fleetSelector,
          }),
          events: [],
          audit: [],
        });
        const t1 = Date.now();
        let tickCount = 0;
        let current = rollout;
        while (tickCount < 200) {
          await engine.tick();
          tickCount += 1;
          current = (await store.get(rollout.id))!;
          if (!current.active) break;
        }
        const total = [...counts.values()].reduce((a, b) => a + b, 0);
        console.log(
          `${
            kind === 'group' ? 'Auto Scaling group' : 'standalone'
          } of ${size}: ${current.state} in ${tickCount} ticks (${(
            (Date.now() - t1) /
            1000
          ).toFixed(1)} s; setup ${(setupMs / 1000).toFixed(
            1,
          )} s), ${total} AWS calls, ${(total / size).toFixed(2)} per instance`,
        );
        console.log(
          `  ${[...counts.entries()]
            .sort((a, b) => b[1] - a[1])
            .map(([command, n]) => `${command.replace(/Command$/, '')} ${n}`)
            .join(', ')}`,
        );
        await knex.destroy();
      }
    }
  } finally {
    await moto.stop();
  }
}

/**
 * Part 2: engine time per tick with many rollouts in flight. One rollout
 * at a time, the provider calls do not overlap: engine time is the tick's
 * wall time minus theirs. With more at once they do, and only the tick's
 * wall time is compared.
 */
async function tickTimes(concurrency: number) {
  const { knex, kind } = await openBenchDatabase();
  const cloud = new AwsModel({ region });
  let awsMs = 0;
  let awsCalls = 0;
  const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
  // Every provider call waits the simulated latency, and is timed whole.
  const provider = new Proxy(cloud, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const t0 = performance.now();
        try {
          await sleep(LATENCY_MS);
          return await value.apply(target, args);
        } finally {
          awsMs += performance.now() - t0;
          awsCalls += 1;
        }
      };
    },
  }) as RolloutProvider;
  const store: RolloutStore = DatabaseRolloutStore.create({ knex });
  const engine = new RolloutEngine({
    store,
    provider,
    logger: silentLogger,
    syncEntity: async () => {},
    concurrency,
    now: () => cloud.now(),
  });
  const selector = (name: string) => [{ key: 'app', value: name }];
  const templates: string[] = [];
  for (let index = 0; index < ROLLOUTS; index++) {
    const name = `svc-${index}`;
    templates.push(cloud.createLaunchTemplate({ name, imageId: OLD_AMI }));
    cloud.createGroup({
      name: `${name}-prod`,
      templateId: templates[index],
      minSize: 10,
      maxSize: 10,
      desiredCapacity: 10,
      tags: { app: name, environment: 'production' },
    });
  }
  cloud.settle();
  for (let index = 0; index < ROLLOUTS; index++) {
    const name = `svc-${index}`;
    const entityRef = `component:default/${name}`;
    const planned = planRollout({
      environment: 'production',
      annotations: {
        imageFamily: name,
        fleetSelector: selector(name),
        environments: ['production'],
        stateful: false,
      },
      inventory: modelInventory(cloud, {
        entityRef,
        app: name,
        templateId: templates[index],
        group: `${name}-prod`,
      }),
      targetImages: new Map([[region, NEW_AMI]]),
      spec: SPEC,
    });
    if (planned.problems.length) {
      throw new Error(`${name}: ${JSON.stringify(planned.problems)}`);
    }
    await store.create({
      rollout: newRollout({
        index: index + 1,
        entityRef,
        family: name,
        plan: planned.plan!,
        selector: selector(name),
      }),
      events: [],
      audit: [],
    });
  }
  console.log(
    `${ROLLOUTS} canary rollouts in flight (one Auto Scaling group of 10 each), ${kind}, ${concurrency} reconciled at once; provider: the in-memory AWS model, ${LATENCY_MS} ms simulated latency per call (not AWS, not moto)`,
  );
  const rows: { wall: number; aws: number; engine: number }[] = [];
  for (let t = 0; t < TICKS; t++) {
    const active = (await store.listActive()).length;
    awsMs = 0;
    awsCalls = 0;
    const t0 = performance.now();
    await engine.tick();
    const wall = performance.now() - t0;
    const engineMs = wall - awsMs;
    // The cloud moves on between ticks (launches run, groups scale).
    cloud.step();
    rows.push({ wall, aws: awsMs, engine: engineMs });
    console.log(
      `tick ${
        t + 1
      }: ${active} active, ${awsCalls} provider calls; wall ${wall.toFixed(
        0,
      )} ms, AWS ${awsMs.toFixed(0)} ms${
        concurrency === 1
          ? `, engine ${engineMs.toFixed(0)} ms (${(
              (100 * engineMs) /
              awsMs
            ).toFixed(1)}% of AWS)`
          : ' (summed over overlapping calls)'
      }`,
    );
  }
  const wallMedian = median(rows.map(r => r.wall));
  console.log(
    `median of ${TICKS} ticks: wall ${wallMedian.toFixed(0)} ms, AWS ${median(
      rows.map(r => r.aws),
    ).toFixed(0)} ms${
      concurrency === 1
        ? `, engine ${median(rows.map(r => r.engine)).toFixed(
            0,
          )} ms; engine / AWS ${(
            100 * median(rows.map(r => r.engine / r.aws))
          ).toFixed(1)}% (target at most 10%)`
        : ''
    }`,
  );
  await knex.destroy();
  return wallMedian;
}

async function main() {
  if (PART !== 'ticks') await rolloutCalls();
  if (PART !== 'calls') {
    const sequential = await tickTimes(1);
    const concurrent = await tickTimes(CONCURRENCY);
    console.log(
      `tick wall time, median: ${concurrent.toFixed(
        0,
      )} ms with ${CONCURRENCY} rollouts at once, ${sequential.toFixed(
        0,
      )} ms one at a time (${(sequential / concurrent).toFixed(1)}x shorter)`,
    );
  }
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
