/*
 * Benchmark: drift events, from the queue to the drift API.
 *
 * On a moto server of its own: BENCH_ENTITIES entities (default 10), each
 * with one instance in a security group of its own (port 443), synced once.
 * Each round opens port 22 to 0.0.0.0/0 on every group (EC2's
 * AuthorizeSecurityGroupIngress), then puts one event per group on the SQS
 * queue as EventBridge delivers it (the whole event as the body, one
 * SendMessageBatch of up to 10) and reads each entity's
 * `GET /entities/component/default/<name>/drift` through the plugin's real
 * router, every few milliseconds, until it shows `ssh-open`. The time of an
 * event is from just before its SendMessageBatch to the first answer that
 * shows the finding. The consumer is the plugin's own
 * (createDriftEventConsumer: SqsDriftEventQueue, Ec2DriftEventLookup,
 * FleetSync.run(entityRef)) with the settings it reads from config
 * (long polls of 20 s), running all along. Between rounds, outside the
 * timing, port 22 is closed again and the entities resynced, so the next
 * round's finding is new. Printed next to the figures: the fleet sync's
 * period from the same config, the bound without events.
 *
 *   yarn workspace @immutable-infra/backstage-plugin-backend bench:events
 *   BENCH_EVENTS=1000 BENCH_ENTITIES=10 BENCH_DATABASE_URL=postgresql://… yarn …
 */
import {
  AuthorizeSecurityGroupIngressCommand,
  IpPermission,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateQueueCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockErrorHandler, mockServices } from '@backstage/backend-test-utils';
import { LoggerService } from '@backstage/backend-plugin-api';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { HumanDuration } from '@backstage/types';
import express from 'express';
import { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { openBenchDatabase, percentiles, silentLogger } from './benchDatabase';
import { authorizeIngress } from '../src/__testUtils__/driftEventSamples';
import { Ec2Fixtures, emulatorClients } from '../src/__testUtils__/ec2Fixtures';
import { emulatorConfig, startMoto } from '../src/__testUtils__/moto';
import { readSettings } from '../src/config/settings';
import { createDriftEventConsumer } from '../src/events/createDriftEventConsumer';
import { readDriftEventSettings } from '../src/events/driftEventSettings';
import { createRouter } from '../src/http/router';
import { AwsClientFactory } from '../src/providers/aws/AwsClientFactory';
import { Ec2DriftEventLookup } from '../src/providers/aws/Ec2DriftEventLookup';
import { Ec2FleetProvider } from '../src/providers/aws/Ec2FleetProvider';
import { SqsDriftEventQueue } from '../src/providers/aws/SqsDriftEventQueue';
import { createServices } from '../src/services';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000);
/** Events a round: one SendMessageBatch carries at most 10. */
const ENTITIES = Math.min(10, Number(process.env.BENCH_ENTITIES ?? 10));
/** How long the bench waits for one round's findings before it fails. */
const ROUND_TIMEOUT_MS = Number(process.env.BENCH_ROUND_TIMEOUT_MS ?? 120_000);
const POLL_MS = 10;
const region = 'us-east-1';

const SSH: IpPermission[] = [
  {
    IpProtocol: 'tcp',
    FromPort: 22,
    ToPort: 22,
    IpRanges: [{ CidrIp: '0.0.0.0/0' }],
  },
];

function formatDuration(duration: HumanDuration | string | object): string {
  if (typeof duration === 'string') {
    return duration;
  }
  return Object.entries(duration)
    .map(([unit, n]) => `${n} ${unit}`)
    .join(' ');
}

const load = () =>
  loadavg()
    .map(n => n.toFixed(2))
    .join(' ');

/** The consumer's warnings and errors, on stderr: a failing event shows. */
const warnings: LoggerService = {
  ...silentLogger,
  warn: message => console.error(`warn: ${message}`),
  error: message => console.error(`error: ${message}`),
  child: () => warnings,
};

async function main() {
  const loadBefore = load();
  const moto = await startMoto();
  const { knex, kind } = await openBenchDatabase();
  const abort = new AbortController();
  let consumerRun: Promise<void> | undefined;
  let server: ReturnType<express.Express['listen']> | undefined;
  try {
    const { ec2, autoscaling } = emulatorClients(moto.endpoint, region);
    const fixtures = new Ec2Fixtures(ec2, autoscaling);
    const sqs = new SQSClient({
      region,
      endpoint: moto.endpoint,
      maxAttempts: 1,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    const { QueueUrl: queueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: 'drift-events' }),
    );
    // The plugin's config on the emulator, with the events queue: every
    // setting the plugin's defaults.
    const base = emulatorConfig(moto.endpoint);
    const config = new ConfigReader({
      ...base,
      immutableInfra: {
        ...base.immutableInfra,
        // The account is read from the queue URL, as moto spells it.
        events: { queueUrl, region },
      },
    });
    const settings = readSettings(config);
    const eventSettings = readDriftEventSettings(config)!;
    const clients = AwsClientFactory.fromConfig(config);

    const ami = await fixtures.image();
    const names = Array.from({ length: ENTITIES }, (_, i) => `svc${i}`);
    const groups: string[] = [];
    for (const name of names) {
      const group = await fixtures.securityGroup({
        name,
        port: 443,
        cidr: '0.0.0.0/0',
      });
      groups.push(group);
      await fixtures.instances(ami, {
        tags: { 'immutable-infra:service': name, environment: 'production' },
        securityGroupIds: [group],
      });
    }
    const catalog = catalogServiceMock({
      entities: names.map(name => ({
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: {
          name,
          namespace: 'default',
          annotations: { 'immutable-infra.io/image-family': name },
        },
        spec: { type: 'service', owner: 'group:default/team' },
      })),
    });
    const services = createServices({
      knex,
      settings,
      logger: silentLogger,
      permissions: mockServices.permissions({ result: AuthorizeResult.ALLOW }),
      catalog,
      auth: mockServices.auth(),
      imageProvider: undefined as never,
      fleetProviderFactory: () => new Ec2FleetProvider(clients),
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
    server = express().use(router).use(mockErrorHandler()).listen(0);
    await new Promise(resolve => server!.once('listening', resolve));
    const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    /** Whether the entity's drift page shows SSH open. */
    const sshOpen = async (name: string): Promise<boolean> => {
      const response = await fetch(
        `${api}/entities/component/default/${name}/drift`,
      );
      const body = await response.json();
      if (!response.ok) {
        throw new Error(
          `drift of ${name}: ${response.status} ${JSON.stringify(body)}`,
        );
      }
      return body.groups.some((g: { rule: string }) => g.rule === 'ssh-open');
    };

    // Enrolled: each entity's image family registered to it.
    await knex('image_families').insert(
      names.map(name => ({
        name,
        entity_ref: `component:default/${name}`,
        last_version: 0,
      })),
    );

    // The periodic sync has run once: nothing open yet.
    const initial = await services.fleetSync.run();
    if (initial.some(r => r.status !== 'ok')) {
      throw new Error(`first sync: ${JSON.stringify(initial)}`);
    }
    for (const name of names) {
      if (await sshOpen(name)) {
        throw new Error(`${name} shows ssh-open before any event`);
      }
    }

    const consumer = createDriftEventConsumer({
      settings: { ...eventSettings, runForMs: 24 * 3_600_000 },
      knex,
      snapshots: services.snapshots,
      fleetSync: services.fleetSync,
      queue: new SqsDriftEventQueue(clients),
      lookup: new Ec2DriftEventLookup(clients),
      logger: warnings,
    });
    consumerRun = consumer.run(abort.signal);

    const times: number[] = [];
    const started = Date.now();
    let round = 0;
    while (times.length < EVENTS) {
      round += 1;
      const count = Math.min(ENTITIES, EVENTS - times.length);
      for (const group of groups.slice(0, count)) {
        await ec2.send(
          new AuthorizeSecurityGroupIngressCommand({
            GroupId: group,
            IpPermissions: SSH,
          }),
        );
      }
      const sent = performance.now();
      const prefix = `r${round}`;
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: groups.slice(0, count).map((groupId, i) => ({
            Id: String(i),
            MessageBody: JSON.stringify(
              authorizeIngress({ id: `${prefix}-e${i}`, groupId }),
            ),
          })),
        }),
      );
      const pending = new Set(names.slice(0, count));
      while (pending.size > 0) {
        for (const name of [...pending]) {
          if (await sshOpen(name)) {
            times.push(performance.now() - sent);
            pending.delete(name);
          }
        }
        if (performance.now() - sent > ROUND_TIMEOUT_MS) {
          throw new Error(
            `round ${round}: no ssh-open after ${ROUND_TIMEOUT_MS} ms for ${[
              ...pending,
            ].join(', ')}`,
          );
        }
        if (pending.size > 0) {
          await new Promise(resolve => setTimeout(resolve, POLL_MS));
        }
      }

      // Closed again, outside the timing: the next round's finding is new.
      for (const [i, group] of groups.slice(0, count).entries()) {
        await ec2.send(
          new RevokeSecurityGroupIngressCommand({
            GroupId: group,
            IpPermissions: SSH,
          }),
        );
        await services.fleetSync.run(`component:default/${names[i]}`);
        if (await sshOpen(names[i])) {
          throw new Error(`${names[i]} still shows ssh-open after the revoke`);
        }
      }
      if (round % 10 === 0) {
        const { p50, p99 } = percentiles(times);
        console.log(
          `${times.length} events, p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(
            0,
          )} ms so far (${((Date.now() - started) / 1000).toFixed(
            0,
          )} s, load ${load()})`,
        );
      }
    }

    const { p50, p99 } = percentiles(times);
    const counters = consumer.counters.snapshot();
    console.log(
      `\nDrift events from the queue to the drift API (${kind}, moto, ${ENTITIES} events a batch):`,
    );
    console.log(`  events measured  ${times.length} (asked ${EVENTS})`);
    console.log(`  p50              ${(p50 / 1000).toFixed(2)} s`);
    console.log(`  p99              ${(p99 / 1000).toFixed(2)} s`);
    console.log(
      `  max              ${(Math.max(...times) / 1000).toFixed(2)} s`,
    );
    console.log(
      `  polling period   ${formatDuration(
        settings.schedule.frequency,
      )} (the fleet sync's schedule: the bound without events)`,
    );
    console.log(
      `  consumer         received ${counters.received}, resynced ${counters.resynced}, failed ${counters.failed}, duplicate ${counters.duplicate}`,
    );
    console.log(
      `  wall time        ${((Date.now() - started) / 1000).toFixed(
        0,
      )} s (with the resets between rounds)`,
    );
    console.log(`  load average     ${loadBefore} before, ${load()} after`);
  } finally {
    abort.abort();
    await consumerRun?.catch(() => {});
    server?.close();
    await knex.destroy();
    await moto.stop();
  }
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
