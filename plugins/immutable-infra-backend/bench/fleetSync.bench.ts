/*
 * Benchmark: fleet sync of a synthetic fleet (default 50,000 instances over
 * 2,000 entities), with the real SDK client reading EC2 responses that a
 * local HTTP server replays, the real provider and the real store. Prints
 * instances per second, peak memory, and the ratio of our total time to the
 * time the SDK alone takes to fetch and parse the same pages.
 *
 *   yarn workspace @immutable-infra/backstage-plugin-backend bench:sync
 *   BENCH_ENTITIES=2000 BENCH_INSTANCES_PER_ENTITY=25 BENCH_DATABASE_URL=postgresql://… yarn …
 */
import {
  DescribeSecurityGroupsCommand,
  EC2Client,
  paginateDescribeInstances,
} from '@aws-sdk/client-ec2';
import {
  LoggerService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { ConfigReader } from '@backstage/config';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import Knex from 'knex';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseFleetStore } from '../src/database/DatabaseFleetStore';
import { AwsClientFactory } from '../src/providers/aws/AwsClientFactory';
import { Ec2FleetProvider } from '../src/providers/aws/Ec2FleetProvider';
import { FleetSync } from '../src/service/FleetSync';

const ENTITIES = Number(process.env.BENCH_ENTITIES ?? 2000);
const PER_ENTITY = Number(process.env.BENCH_INSTANCES_PER_ENTITY ?? 25);
const PAGE = 10;
const XMLNS = 'http://ec2.amazonaws.com/doc/2016-11-15/';

const silent: LoggerService = {
  error() {},
  warn() {},
  info() {},
  debug() {},
  child: () => silent,
};

function instanceXml(entity: number, n: number): string {
  const id = `i-${(entity * 1000 + n).toString(16).padStart(17, '0')}`;
  return `<item><instanceId>${id}</instanceId><imageId>ami-${String(
    entity % 50,
  ).padStart(
    17,
    '0',
  )}</imageId><instanceState><code>16</code><name>running</name></instanceState><instanceType>t3.small</instanceType><launchTime>2026-11-20T10:00:00.000Z</launchTime>${
    n % 7 === 0 ? '<keyName>ops</keyName>' : ''
  }<groupSet><item><groupId>sg-${String(entity % 20).padStart(
    8,
    '0',
  )}</groupId><groupName>web</groupName></item></groupSet><tagSet><item><key>immutable-infra:service</key><value>svc-${entity}</value></item><item><key>environment</key><value>${
    n % 3 === 0 ? 'staging' : 'production'
  }</value></item><item><key>aws:autoscaling:groupName</key><value>svc-${entity}-asg</value></item></tagSet></item>`;
}

/** Replays DescribeInstances (paged) and DescribeSecurityGroups. */
function startReplayServer() {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', c => (body += c));
    req.on('end', () => {
      const params = new URLSearchParams(body);
      const action = params.get('Action');
      let xml: string;
      if (action === 'DescribeInstances') {
        let entity = -1;
        for (const [key, value] of params) {
          if (/^Filter\.\d+\.Value\.1$/.test(key) && value.startsWith('svc-')) {
            entity = Number(value.slice(4));
          }
        }
        const from = Number(params.get('NextToken') ?? 0);
        const count = entity >= 0 ? PER_ENTITY : 0;
        const items = [];
        for (let n = from; n < Math.min(count, from + PAGE); n++) {
          items.push(instanceXml(entity, n));
        }
        const next =
          from + PAGE < count ? `<nextToken>${from + PAGE}</nextToken>` : '';
        xml = `<DescribeInstancesResponse xmlns="${XMLNS}"><requestId>r</requestId><reservationSet><item><reservationId>r-1</reservationId><ownerId>123456789012</ownerId><instancesSet>${items.join(
          '',
        )}</instancesSet></item></reservationSet>${next}</DescribeInstancesResponse>`;
      } else if (action === 'DescribeSecurityGroups') {
        const ids = [...params.entries()]
          .filter(([k]) => k.startsWith('GroupId.'))
          .map(([, v]) => v);
        xml = `<DescribeSecurityGroupsResponse xmlns="${XMLNS}"><requestId>r</requestId><securityGroupInfo>${ids
          .map(
            id =>
              `<item><ownerId>123456789012</ownerId><groupId>${id}</groupId><groupName>${id}</groupName><groupDescription>d</groupDescription><ipPermissions><item><ipProtocol>tcp</ipProtocol><fromPort>${
                id.endsWith('7') ? 22 : 443
              }</fromPort><toPort>${
                id.endsWith('7') ? 22 : 443
              }</toPort><ipRanges><item><cidrIp>0.0.0.0/0</cidrIp></item></ipRanges></item></ipPermissions></item>`,
          )
          .join('')}</securityGroupInfo></DescribeSecurityGroupsResponse>`;
      } else {
        res.writeHead(400);
        res.end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/xml' });
      res.end(xml);
    });
  });
  return new Promise<{ endpoint: string; close: () => void }>(resolve => {
    server.listen(0, '127.0.0.1', () =>
      resolve({
        endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () => server.close(),
      }),
    );
  });
}

function memoryWatch() {
  let peakRss = 0;
  let peakHeap = 0;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 20);
  return () => {
    clearInterval(timer);
    return { peakRss, peakHeap };
  };
}

async function main() {
  const { endpoint, close } = await startReplayServer();
  const total = ENTITIES * PER_ENTITY;

  // 1. The SDK alone: the same pages fetched and parsed, nothing kept.
  const ec2 = new EC2Client({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    requestHandler: new NodeHttpHandler({ requestTimeout: 30_000 }),
  });
  let t0 = Date.now();
  let seen = 0;
  const groups = new Set<string>();
  for (let e = 0; e < ENTITIES; e++) {
    const ids = new Set<string>();
    for await (const page of paginateDescribeInstances(
      { client: ec2 },
      {
        Filters: [
          { Name: 'tag:immutable-infra:service', Values: [`svc-${e}`] },
        ],
      },
    )) {
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
      await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [...ids] }));
      ids.forEach(id => groups.add(id));
    }
  }
  const sdkMs = Date.now() - t0;
  if (seen !== total) throw new Error(`SDK saw ${seen} of ${total}`);

  // 2. Our sync: provider, drift-ready records, store writes per entity.
  const url = process.env.BENCH_DATABASE_URL;
  const knex = url
    ? Knex({ client: 'pg', connection: url })
    : Knex({
        client: 'better-sqlite3',
        connection: join(mkdtempSync(join(tmpdir(), 'bench-')), 'sync.sqlite'),
        useNullAsDefault: true,
      });
  const directory = resolvePackagePath(
    '@immutable-infra/backstage-plugin-backend',
    'migrations',
  );
  await knex.migrate.rollback({ directory }, true);
  await knex.migrate.latest({ directory });
  const fleet = DatabaseFleetStore.create({ knex });
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
  const catalog = {
    getEntities: async () => ({ items: entities }),
    getEntityByRef: async () => undefined,
  } as any;
  const sync = new FleetSync({
    catalog,
    auth: { getOwnServiceCredentials: async () => ({}) } as any,
    fleet,
    providerFactory: () =>
      new Ec2FleetProvider(
        AwsClientFactory.fromConfig(
          new ConfigReader({
            aws: { mainAccount: { accessKeyId: 'x', secretAccessKey: 'x' } },
            immutableInfra: { aws: { endpoint } },
          }),
        ),
      ),
    logger: silent,
    regions: ['us-east-1'],
    environmentTag: 'environment',
  });
  const stop = memoryWatch();
  t0 = Date.now();
  const results = await sync.run();
  const oursMs = Date.now() - t0;
  const memory = stop();
  const failed = results.filter(r => r.status !== 'ok');
  if (failed.length)
    throw new Error(`${failed.length} entities failed: ${failed[0].error}`);
  const stored = await knex('instances').count({ n: '*' });
  if (Number(stored[0].n) !== total)
    throw new Error(`stored ${stored[0].n} of ${total}`);

  console.log(
    `fleet: ${total} instances over ${ENTITIES} entities, ${PAGE} per page (${
      url ? 'PostgreSQL' : 'SQLite'
    })`,
  );
  console.log(
    `SDK alone (fetch + parse):      ${(sdkMs / 1000).toFixed(
      2,
    )} s, ${Math.round(total / (sdkMs / 1000))} instances/s`,
  );
  console.log(
    `our sync (fetch, parse, store): ${(oursMs / 1000).toFixed(
      2,
    )} s, ${Math.round(total / (oursMs / 1000))} instances/s`,
  );
  console.log(
    `ratio ours / SDK alone: ${(oursMs / sdkMs).toFixed(
      2,
    )}x (target at most 2x)`,
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

main().catch(error => {
  console.error(error);
  process.exit(1);
});
