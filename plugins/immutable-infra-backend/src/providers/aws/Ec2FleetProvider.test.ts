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
import {
  Ec2FleetProvider,
  instanceIdsInStreamName,
  sshdLogin,
} from './Ec2FleetProvider';

jest.setTimeout(120_000);

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

  it("reads sshd's logins in the shipped logs: an accepted one taints its instance, a refused one does not", async () => {
    const image = await fixtures.image();
    const [touched, refused, untouched] = await fixtures.instances(image, {
      count: 3,
      tags: { service: 'ssh-logged' },
    });
    const group = '/aws/ec2/ssh-logged';
    await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
    const now = Date.now();
    const lines = async (stream: string, messages: [number, string][]) => {
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
          logEvents: messages.map(([timestamp, message]) => ({
            timestamp,
            message,
          })),
        }),
      );
    };
    // Lines since the instances launched (a login cannot precede its
    // instance: the logs are read from the oldest launch on).
    const loginAt = now + 1_000;
    await lines(`${touched}/secure`, [
      [now, 'Dec  6 03:40:01 ip-10-0-1-5 systemd[1]: Started nginx.'],
      [
        loginAt,
        'Dec  6 04:10:01 ip-10-0-1-5 sshd[2817]: Accepted publickey for ec2-user from 203.0.113.5 port 50022 ssh2: ED25519 SHA256:Zm9v',
      ],
    ]);
    await lines(`${refused}/secure`, [
      [
        now + 2_000,
        'Dec  6 04:20:01 ip-10-0-1-6 sshd[2818]: Failed password for root from 198.51.100.7 port 41000 ssh2',
      ],
      [
        now + 3_000,
        'Dec  6 04:21:01 ip-10-0-1-6 app[77]: user Accepted the terms',
      ],
    ]);

    const provider = providerAt(moto.endpoint);
    const found = await provider.listInstances({
      region,
      selector: [{ key: 'service', value: 'ssh-logged' }],
    });
    const { annotations } = parseImmutableInfraAnnotations({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name: 'ssh-logged',
        annotations: {
          'immutable-infra.io/image-family': 'ssh-logged',
          'immutable-infra.io/fleet-selector': 'service=ssh-logged',
          'immutable-infra.io/log-destination': `cloudwatch:${group}`,
        },
      },
    });
    // Session Manager's list off (as on the emulator): the logs alone say.
    await readInstanceFacts(provider, { region }, annotations, found, {}, now);
    const sessions = Object.fromEntries(
      found.map(i => [i.instanceId, i.session]),
    );
    expect(sessions[touched]).toEqual({
      status: 'read',
      id: expect.stringMatching(/^sshd:/),
      owner: 'ec2-user from 203.0.113.5 (publickey)',
      startedAt: new Date(loginAt).toISOString(),
    });
    expect(sessions[refused]).toEqual({ status: 'read' });
    expect(sessions[untouched]).toEqual({ status: 'read' });
  });

  it('marks every instance shipping to a group whose logins cannot be read unverified', async () => {
    const found: FleetInstance[] = [
      {
        instanceId: 'i-0123456789abcdef0',
        region,
        sshExposure: 'none',
        sshSources: [],
        tags: {},
      },
    ];
    const { annotations } = parseImmutableInfraAnnotations({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name: 'denied',
        annotations: {
          'immutable-infra.io/image-family': 'denied',
          'immutable-infra.io/fleet-selector': 'service=denied',
          'immutable-infra.io/log-destination': 'cloudwatch:/aws/ec2/denied',
        },
      },
    });
    const denied = Object.assign(
      new Error(
        'User: arn:aws:sts::123456789012:assumed-role/portal is not authorized to perform: logs:FilterLogEvents',
      ),
      { name: 'AccessDeniedException' },
    );
    await readInstanceFacts(
      {
        listInstances: async () => found,
        getLaunchTemplateDefault: async () => undefined,
        describeAutoScalingGroups: async () => [],
        lastLogEvents: async () => new Map(),
        listLogins: async () => {
          throw denied;
        },
      },
      { region },
      annotations,
      found,
      {},
    );
    expect(found[0].session).toEqual({
      status: 'unknown',
      error: `sshd logins in /aws/ec2/denied: AccessDeniedException: ${denied.message}`,
    });
  });

  /**
   * A provider whose EC2 and Auto Scaling clients record each request: the
   * command and its input (a middleware on the clients the provider gets).
   */
  async function countedProvider() {
    const clients = AwsClientFactory.fromConfig(
      new ConfigReader(emulatorConfig(moto.endpoint)),
    );
    const requests: { command: string; input: any }[] = [];
    const counter = (next: any, context: any) => async (args: any) => {
      requests.push({ command: context.commandName, input: { ...args.input } });
      return next(args);
    };
    for (const client of [
      await clients.ec2Client(region),
      await clients.autoScalingClient(region),
    ]) {
      (client.middlewareStack as any).add(counter, {
        step: 'initialize',
        name: 'testCount',
      });
    }
    const count = (command: string) =>
      requests.filter(r => r.command === command);
    return { provider: new Ec2FleetProvider(clients), requests, count };
  }

  it("lists an account and region's inventory by tag keys in one page chain of 1,000 a page, whatever the number of entities", async () => {
    const image = await fixtures.image();
    const open = await fixtures.securityGroup({
      name: 'inventory-ssh',
      port: 22,
      cidr: '0.0.0.0/0',
    });
    // Three services under one key, one under another, and instances no
    // selector key names. The emulator pages by reservation (EC2 by
    // instance: "MaxResults ... between 5 and 1000",
    // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstances.html):
    // 1,001 launches of one instance each make more than a page.
    const a: string[] = [];
    const launcher = fixtures;
    for (let n = 0; n < 1001; n += 25) {
      const launched = await Promise.all(
        Array.from({ length: Math.min(25, 1001 - n) }, () =>
          launcher.instances(image, {
            tags: { 'inventory:service': 'a', environment: 'production' },
          }),
        ),
      );
      a.push(...launched.flat());
    }
    const b = await fixtures.instances(image, {
      count: 4,
      tags: { 'inventory:service': 'b' },
      securityGroupIds: [open],
    });
    const c = await fixtures.instances(image, {
      count: 5,
      tags: { 'inventory:service': 'c' },
    });
    const d = await fixtures.instances(image, {
      count: 3,
      tags: { 'inventory:app': 'd' },
    });
    await fixtures.instances(image, { count: 4, tags: { other: 'x' } });
    const [terminated] = await fixtures.instances(image, {
      tags: { 'inventory:service': 'a' },
    });
    await fixtures.terminate(terminated);

    const { provider, count } = await countedProvider();
    const found = await provider.listAccountInstances({
      region,
      tagKeys: ['inventory:service', 'inventory:app'],
    });
    expect(found.map(i => i.instanceId).sort()).toEqual(
      [...a, ...b, ...c, ...d].sort(),
    );
    // Two pages (1,004 reservations), one chain; the security groups of
    // all of them in one request.
    const describes = count('DescribeInstancesCommand');
    expect(describes).toHaveLength(2);
    expect(describes[0].input).toEqual({
      Filters: [
        { Name: 'tag-key', Values: ['inventory:app', 'inventory:service'] },
        {
          Name: 'instance-state-name',
          Values: ['pending', 'running', 'stopping', 'stopped'],
        },
      ],
      MaxResults: 1000,
    });
    expect(describes[1].input.NextToken).toEqual(expect.any(String));
    expect(count('DescribeSecurityGroupsCommand')).toHaveLength(1);
    const byId = new Map(found.map(i => [i.instanceId, i]));
    expect(byId.get(b[0])).toMatchObject({
      sshExposure: 'world',
      tags: { 'inventory:service': 'b' },
    });
    expect(byId.get(a[0])).toMatchObject({
      sshExposure: 'none',
      state: 'running',
      imageId: image,
      tags: { 'inventory:service': 'a', environment: 'production' },
    });
  });

  it('sends tag keys 200 a request and lists an instance that carries keys of two batches once', async () => {
    const image = await fixtures.image();
    const keys = Array.from(
      { length: 250 },
      (_, n) => `batch:${String(n).padStart(3, '0')}`,
    );
    const [both] = await fixtures.instances(image, {
      tags: { [keys[0]]: 'x', [keys[249]]: 'y' },
    });
    const [last] = await fixtures.instances(image, {
      tags: { [keys[249]]: 'z' },
    });
    const { provider, count } = await countedProvider();
    const found = await provider.listAccountInstances({
      region,
      tagKeys: keys,
    });
    expect(found.map(i => i.instanceId).sort()).toEqual([both, last].sort());
    expect(
      count('DescribeInstancesCommand').map(
        r => r.input.Filters[0].Values.length,
      ),
    ).toEqual([200, 50]);
  });

  it('reads the default version of several launch templates in one call, leaving out names that do not exist', async () => {
    const first = await fixtures.image();
    const second = await fixtures.image();
    const one = await fixtures.launchTemplate('defaults-one', [first]);
    await fixtures.launchTemplate('defaults-two', [first, second]);
    const { provider, count } = await countedProvider();
    const found = await provider.getLaunchTemplateDefaults({
      region,
      launchTemplates: [one, 'defaults-two', 'defaults-missing'],
    });
    expect(
      found.map(t => [t.name, t.defaultVersion, t.imageId]).sort(),
    ).toEqual([
      ['defaults-one', 1, first],
      ['defaults-two', 1, first],
    ]);
    expect(found.find(t => t.name === 'defaults-one')!.id).toBe(one);
    expect(count('DescribeLaunchTemplateVersionsCommand')).toEqual([
      {
        command: 'DescribeLaunchTemplateVersionsCommand',
        input: { Versions: ['$Default'], MaxResults: 200 },
      },
    ]);
  });

  it('describes Auto Scaling groups 100 names a request', async () => {
    const image = await fixtures.image();
    const template = await fixtures.launchTemplate('batched-lt', [image]);
    await fixtures.autoScalingGroupFromTemplate('batched-0', template, '1');
    await fixtures.autoScalingGroupFromTemplate('batched-110', template, '1');
    const names = Array.from({ length: 120 }, (_, n) => `batched-${n}`);
    const { provider, count } = await countedProvider();
    const groups = await provider.describeAutoScalingGroups({ region, names });
    expect(groups.map(g => g.name).sort()).toEqual([
      'batched-0',
      'batched-110',
    ]);
    expect(
      count('DescribeAutoScalingGroupsCommand').map(r => [
        r.input.AutoScalingGroupNames.length,
        r.input.MaxRecords,
      ]),
    ).toEqual([
      [100, 100],
      [20, 100],
    ]);
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

describe('sshdLogin', () => {
  it("reads who logged in, from where and how from sshd's Accepted lines only", () => {
    expect(
      sshdLogin(
        'Dec  6 04:10:01 ip-10-0-1-5 sshd[2817]: Accepted publickey for ec2-user from 203.0.113.5 port 50022 ssh2: ED25519 SHA256:Zm9v',
      ),
    ).toBe('ec2-user from 203.0.113.5 (publickey)');
    expect(
      sshdLogin(
        '2026-12-06T04:10:01.000Z host sshd-session[99]: Accepted keyboard-interactive/pam for admin from 2001:db8::1 port 2222 ssh2',
      ),
    ).toBe('admin from 2001:db8::1 (keyboard-interactive/pam)');
    expect(
      sshdLogin(
        'sshd[1]: Failed password for root from 198.51.100.7 port 41000 ssh2',
      ),
    ).toBeUndefined();
    expect(sshdLogin('app[77]: user Accepted the terms')).toBeUndefined();
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
