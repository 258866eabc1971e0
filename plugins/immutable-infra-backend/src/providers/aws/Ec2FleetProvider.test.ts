import {
  createServer,
  IncomingMessage,
  Server,
  ServerResponse,
} from 'node:http';
import { AddressInfo } from 'node:net';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { ConfigReader } from '@backstage/config';
import { parseImmutableInfraAnnotations } from '@immutable-infra/backstage-plugin-common';
import { Ec2Fixtures, emulatorClients } from '../../__testUtils__/ec2Fixtures';
import {
  emulatorConfig,
  MotoServer,
  startMoto,
} from '../../__testUtils__/moto';
import { readInstanceFacts } from '../../fleet/instanceFacts';
import { FleetInstance } from '../FleetProvider';
import { AwsClientFactory } from './AwsClientFactory';
import { Ec2FleetProvider, instanceIdsInStreamName } from './Ec2FleetProvider';

jest.setTimeout(60_000);

const region = 'us-east-1';
const HOUR = 3_600_000;

function providerAt(endpoint: string) {
  return new Ec2FleetProvider(
    AwsClientFactory.fromConfig(new ConfigReader(emulatorConfig(endpoint))),
  );
}

describe('Ec2FleetProvider against the emulator', () => {
  let moto: MotoServer;
  let fixtures: Ec2Fixtures;
  let logs: CloudWatchLogsClient;

  beforeAll(async () => {
    moto = await startMoto();
    const { ec2, autoscaling } = emulatorClients(moto.endpoint, region);
    fixtures = new Ec2Fixtures(ec2, autoscaling);
    logs = new CloudWatchLogsClient({
      region,
      endpoint: moto.endpoint,
      maxAttempts: 1,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
  });

  afterAll(async () => {
    await moto?.stop();
  });

  it('reads whether each instance allows instance metadata v1', async () => {
    const image = await fixtures.image();
    const [v2] = await fixtures.instances(image, {
      tags: { service: 'imds' },
    });
    const [v1] = await fixtures.instances(image, {
      tags: { service: 'imds' },
      metadataHttpTokens: 'optional',
    });
    const found = await providerAt(moto.endpoint).listInstances({
      region,
      selector: [{ key: 'service', value: 'imds' }],
    });
    expect(
      Object.fromEntries(found.map(i => [i.instanceId, i.metadataHttpTokens])),
    ).toEqual({ [v2]: 'required', [v1]: 'optional' });
  });

  it("reads each instance's newest log event in its group, newest streams first, past a page", async () => {
    const image = await fixtures.image();
    const ids = await fixtures.instances(image, {
      count: 3,
      tags: { service: 'logged' },
    });
    const [shipping, stale, silent] = ids;
    const group = '/aws/ec2/logged';
    await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
    const now = Date.now();
    const put = async (stream: string, timestamp: number) => {
      await logs.send(
        new CreateLogStreamCommand({
          logGroupName: group,
          logStreamName: stream,
        }),
      );
      await logs.send(
        new PutLogEventsCommand({
          logGroupName: group,
          logStreamName: stream,
          logEvents: [{ timestamp, message: 'started' }],
        }),
      );
    };
    // The agent's default stream name is the instance id; another name
    // holding it counts too. Sixty streams of others fill more than a page.
    await put(shipping, now - 2 * HOUR);
    await put(`${shipping}/messages`, now - HOUR);
    await put(`web-${stale}`, now - 8 * HOUR);
    for (let n = 0; n < 60; n++) {
      await put(`other-${n}`, now - 30 * 60_000 + n);
    }
    const provider = providerAt(moto.endpoint);
    const newest = await provider.lastLogEvents({
      region,
      group,
      since: now - 6 * HOUR,
    });
    expect(newest.get(shipping)).toBe(now - HOUR);
    expect(newest.has(stale)).toBe(false);
    expect(newest.has(silent)).toBe(false);

    // Through the sync's reading: every instance gets its fact.
    const found = await provider.listInstances({
      region,
      selector: [{ key: 'service', value: 'logged' }],
    });
    const { annotations } = parseImmutableInfraAnnotations({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name: 'logged',
        annotations: {
          'immutable-infra.io/image-family': 'logged',
          'immutable-infra.io/fleet-selector': 'service=logged',
          'immutable-infra.io/log-destination': `cloudwatch:${group}`,
        },
      },
    });
    await readInstanceFacts(provider, { region }, annotations, found, {}, now);
    expect(Object.fromEntries(found.map(i => [i.instanceId, i.logs]))).toEqual({
      [shipping]: {
        group,
        status: 'read',
        lastEventAt: new Date(now - HOUR).toISOString(),
      },
      [stale]: { group, status: 'read' },
      [silent]: { group, status: 'read' },
    });
  });

  it('reads a log group that does not exist as one without streams', async () => {
    expect(
      await providerAt(moto.endpoint).lastLogEvents({
        region,
        group: '/aws/ec2/nowhere',
        since: 0,
      }),
    ).toEqual(new Map());
  });
});

describe('instanceIdsInStreamName', () => {
  it('finds the ids of either length as whole words', () => {
    expect(instanceIdsInStreamName('i-0123456789abcdef0')).toEqual([
      'i-0123456789abcdef0',
    ]);
    expect(instanceIdsInStreamName('web/i-0123abcd/messages')).toEqual([
      'i-0123abcd',
    ]);
    expect(instanceIdsInStreamName('xi-0123abcd')).toEqual([]);
    expect(instanceIdsInStreamName('i-0123abcde')).toEqual([]);
    expect(instanceIdsInStreamName('ip-10-0-0-1')).toEqual([]);
  });
});

/**
 * Systems Manager as its JSON protocol answers (the emulator implements
 * neither DescribeInstanceInformation nor DescribeSessions): each request
 * recorded, answered by the handler.
 */
async function startSsmStub(
  answer: (action: string, body: any) => { status?: number; body: unknown },
) {
  const requests: { action: string; body: any }[] = [];
  const server: Server = createServer(
    (request: IncomingMessage, response: ServerResponse) => {
      let raw = '';
      request.on('data', chunk => (raw += chunk));
      request.on('end', () => {
        const action = String(request.headers['x-amz-target']).replace(
          'AmazonSSM.',
          '',
        );
        const body = JSON.parse(raw || '{}');
        requests.push({ action, body });
        const { status, body: out } = answer(action, body);
        response.writeHead(status ?? 200, {
          'content-type': 'application/x-amz-json-1.1',
        });
        response.end(JSON.stringify(out));
      });
    },
  );
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    stop: () => new Promise(resolve => server.close(resolve)),
  };
}

describe('Ec2FleetProvider and Systems Manager', () => {
  const ids = Array.from(
    { length: 120 },
    (_, n) => `i-${n.toString(16).padStart(17, '0')}`,
  );

  it('asks for managed instances 50 ids at a time, following every page', async () => {
    const ssm = await startSsmStub((_action, body) => {
      const values: string[] = body.Filters[0].Values;
      // Two pages per batch: the even ids, then the others unlisted.
      const managed = values.filter((_, n) => n % 2 === 0);
      return body.NextToken
        ? {
            body: {
              InstanceInformationList: managed
                .slice(10)
                .map(InstanceId => ({ InstanceId })),
            },
          }
        : {
            body: {
              InstanceInformationList: managed
                .slice(0, 10)
                .map(InstanceId => ({ InstanceId })),
              NextToken: 'more',
            },
          };
    });
    try {
      const managed = await providerAt(ssm.endpoint).listManagedInstances({
        region,
        instanceIds: ids,
      });
      expect([...managed].sort()).toEqual(
        [...ids.slice(0, 50), ...ids.slice(50, 100), ...ids.slice(100)]
          .filter((_, n) => (n % 50) % 2 === 0)
          .sort(),
      );
      expect(ssm.requests.map(r => r.action)).toEqual(
        Array(6).fill('DescribeInstanceInformation'),
      );
      expect(ssm.requests[0].body).toEqual({
        Filters: [{ Key: 'InstanceIds', Values: ids.slice(0, 50) }],
        MaxResults: 50,
      });
      expect(ssm.requests.map(r => r.body.Filters[0].Values.length)).toEqual([
        50, 50, 50, 50, 20, 20,
      ]);
    } finally {
      await ssm.stop();
    }
  });

  it('reads active and past sessions once per region, and each instance gets its latest', async () => {
    const ssm = await startSsmStub((_action, body) => {
      if (body.State === 'Active') {
        return {
          body: {
            Sessions: [
              {
                SessionId: 'bob-2',
                Target: ids[1],
                Status: 'Connected',
                StartDate: Date.parse('2026-11-26T11:00:00Z') / 1000,
                Owner: 'arn:aws:iam::123456789012:user/bob',
              },
            ],
          },
        };
      }
      return body.NextToken
        ? {
            body: {
              Sessions: [
                {
                  SessionId: 'alice-3',
                  Target: ids[0],
                  Status: 'Terminated',
                  StartDate: Date.parse('2026-11-26T10:00:00Z') / 1000,
                  Owner: 'arn:aws:iam::123456789012:user/alice',
                },
                {
                  SessionId: 'carol-1',
                  Target: ids[2],
                  Status: 'Failed',
                  StartDate: Date.parse('2026-11-26T10:00:00Z') / 1000,
                  Owner: 'arn:aws:iam::123456789012:user/carol',
                },
              ],
            },
          }
        : {
            body: {
              Sessions: [
                {
                  SessionId: 'alice-1',
                  Target: ids[0],
                  Status: 'Terminated',
                  StartDate: Date.parse('2026-11-25T10:00:00Z') / 1000,
                  Owner: 'arn:aws:iam::123456789012:user/alice',
                },
                {
                  SessionId: 'dave-1',
                  Target: 'i-0fffffffffffffff0',
                  Status: 'Terminated',
                  StartDate: Date.parse('2026-11-25T10:00:00Z') / 1000,
                },
              ],
              NextToken: 'more',
            },
          };
    });
    try {
      const provider = providerAt(ssm.endpoint);
      const instances: FleetInstance[] = ids.slice(0, 3).map(instanceId => ({
        instanceId,
        region,
        sshExposure: 'none' as const,
        sshSources: [],
        tags: {},
      }));
      const { annotations } = parseImmutableInfraAnnotations({
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: {
          name: 'web',
          annotations: {
            'immutable-infra.io/image-family': 'web',
            'immutable-infra.io/fleet-selector': 'service=web',
          },
        },
      });
      await readInstanceFacts(provider, { region }, annotations, instances, {
        sessionHistory: true,
      });
      // Another entity of the region: no second listing.
      await provider.listSessions({ region });
      expect(instances.map(i => i.session)).toEqual([
        {
          status: 'read',
          id: 'alice-3',
          owner: 'arn:aws:iam::123456789012:user/alice',
          startedAt: '2026-11-26T10:00:00.000Z',
        },
        {
          status: 'read',
          id: 'bob-2',
          owner: 'arn:aws:iam::123456789012:user/bob',
          startedAt: '2026-11-26T11:00:00.000Z',
        },
        // A session that failed to open never reached the instance.
        { status: 'read' },
      ]);
      expect(ssm.requests.map(r => [r.body.State, r.body.NextToken])).toEqual([
        ['Active', undefined],
        ['History', undefined],
        ['History', 'more'],
      ]);
    } finally {
      await ssm.stop();
    }
  });

  it('marks a fact AWS refuses unknown, with why, on every instance; the others are still read', async () => {
    const ssm = await startSsmStub(() => ({
      status: 400,
      body: {
        __type: 'AccessDeniedException',
        message: 'User is not authorized to perform: ssm:DescribeSessions',
      },
    }));
    try {
      const instances: FleetInstance[] = ids.slice(0, 2).map(instanceId => ({
        instanceId,
        region,
        sshExposure: 'none' as const,
        sshSources: [],
        tags: {},
      }));
      const { annotations } = parseImmutableInfraAnnotations({
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: {
          name: 'web',
          annotations: {
            'immutable-infra.io/image-family': 'web',
            'immutable-infra.io/fleet-selector': 'service=web',
            'immutable-infra.io/log-destination': 'cloudwatch:/web',
          },
        },
      });
      await readInstanceFacts(
        providerAt(ssm.endpoint),
        { region },
        annotations,
        instances,
        { requireSystemsManager: true, sessionHistory: true },
      );
      const denied = {
        status: 'unknown',
        error: expect.stringMatching(
          /^AccessDeniedException: User is not authorized/,
        ),
      };
      for (const instance of instances) {
        expect(instance.systemsManager).toEqual(denied);
        expect(instance.session).toEqual(denied);
        // The stub answers Logs' calls the same way.
        expect(instance.logs).toEqual({ group: '/web', ...denied });
      }
    } finally {
      await ssm.stop();
    }
  });
});
