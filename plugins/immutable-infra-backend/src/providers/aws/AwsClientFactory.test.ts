import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { DefaultAwsCredentialsManager } from '@backstage/integration-aws-node';
import { ConfigReader } from '@backstage/config';
import { AwsClientFactory } from './AwsClientFactory';
import { Ec2FleetProvider } from './Ec2FleetProvider';
import { CloudAccessError } from '../ImageProvider';

jest.setTimeout(30_000);

const THROTTLED = `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>r</RequestID></Response>`;
const EMPTY = `<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><reservationSet/></DescribeInstancesResponse>`;

/** An EC2 endpoint that behaves as told for each call, in order. */
async function ec2Endpoint(behaviours: ('throttle' | 'ok' | 'hang')[]) {
  let calls = 0;
  const server: Server = createServer((_req, res) => {
    const behaviour = behaviours[Math.min(calls, behaviours.length - 1)];
    calls += 1;
    if (behaviour === 'hang') {
      return; // never answers
    }
    res.writeHead(behaviour === 'throttle' ? 503 : 200, {
      'Content-Type': 'text/xml',
    });
    res.end(behaviour === 'throttle' ? THROTTLED : EMPTY);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls: () => calls,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

function provider(
  endpoint: string,
  options: { maxAttempts?: number; requestTimeoutMs?: number },
) {
  const credentials = DefaultAwsCredentialsManager.fromConfig(
    new ConfigReader({
      aws: { mainAccount: { accessKeyId: 'x', secretAccessKey: 'x' } },
    }),
  );
  return new Ec2FleetProvider(
    new AwsClientFactory(credentials, { endpoint, ...options }),
  );
}

describe('AWS calls', () => {
  it('retry throttling with backoff', async () => {
    const ec2 = await ec2Endpoint(['throttle', 'throttle', 'ok']);
    try {
      const instances = await provider(ec2.endpoint, {
        maxAttempts: 3,
      }).listInstances({
        region: 'us-east-1',
        selector: [{ key: 'app', value: 'x' }],
      });
      expect(instances).toEqual([]);
      expect(ec2.calls()).toBe(3);
    } finally {
      ec2.close();
    }
  });

  it('give up after the configured attempts', async () => {
    const ec2 = await ec2Endpoint(['throttle']);
    try {
      await expect(
        provider(ec2.endpoint, { maxAttempts: 2 }).listInstances({
          region: 'us-east-1',
          selector: [{ key: 'app', value: 'x' }],
        }),
      ).rejects.toThrow(/Request limit exceeded/);
      expect(ec2.calls()).toBe(2);
    } finally {
      ec2.close();
    }
  });

  it('are bounded in time', async () => {
    const ec2 = await ec2Endpoint(['hang']);
    const started = Date.now();
    try {
      await expect(
        provider(ec2.endpoint, {
          maxAttempts: 1,
          requestTimeoutMs: 500,
        }).listInstances({
          region: 'us-east-1',
          selector: [{ key: 'app', value: 'x' }],
        }),
      ).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      ec2.close();
    }
  });
});

describe('credentials', () => {
  it('answers CloudAccessError for an account it has no credentials for', async () => {
    const factory = new AwsClientFactory(
      {
        getCredentialProvider: async (opts?: { accountId?: string }) => {
          if (opts?.accountId) {
            throw new Error(
              `There is no AWS integration that matches ${opts.accountId}. Please add a configuration for this AWS account.`,
            );
          }
          return {
            sdkCredentialProvider: async () => ({
              accessKeyId: 'main-key',
              secretAccessKey: 'main-secret',
            }),
          };
        },
      } as any,
      { endpoint: 'http://127.0.0.1:9' },
    );
    const failure = factory.ec2Client('us-east-1', '999999999999');
    await expect(failure).rejects.toBeInstanceOf(CloudAccessError);
    await expect(failure).rejects.toThrow(
      'no credentials for account 999999999999: There is no AWS integration that matches 999999999999',
    );
    // The main account's client: its region, the endpoint and the
    // credentials the integration gives, made once.
    const main = await factory.ec2Client('us-east-1');
    await expect(main.config.region()).resolves.toBe('us-east-1');
    await expect(main.config.credentials()).resolves.toMatchObject({
      accessKeyId: 'main-key',
    });
    await expect(main.config.endpoint!()).resolves.toMatchObject({
      hostname: '127.0.0.1',
      port: 9,
    });
    await expect(factory.ec2Client('us-east-1')).resolves.toBe(main);
    await expect(factory.ec2Client('eu-west-1')).resolves.not.toBe(main);
  });
});
