import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  AuthorizeSecurityGroupIngressCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { Knex } from 'knex';
import { createTestDatabases } from '../__testUtils__/databases';
import {
  authorizeIngress,
  stateChange,
} from '../__testUtils__/driftEventSamples';
import { Ec2Fixtures, emulatorClients } from '../__testUtils__/ec2Fixtures';
import { migrateForTests } from '../__testUtils__/migrate';
import { emulatorConfig, MotoServer, startMoto } from '../__testUtils__/moto';
import { DatabaseEntitySnapshotStore } from '../catalog/EntitySnapshotStore';
import { DatabaseFleetStore } from '../fleet/DatabaseFleetStore';
import { DatabaseFleetResourceIndex } from '../fleet/FleetResourceIndex';
import { FleetSync } from '../fleet/FleetSync';
import { AwsClientFactory } from '../providers/aws/AwsClientFactory';
import { Ec2DriftEventLookup } from '../providers/aws/Ec2DriftEventLookup';
import { Ec2FleetProvider } from '../providers/aws/Ec2FleetProvider';
import { SqsDriftEventQueue } from '../providers/aws/SqsDriftEventQueue';
import { DriftEventQueue, QueueMessage } from '../providers/DriftEventProvider';
import { DriftEventConsumer } from './DriftEventConsumer';
import {
  DriftEventQueueSettings,
  DriftEventSettings,
} from './driftEventSettings';
import { DriftEventTargets } from './DriftEventTargets';

jest.setTimeout(240_000);

const databases = createTestDatabases();
const region = 'us-east-1';
const ACCOUNT = '123456789012';
const WEB = 'component:default/web';
const LEDGER = 'component:default/ledger';

function component(name: string, annotations: Record<string, string>) {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, namespace: 'default', annotations },
    spec: { type: 'service', owner: 'group:default/team' },
  };
}

const entities = [
  component('web', { 'immutable-infra.io/image-family': 'web' }),
  component('ledger', {
    'immutable-infra.io/image-family': 'ledger',
    'immutable-infra.io/fleet-selector': 'app=ledger',
  }),
];

describe('DriftEventConsumer with the emulator’s SQS and EventBridge', () => {
  let moto: MotoServer;
  let knex: Knex;
  let fixtures: Ec2Fixtures;
  let sqs: SQSClient;
  let fleet: DatabaseFleetStore;
  let fleetSync: FleetSync;
  let clients: AwsClientFactory;
  let ami: string;
  let webGroup: string;
  let webInstances: string[];
  let queueCount = 0;

  beforeAll(async () => {
    moto = await startMoto();
    knex = await databases.init('SQLITE_3');
    await migrateForTests(knex);
    const aws = emulatorClients(moto.endpoint, region);
    fixtures = new Ec2Fixtures(aws.ec2, aws.autoscaling);
    const config = {
      region,
      endpoint: moto.endpoint,
      maxAttempts: 1,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    };
    sqs = new SQSClient(config);
    clients = AwsClientFactory.fromConfig(
      new ConfigReader(emulatorConfig(moto.endpoint)),
    );
    fleet = DatabaseFleetStore.create({ knex });
    fleetSync = new FleetSync({
      catalog: catalogServiceMock({ entities: entities as any }),
      auth: mockServices.auth(),
      fleet,
      snapshots: DatabaseEntitySnapshotStore.create({ knex }),
      providerFactory: () => new Ec2FleetProvider(clients),
      logger: mockServices.logger.mock(),
      regions: [region],
      environmentTag: 'environment',
    });

    ami = await fixtures.image();
    webGroup = await fixtures.securityGroup({
      name: 'web',
      port: 443,
      cidr: '0.0.0.0/0',
    });
    webInstances = await fixtures.instances(ami, {
      count: 3,
      tags: { 'immutable-infra:service': 'web', environment: 'production' },
      securityGroupIds: [webGroup],
    });
    await fixtures.instances(ami, {
      tags: { app: 'ledger', environment: 'production' },
    });
    // The periodic sync has run once.
    await fleetSync.run();
  });

  afterAll(async () => {
    await moto?.stop();
  });

  /** A queue of its own, with a dead-letter queue after two receives. */
  async function queue(options: { visibilityTimeout?: number } = {}) {
    queueCount += 1;
    const dlq = await sqs.send(
      new CreateQueueCommand({ QueueName: `drift-events-dlq-${queueCount}` }),
    );
    const dlqArn = `arn:aws:sqs:${region}:${ACCOUNT}:drift-events-dlq-${queueCount}`;
    const name = `drift-events-${queueCount}`;
    const created = await sqs.send(
      new CreateQueueCommand({
        QueueName: name,
        Attributes: {
          VisibilityTimeout: String(options.visibilityTimeout ?? 30),
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: dlqArn,
            maxReceiveCount: 2,
          }),
        },
      }),
    );
    return {
      queueUrl: created.QueueUrl!,
      dlqUrl: dlq.QueueUrl!,
      region,
      eventAccount: ACCOUNT,
      eventRegion: region,
    };
  }

  function consumer(
    q: DriftEventQueueSettings,
    options: {
      syncEntity?: (ref: string) => Promise<boolean>;
      maxEventBytes?: number;
      queue?: DriftEventQueue;
      runForMs?: number;
    } = {},
  ) {
    const synced: string[] = [];
    const settings: DriftEventSettings = {
      queues: [q],
      runForMs: options.runForMs ?? 3_000,
      waitSeconds: 1,
      maxEventBytes: options.maxEventBytes ?? 256 * 1024,
      dedupeWindowMs: 15 * 60_000,
    };
    const logger = mockServices.logger.mock();
    const instance = new DriftEventConsumer({
      queue: options.queue ?? new SqsDriftEventQueue(clients),
      targets: new DriftEventTargets({
        index: DatabaseFleetResourceIndex.create({ knex }),
        snapshots: DatabaseEntitySnapshotStore.create({ knex }),
        lookup: new Ec2DriftEventLookup(clients),
      }),
      syncEntity:
        options.syncEntity ??
        (async ref => {
          synced.push(ref);
          const results = await fleetSync.run(ref);
          return results.every(r => r.status === 'ok');
        }),
      settings,
      logger,
    });
    return { consumer: instance, synced, logger };
  }

  /**
   * Puts events on the queue as EventBridge delivers them: the whole event
   * as the message body
   * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-targets.html).
   * Not through the emulator's PutEvents: moto 5.2's rule delivers the
   * event to SQS without its `account`, which AWS always sends.
   */
  async function putEvents(queueUrl: string, list: object[]) {
    await sendBodies(
      queueUrl,
      list.map(e => JSON.stringify(e)),
    );
  }

  /** Puts message bodies straight on the queue, ten a call. */
  async function sendBodies(queueUrl: string, bodies: string[]) {
    for (let i = 0; i < bodies.length; i += 10) {
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: bodies.slice(i, i + 10).map((body, index) => ({
            Id: String(index),
            MessageBody: body,
          })),
        }),
      );
    }
  }

  async function waiting(queueUrl: string) {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
        ],
      }),
    );
    return (
      Number(Attributes?.ApproximateNumberOfMessages) +
      Number(Attributes?.ApproximateNumberOfMessagesNotVisible)
    );
  }

  /** Receives until the queue has nothing left to give. */
  async function drain(
    c: DriftEventConsumer,
    q: Awaited<ReturnType<typeof queue>>,
    waitSeconds = 1,
  ) {
    while ((await c.receiveOnce(q, { waitSeconds })) > 0) {
      // next batch
    }
  }

  it('resyncs only the entity of an instance whose state changed: a terminated instance leaves its inventory', async () => {
    const q = await queue();
    const { consumer: c, synced } = consumer(q);
    const [gone] = webInstances;
    await fixtures.ec2.send(
      new TerminateInstancesCommand({ InstanceIds: [gone] }),
    );
    await putEvents(q.queueUrl, [
      stateChange({
        id: 'ignored-by-bus',
        instanceId: gone,
        state: 'terminated',
      }),
    ]);

    await drain(c, q);

    expect(synced).toEqual([WEB]);
    const inventory = await fleet.getInventory(WEB);
    expect(inventory.instances.map(i => i.instanceId)).not.toContain(gone);
    expect(c.counters.snapshot()).toMatchObject({ received: 1, resynced: 1 });
    expect(await waiting(q.queueUrl)).toBe(0);
  });

  it("resyncs the entities of a security group's instances when it is opened: port 22 shows at once", async () => {
    const q = await queue();
    const { consumer: c, synced } = consumer(q);
    expect(
      (await fleet.getInventory(WEB)).instances.every(
        i => i.sshExposure === 'none',
      ),
    ).toBe(true);
    await fixtures.ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: webGroup,
        IpPermissions: [
          {
            IpProtocol: 'tcp',
            FromPort: 22,
            ToPort: 22,
            IpRanges: [{ CidrIp: '0.0.0.0/0' }],
          },
        ],
      }),
    );
    await putEvents(q.queueUrl, [
      authorizeIngress({ id: 'x', groupId: webGroup }),
    ]);

    await drain(c, q);

    // The ledger, on another group, is not synced.
    expect(synced).toEqual([WEB]);
    const running = (await fleet.getInventory(WEB)).instances.filter(
      i => i.state === 'running',
    );
    expect(running.length).toBeGreaterThan(0);
    expect(running.every(i => i.sshExposure === 'world')).toBe(true);
    expect(c.counters.snapshot()).toMatchObject({ resynced: 1 });
  });

  it('finds the entity of an instance launched since the last sync by its tags', async () => {
    const q = await queue();
    const { consumer: c, synced } = consumer(q);
    const [fresh] = await fixtures.instances(ami, {
      tags: { app: 'ledger', environment: 'staging' },
    });
    await putEvents(q.queueUrl, [
      stateChange({ id: 'n', instanceId: fresh, state: 'running' }),
    ]);

    await drain(c, q);

    expect(synced).toEqual([LEDGER]);
    expect(
      (await fleet.getInventory(LEDGER)).instances.map(i => i.instanceId),
    ).toContain(fresh);
  });

  it('counts and drops hostile events without a resync, and acts once on 1,000 copies of one event', async () => {
    const q = await queue();
    const {
      consumer: c,
      synced,
      logger,
    } = consumer(q, {
      maxEventBytes: 8 * 1024,
    });
    const live = webInstances[1];
    const before = await fleet.getInventory(WEB);
    const hostile = [
      // Oversize: a valid event padded past the limit.
      JSON.stringify({
        ...stateChange({ id: 'big', instanceId: live, state: 'running' }),
        padding: 'x'.repeat(10 * 1024),
      }),
      // Another account's event on this account's queue.
      JSON.stringify(
        stateChange({
          id: 'foreign',
          instanceId: live,
          state: 'running',
          account: '999999999999',
        }),
      ),
      // Another region's.
      JSON.stringify(
        stateChange({
          id: 'elsewhere',
          instanceId: live,
          state: 'running',
          region: 'eu-west-1',
        }),
      ),
      JSON.stringify({
        ...stateChange({ id: 'unknown', instanceId: live, state: 'running' }),
        'detail-type': 'EC2 Spot Instance Interruption Warning',
      }),
      '{"version":"0","id":',
      'not even json',
    ];
    await sendBodies(q.queueUrl, hostile);
    await drain(c, q);
    expect(synced).toEqual([]);
    expect(c.counters.snapshot()).toMatchObject({
      received: 6,
      oversize: 1,
      foreign: 2,
      unknown: 1,
      malformed: 2,
      resynced: 0,
    });
    expect(await fleet.getInventory(WEB)).toEqual(before);

    const copy = JSON.stringify(
      stateChange({ id: 'flood', instanceId: live, state: 'running' }),
    );
    // A hundred at a time, read as they come. The emulator answers about 15
    // SQS calls a second: the flood of 10,000 is the next test's, on a queue
    // in memory.
    for (let i = 0; i < 10; i++) {
      await sendBodies(
        q.queueUrl,
        Array.from({ length: 100 }, () => copy),
      );
      await drain(c, q, 0);
    }
    expect(synced).toEqual([WEB]);
    expect(c.counters.snapshot()).toMatchObject({
      received: 1_006,
      resynced: 1,
      duplicate: 999,
    });
    expect(await waiting(q.queueUrl)).toBe(0);
    // Logged at a bounded rate: a handful of lines, not one per event.
    expect(logger.warn.mock.calls.length).toBeLessThan(30);
  });

  it('acts once on a flood of 10,000 copies of one event, and logs a few lines', async () => {
    // A queue in memory that hands out and deletes as SQS does.
    const waitingMessages: QueueMessage[] = [];
    const memory: DriftEventQueue = {
      async receive(_q, { maxMessages }) {
        return waitingMessages.splice(0, maxMessages);
      },
      async delete() {
        return [];
      },
    };
    const q = {
      queueUrl: 'memory',
      region,
      eventAccount: ACCOUNT,
      eventRegion: region,
    };
    const { consumer: c, synced, logger } = consumer(q, { queue: memory });
    const copy = JSON.stringify(
      stateChange({
        id: 'flood',
        instanceId: webInstances[1],
        state: 'running',
      }),
    );
    for (let i = 0; i < 10_000; i++) {
      waitingMessages.push({
        messageId: `m${i}`,
        receiptHandle: `r${i}`,
        body: copy,
      });
    }
    while ((await c.receiveOnce(q, { waitSeconds: 0 })) > 0) {
      // next batch
    }
    expect(synced).toEqual([WEB]);
    expect(c.counters.snapshot()).toMatchObject({
      received: 10_000,
      resynced: 1,
      duplicate: 9_999,
    });
    expect(logger.warn.mock.calls.length).toBeLessThan(10);
  });

  it('leaves a message whose resync fails for SQS to deliver again, then to dead-letter', async () => {
    const q = await queue({ visibilityTimeout: 1 });
    let attempts = 0;
    const { consumer: c } = consumer(q, {
      syncEntity: async () => {
        attempts += 1;
        return false;
      },
    });
    await putEvents(q.queueUrl, [
      stateChange({ id: 'p', instanceId: webInstances[1], state: 'stopped' }),
    ]);

    await c.receiveOnce(q, { waitSeconds: 2 });
    expect(attempts).toBe(1);
    expect(await waiting(q.queueUrl)).toBe(1);
    await new Promise(resolve => setTimeout(resolve, 1_500));
    await c.receiveOnce(q, { waitSeconds: 2 });
    expect(attempts).toBe(2);
    // Received twice (the redrive policy's maxReceiveCount): the next
    // receive moves it to the dead-letter queue.
    await new Promise(resolve => setTimeout(resolve, 1_500));
    await c.receiveOnce(q, { waitSeconds: 1 });
    expect(attempts).toBe(2);
    expect(await waiting(q.dlqUrl)).toBe(1);
    expect(c.counters.snapshot()).toMatchObject({ failed: 2, resynced: 0 });
  });

  it('two consumers on one queue act on each event once', async () => {
    const q = await queue();
    const make = () =>
      consumer(q, {
        runForMs: 120_000,
        syncEntity: async () => true,
      });
    const first = make();
    const second = make();
    await putEvents(
      q.queueUrl,
      Array.from({ length: 60 }, (_, i) =>
        stateChange({
          id: `e${i}`,
          instanceId: webInstances[1 + (i % 2)],
          state: 'running',
        }),
      ),
    );
    // The events each consumer acted on, from its own log lines.
    const actedOn = (logger: typeof first.logger) =>
      logger.debug.mock.calls
        .map(([line]) => /^Drift event (\S+) /.exec(String(line))?.[1])
        .filter((id): id is string => id !== undefined);
    const acted = () => [...actedOn(first.logger), ...actedOn(second.logger)];

    // Both consume until every event was acted on and the queue is empty
    // (on a busy machine that takes longer than a run of the task).
    const stop = new AbortController();
    const runs = Promise.all([
      first.consumer.run(stop.signal),
      second.consumer.run(stop.signal),
    ]);
    const deadline = Date.now() + 100_000;
    while (
      Date.now() < deadline &&
      !(new Set(acted()).size === 60 && (await waiting(q.queueUrl)) === 0)
    ) {
      await new Promise(resolve => setTimeout(resolve, 250));
    }
    stop.abort();
    await runs;

    const a = first.consumer.counters.snapshot();
    const b = second.consumer.counters.snapshot();
    // EventBridge gave each event its own id: every one acted on.
    expect(new Set(acted())).toEqual(
      new Set(Array.from({ length: 60 }, (_, i) => `e${i}`)),
    );
    expect(a.resynced + b.resynced).toBe(acted().length);
    // Each delivery acted on, or dropped as a copy its consumer had acted
    // on. Once each, but for a message the queue itself delivered twice: a
    // standard queue delivers at least once ("you might get that message
    // copy again", https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/standard-queues-at-least-once-delivery.html),
    // and the emulator's concurrent receives can hand one message to both.
    // A copy costs one idempotent resync, never a lost event.
    expect(a.received + b.received).toBe(
      acted().length + a.duplicate + b.duplicate,
    );
    expect(await waiting(q.queueUrl)).toBe(0);
  });
});
