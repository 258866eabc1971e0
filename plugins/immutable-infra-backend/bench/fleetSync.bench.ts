/*
 * Benchmark: fleet sync of a synthetic fleet (default 50,000 instances over
 * 2,000 entities), with the real SDK client reading EC2 responses that a
 * local HTTP server replays, the real provider and the real store. Prints
 * instances per second, peak memory, and the ratio of our total time to the
 * time the SDK alone takes to fetch and parse the same pages, per round and
 * the median of the rounds (each round measures both, one after the other).
 *
 *   yarn workspace @immutable-infra/backstage-plugin-backend bench:sync
 *   BENCH_ENTITIES=2000 BENCH_INSTANCES_PER_ENTITY=25 BENCH_ROUNDS=3 BENCH_DATABASE_URL=postgresql://… yarn …
 *
 * BENCH_PATH=account (the default) runs the full sync as it is: one listing
 * of the account and region, partitioned by selectors; BENCH_PATH=per-entity
 * runs the path of a targeted resync for every entity (one DescribeInstances
 * page chain per entity, as every sync did before). The SDK-alone floor
 * makes the same requests as the path measured. Each sync's AWS requests are
 * counted at the replay server.
 *
 * BENCH_RATE_SHARE (default 1) is the plugin limiter's share of EC2's
 * request buckets in that comparison; the plugin's default, 0.2, paces a
 * sync of more than 20 requests to 4 a second.
 *
 * BENCH_PROFILE=scale is the organisation: 100,000 instances of 5,000
 * services (20 each) across 20 accounts × 4 Regions, each account with its
 * own static keys (`aws.accounts`), the replay server throttling as EC2 does
 * (a token bucket per account, Region and action) and the plugin's own
 * limiter on. It reports the AWS requests of one sync next to the minimum
 * (the SDK alone listing each account and Region once), the throttled
 * answers retried and the syncs failed by throttling, wall time, peak RSS
 * and the time spent in the database. BENCH_THROTTLE=1/1 shrinks the
 * replay server's buckets (1 token, 1 a second) as if the account's other
 * tools had spent them.
 *
 *   BENCH_PROFILE=scale yarn workspace @immutable-infra/backstage-plugin-backend bench:sync
 */
import {
  DescribeInstancesCommandInput,
  DescribeSecurityGroupsCommand,
  EC2Client,
  paginateDescribeInstances,
} from '@aws-sdk/client-ec2';
import { ConfigReader } from '@backstage/config';
import { median, openBenchDatabase, silentLogger } from './benchDatabase';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { DatabaseFleetStore } from '../src/fleet/DatabaseFleetStore';
import { DatabaseEntitySnapshotStore } from '../src/catalog/EntitySnapshotStore';
import { startReplayServer } from './ec2ReplayServer';
import { AwsClientFactory } from '../src/providers/aws/AwsClientFactory';
import {
  describeFleetInstancesInput,
  describeInventoryInputs,
  Ec2FleetProvider,
} from '../src/providers/aws/Ec2FleetProvider';
import { FleetProvider } from '../src/providers/FleetProvider';
import {
  FLEET_SYNC_CONCURRENCY,
  FleetSync,
  fleetSyncBudgetMs,
} from '../src/fleet/FleetSync';
import { FleetStore } from '../src/fleet/FleetStore';

const ENTITIES = Number(process.env.BENCH_ENTITIES ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** Entities in flight, in the sync and in the SDK-alone floor alike. */
const CONCURRENCY = Number(
  process.env.BENCH_CONCURRENCY ?? FLEET_SYNC_CONCURRENCY,
);
const PER_ENTITY = Number(process.env.BENCH_INSTANCES_PER_ENTITY ?? 25);
const SELECTOR_TAG = 'immutable-infra:service';
const PATH = process.env.BENCH_PATH ?? 'account';
/**
 * The plugin limiter's share of EC2's buckets in the comparison with the
 * SDK alone (which has none): 1 by default, the whole documented bucket, so
 * that the ratio is the work of the code, not the pacing the plugin chooses
 * to leave room for the account's other tools; BENCH_RATE_SHARE=0.2 (the
 * plugin's default) shows that pacing.
 */
const RATE_SHARE = Number(process.env.BENCH_RATE_SHARE ?? 1);
if (PATH !== 'account' && PATH !== 'per-entity') {
  throw new Error('BENCH_PATH is account or per-entity');
}

function memoryWatch() {
  let peakRss = 0;
  let peakHeap = 0;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 100);
  return () => {
    clearInterval(timer);
    return { peakRss, peakHeap };
  };
}

async function main() {
  const { endpoint, close, requests } = await startReplayServer({
    perEntity: PER_ENTITY,
    entities: ENTITIES,
  });
  const total = ENTITIES * PER_ENTITY;

  // 1. The SDK alone: the pages the provider asks for (same request, same
  // page size), fetched and parsed with as many entities in flight as the
  // sync has, and nothing kept.
  const ec2 = new EC2Client({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    requestHandler: new NodeHttpHandler({ requestTimeout: 30_000 }),
  });
  let pages = 0;
  let pageSize: DescribeInstancesCommandInput['MaxResults'];
  /** The account's inventory once, then the security groups 200 a request. */
  const sdkAloneAccount = async (count: number) => {
    let seen = 0;
    pages = 0;
    const ids = new Set<string>();
    for (const input of describeInventoryInputs([SELECTOR_TAG])) {
      pageSize = input.MaxResults;
      for await (const page of paginateDescribeInstances(
        { client: ec2 },
        input,
      )) {
        pages += 1;
        for (const r of page.Reservations ?? []) {
          for (const i of r.Instances ?? []) {
            // The warm-up reads as many instances as its entities hold.
            if (seen >= count * PER_ENTITY) break;
            seen += 1;
            for (const g of i.SecurityGroups ?? []) ids.add(g.GroupId!);
          }
        }
        if (seen >= count * PER_ENTITY) break;
      }
    }
    const all = [...ids];
    for (let i = 0; i < all.length; i += 200) {
      await ec2.send(
        new DescribeSecurityGroupsCommand({ GroupIds: all.slice(i, i + 200) }),
      );
    }
    return seen;
  };
  const sdkAlonePerEntity = async (count: number) => {
    let seen = 0;
    pages = 0;
    const groups = new Set<string>();
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const e = next++;
        const input = describeFleetInstancesInput([
          { key: SELECTOR_TAG, value: `svc-${e}` },
        ]);
        pageSize = input.MaxResults;
        const ids = new Set<string>();
        for await (const page of paginateDescribeInstances(
          { client: ec2 },
          input,
        )) {
          pages += 1;
          for (const r of page.Reservations ?? []) {
            for (const i of r.Instances ?? []) {
              seen += 1;
              for (const g of i.SecurityGroups ?? []) {
                if (!groups.has(g.GroupId!)) ids.add(g.GroupId!);
              }
            }
          }
        }
        if (ids.size) {
          ids.forEach(id => groups.add(id));
          await ec2.send(
            new DescribeSecurityGroupsCommand({ GroupIds: [...ids] }),
          );
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return seen;
  };
  const sdkAlone = async (count: number) =>
    PATH === 'account' ? sdkAloneAccount(count) : sdkAlonePerEntity(count);
  // A warm-up, so that neither side pays for compiling the SDK's code.
  await sdkAlone(Math.min(ENTITIES, 200));

  const { knex, kind } = await openBenchDatabase();
  const entities = Array.from({ length: ENTITIES }, (_, e) => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: `svc-${e}`,
      namespace: 'default',
      annotations: { 'immutable-infra.io/image-family': `svc-${e}` },
    },
    spec: {},
  }));
  // The catalog's paged query, pages of what the sync asks for.
  const catalog = {
    queryEntities: async (request: { cursor?: string; limit?: number }) => {
      const offset = Number(request.cursor ?? 0);
      const limit = request.limit ?? 500;
      return {
        items: entities.slice(offset, offset + limit),
        totalItems: 0,
        pageInfo: {
          nextCursor:
            offset + limit < entities.length
              ? String(offset + limit)
              : undefined,
        },
      };
    },
    getEntityByRef: async () => undefined,
  } as any;
  const sync = new FleetSync({
    catalog,
    auth: { getOwnServiceCredentials: async () => ({}) } as any,
    fleet: DatabaseFleetStore.create({ knex }),
    snapshots: DatabaseEntitySnapshotStore.create({ knex }),
    providerFactory: () => {
      const provider = new Ec2FleetProvider(
        AwsClientFactory.fromConfig(
          new ConfigReader({
            aws: { mainAccount: { accessKeyId: 'x', secretAccessKey: 'x' } },
            immutableInfra: {
              aws: { endpoint, rateLimit: { share: RATE_SHARE } },
            },
          }),
        ),
      );
      // Without the account listing, the sync asks entity by entity.
      return PATH === 'account'
        ? provider
        : (Object.assign(Object.create(provider), {
            listAccountInstances: undefined,
          }) as FleetProvider);
    },
    logger: silentLogger,
    regions: ['us-east-1'],
    environmentTag: 'environment',
    concurrency: CONCURRENCY,
  });
  /** Wall time, and this process's CPU time (user and system). */
  const timed = async <T>(fn: () => Promise<T>) => {
    const t0 = Date.now();
    const cpu0 = process.cpuUsage();
    const result = await fn();
    const cpu = process.cpuUsage(cpu0);
    return {
      ms: Date.now() - t0,
      cpuMs: (cpu.user + cpu.system) / 1000,
      result,
    };
  };

  // Rounds, each the SDK alone then our sync into empty tables then the
  // next sync (nothing changed): side by side, so that what else the machine
  // does weighs on both alike.
  const rounds: {
    sdk: number;
    first: number;
    next: number;
    sdkCpu: number;
    firstCpu: number;
  }[] = [];
  let memory = { peakRss: 0, peakHeap: 0 };
  /** AWS requests of the last first sync, by action. */
  let calls = new Map<string, number>();
  for (let round = 0; round < ROUNDS; round++) {
    const sdk = await timed(() => sdkAlone(ENTITIES));
    if (sdk.result !== total)
      throw new Error(`SDK saw ${sdk.result} of ${total}`);

    for (const table of [
      'instances',
      'entity_sync_state',
      'entity_snapshots',
    ]) {
      await knex(table).delete();
    }
    const stop = memoryWatch();
    requests.clear();
    const first = await timed(() => sync.run());
    calls = new Map(requests);
    const m = stop();
    memory = {
      peakRss: Math.max(memory.peakRss, m.peakRss),
      peakHeap: Math.max(memory.peakHeap, m.peakHeap),
    };
    const failed = first.result.filter(r => r.status !== 'ok');
    if (failed.length)
      throw new Error(`${failed.length} entities failed: ${failed[0].error}`);
    const stored = await knex('instances').count({ n: '*' });
    if (Number(stored[0].n) !== total)
      throw new Error(`stored ${stored[0].n} of ${total}`);

    const next = await timed(() => sync.run());
    if (next.result.some(r => r.status !== 'ok'))
      throw new Error('the next sync failed');
    rounds.push({
      sdk: sdk.ms,
      first: first.ms,
      next: next.ms,
      sdkCpu: sdk.cpuMs,
      firstCpu: first.cpuMs,
    });
  }

  const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const rate = (ms: number) => `${Math.round(total / (ms / 1000))}/s`;
  console.log(
    `fleet: ${total} instances over ${ENTITIES} entities, path ${PATH}, ${pages} DescribeInstances pages of up to ${pageSize} for the SDK alone, ${CONCURRENCY} ${
      PATH === 'account' ? 'accounts and regions' : 'entities'
    } in flight (${kind}), ${ROUNDS} rounds, plugin limiter at ${RATE_SHARE} of EC2's buckets`,
  );
  console.log(
    `AWS requests of one sync: ${[...calls.values()].reduce(
      (a, b) => a + b,
      0,
    )} (${[...calls.entries()].map(([k, v]) => `${k} ${v}`).join(', ')})`,
  );
  for (const [index, r] of rounds.entries()) {
    console.log(
      `round ${index + 1}: SDK alone ${seconds(r.sdk)}, our sync ${seconds(
        r.first,
      )} (${(r.first / r.sdk).toFixed(2)}x), next sync ${seconds(r.next)} (${(
        r.next / r.sdk
      ).toFixed(2)}x); CPU of this process ${seconds(r.sdkCpu)} and ${seconds(
        r.firstCpu,
      )} (${(r.firstCpu / r.sdkCpu).toFixed(2)}x)`,
    );
  }
  const sdkMs = median(rounds.map(r => r.sdk));
  const firstMs = median(rounds.map(r => r.first));
  const nextMs = median(rounds.map(r => r.next));
  const target = kind === 'PostgreSQL' ? 1.5 : 2;
  console.log(
    `medians: SDK alone (fetch + parse) ${seconds(sdkMs)}, ${rate(sdkMs)}`,
  );
  console.log(
    `         our sync (fetch, parse, store) ${seconds(firstMs)}, ${rate(
      firstMs,
    )}; next sync, fleet unchanged ${seconds(nextMs)}, ${rate(nextMs)}`,
  );
  console.log(
    `ratio ours / SDK alone, median of rounds: ${median(
      rounds.map(r => r.first / r.sdk),
    ).toFixed(2)}x (target at most ${target}x); next sync ${median(
      rounds.map(r => r.next / r.sdk),
    ).toFixed(2)}x`,
  );
  console.log(
    `CPU time of this process, ours / SDK alone, median of rounds: ${median(
      rounds.map(r => r.firstCpu / r.sdkCpu),
    ).toFixed(2)}x (the database server's own is not counted)`,
  );
  console.log(
    `peak RSS ${(memory.peakRss / 2 ** 20).toFixed(0)} MiB, peak heap ${(
      memory.peakHeap /
      2 ** 20
    ).toFixed(0)} MiB during our sync`,
  );
  await knex.destroy();
  close();
}

/** The organisation of BENCH_PROFILE=scale. */
const SCALE = {
  services: Number(process.env.BENCH_ENTITIES ?? 5000),
  perService: Number(process.env.BENCH_INSTANCES_PER_ENTITY ?? 20),
  accounts: Array.from(
    { length: Number(process.env.BENCH_ACCOUNTS ?? 20) },
    (_, n) => String(100000000000 + n),
  ),
  regions: ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-southeast-1'].slice(
    0,
    Number(process.env.BENCH_REGIONS ?? 4),
  ),
};

/** Service N's account and Region: spread evenly over both. */
function placement(entity: number) {
  return {
    account: SCALE.accounts[entity % SCALE.accounts.length],
    region:
      SCALE.regions[
        Math.floor(entity / SCALE.accounts.length) % SCALE.regions.length
      ],
  };
}

const accessKeyOf = (account: string) => `AKIDBENCH${account}`;

async function scaleMain() {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 1);
  // BENCH_THROTTLE=<tokens>/<refill a second>: buckets smaller than EC2's,
  // as when the account's other tools have spent most of them.
  const [tokens, refill] = (process.env.BENCH_THROTTLE ?? '')
    .split('/')
    .map(Number);
  const bucket =
    tokens > 0 && refill > 0
      ? { capacity: tokens, refillPerSecond: refill }
      : undefined;
  const total = SCALE.services * SCALE.perService;
  const server = await startReplayServer({
    perEntity: SCALE.perService,
    entities: SCALE.services,
    placement,
    accounts: Object.fromEntries(
      SCALE.accounts.map(account => [accessKeyOf(account), account]),
    ),
    throttle: bucket ?? true,
  });
  const { endpoint, requests, throttled } = server;
  const sum = (m: Map<string, number>) =>
    [...m.values()].reduce((a, b) => a + b, 0);
  const byAction = (m: Map<string, number>) =>
    [...m.entries()].map(([k, v]) => `${k} ${v}`).join(', ');

  // The minimum: the SDK alone lists each account and Region once (pages of
  // 1,000) and reads the security groups it saw, 200 a request; nothing
  // kept. Its requests are what the sync cannot do with fewer.
  const sdkFloor = async () => {
    let seen = 0;
    const places = SCALE.accounts.flatMap(account =>
      SCALE.regions.map(region => ({ account, region })),
    );
    let next = 0;
    const worker = async () => {
      while (next < places.length) {
        const { account, region } = places[next++];
        const ec2 = new EC2Client({
          region,
          endpoint,
          credentials: {
            accessKeyId: accessKeyOf(account),
            secretAccessKey: 'x',
          },
          requestHandler: new NodeHttpHandler({ requestTimeout: 30_000 }),
          // Never failed by throttling: its throttled answers are not
          // counted in the minimum.
          maxAttempts: 20,
          retryMode: 'adaptive',
        });
        const ids = new Set<string>();
        for (const input of describeInventoryInputs([SELECTOR_TAG])) {
          for await (const page of paginateDescribeInstances(
            { client: ec2 },
            input,
          )) {
            for (const r of page.Reservations ?? []) {
              for (const i of r.Instances ?? []) {
                seen += 1;
                for (const g of i.SecurityGroups ?? []) ids.add(g.GroupId!);
              }
            }
          }
        }
        const all = [...ids];
        for (let i = 0; i < all.length; i += 200) {
          await ec2.send(
            new DescribeSecurityGroupsCommand({
              GroupIds: all.slice(i, i + 200),
            }),
          );
        }
        ec2.destroy();
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return seen;
  };
  requests.clear();
  throttled.clear();
  const floorStart = Date.now();
  const floorSeen = await sdkFloor();
  const floorMs = Date.now() - floorStart;
  if (floorSeen !== total) throw new Error(`SDK saw ${floorSeen} of ${total}`);
  const minimum = new Map(
    [...requests].map(([action, n]) => [
      action,
      n - (throttled.get(action) ?? 0),
    ]),
  );
  // The floor's tokens come back before the sync starts.
  await new Promise(resolve => setTimeout(resolve, 6_000));

  const { knex, kind } = await openBenchDatabase();
  const entities = Array.from({ length: SCALE.services }, (_, e) => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: `svc-${e}`,
      namespace: 'default',
      annotations: {
        'immutable-infra.io/image-family': `svc-${e}`,
        'immutable-infra.io/aws-account-id': placement(e).account,
        'immutable-infra.io/aws-regions': placement(e).region,
      },
    },
    spec: {},
  }));
  const catalog = {
    queryEntities: async (request: { cursor?: string; limit?: number }) => {
      const offset = Number(request.cursor ?? 0);
      const limit = request.limit ?? 500;
      return {
        items: entities.slice(offset, offset + limit),
        totalItems: 0,
        pageInfo: {
          nextCursor:
            offset + limit < entities.length
              ? String(offset + limit)
              : undefined,
        },
      };
    },
    getEntityByRef: async () => undefined,
  } as any;

  // Time spent in the database: every store call the sync makes, timed.
  let databaseMs = 0;
  const timedStore = <T extends object>(store: T): T =>
    new Proxy(store, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          const t0 = performance.now();
          try {
            return await value.apply(target, args);
          } finally {
            databaseMs += performance.now() - t0;
          }
        };
      },
    });
  const config = new ConfigReader({
    aws: {
      mainAccount: { accessKeyId: 'AKIDBENCHMAIN', secretAccessKey: 'x' },
      accounts: SCALE.accounts.map(accountId => ({
        accountId,
        accessKeyId: accessKeyOf(accountId),
        secretAccessKey: 'x',
      })),
    },
    immutableInfra: { aws: { endpoint, regions: SCALE.regions } },
  });
  // One factory for the process, as the plugin has: the limiter's buckets
  // outlive a sync.
  const clients = AwsClientFactory.fromConfig(config);
  const sync = new FleetSync({
    catalog,
    auth: { getOwnServiceCredentials: async () => ({}) } as any,
    fleet: timedStore(DatabaseFleetStore.create({ knex }) as FleetStore),
    snapshots: timedStore(DatabaseEntitySnapshotStore.create({ knex })),
    providerFactory: () => new Ec2FleetProvider(clients),
    logger: silentLogger,
    regions: SCALE.regions,
    environmentTag: 'environment',
    concurrency: CONCURRENCY,
  });
  // The default schedule's timeout (3 minutes) less the margin.
  const budgetMs = fleetSyncBudgetMs(
    Number(process.env.BENCH_TIMEOUT_MS ?? 3 * 60_000),
  );

  console.log(
    `organisation: ${total} instances of ${SCALE.services} services, ${
      SCALE.accounts.length
    } accounts × ${
      SCALE.regions.length
    } Regions, ${CONCURRENCY} accounts and Regions in flight, EC2 throttling modelled (${
      bucket ? bucket.capacity : 100
    } tokens, ${
      bucket ? bucket.refillPerSecond : 20
    } a second, per account, Region and action), plugin limiter at its default share (${kind}); time budget ${(
      budgetMs / 1000
    ).toFixed(0)} s`,
  );
  console.log(
    `minimum (SDK alone, each account and Region listed once): ${sum(
      minimum,
    )} requests (${byAction(minimum)}), ${(floorMs / 1000).toFixed(2)} s`,
  );
  for (let round = 0; round < rounds; round++) {
    for (const table of [
      'instances',
      'entity_sync_state',
      'entity_snapshots',
    ]) {
      await knex(table).delete();
    }
    for (const label of [
      'first sync (empty tables)',
      'next sync (unchanged)',
    ]) {
      requests.clear();
      throttled.clear();
      databaseMs = 0;
      const stop = memoryWatch();
      const t0 = Date.now();
      const cpu0 = process.cpuUsage();
      const run = await sync.runWithin(budgetMs);
      const ms = Date.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      const memory = stop();
      const failed = run.results.filter(r => r.status !== 'ok');
      const byThrottling = failed.filter(r =>
        /RequestLimitExceeded|Request limit exceeded|throttl|Rate exceeded/i.test(
          r.error ?? '',
        ),
      );
      const stored = Number((await knex('instances').count({ n: '*' }))[0].n);
      console.log(
        `round ${round + 1}, ${label}: ${(ms / 1000).toFixed(
          2,
        )} s wall, CPU of this process ${(
          (cpu.user + cpu.system) /
          1e6
        ).toFixed(2)} s; AWS requests ${sum(requests)} (${byAction(
          requests,
        )}) vs minimum ${sum(minimum)} (${(
          (sum(requests) / sum(minimum) - 1) *
          100
        ).toFixed(1)}% over); RequestLimitExceeded answered and retried ${sum(
          throttled,
        )}; entities ok ${run.results.length - failed.length}, failed ${
          failed.length
        } (by throttling ${byThrottling.length}), left for the next run ${
          run.deferred.length
        }; instances stored ${stored} of ${total}; database time ${(
          databaseMs / 1000
        ).toFixed(2)} s; peak RSS ${(memory.peakRss / 2 ** 20).toFixed(
          0,
        )} MiB, peak heap ${(memory.peakHeap / 2 ** 20).toFixed(0)} MiB`,
      );
      if (failed.length) {
        console.log(
          `first failure: ${failed[0].entityRef}: ${failed[0].error}`,
        );
      }
    }
  }
  await knex.destroy();
  server.close();
}

(process.env.BENCH_PROFILE === 'scale' ? scaleMain() : main()).catch(error => {
  console.error(error);
  process.exit(1);
});
