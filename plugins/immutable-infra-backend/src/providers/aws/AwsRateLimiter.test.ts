import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import {
  DescribeInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { ConfigReader } from '@backstage/config';
import { DefaultAwsCredentialsManager } from '@backstage/integration-aws-node';
import { AwsClientFactory } from './AwsClientFactory';
import {
  actionKind,
  AwsRateLimiter,
  LimiterClock,
  readRateLimitOptions,
  TokenBucket,
} from './AwsRateLimiter';

jest.setTimeout(30_000);

/** A clock whose time moves only when someone waits on it. */
function fakeClock(): LimiterClock & { waited: number[] } {
  let now = 1_000_000;
  const waited: number[] = [];
  return {
    waited,
    now: () => now,
    sleep: async ms => {
      waited.push(ms);
      now += ms;
    },
  };
}

describe('TokenBucket', () => {
  it('lets a burst of its size through at once, then paces at the refill rate', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(4, 2, clock);
    const start = clock.now();
    for (let i = 0; i < 4; i++) {
      await bucket.take();
    }
    expect(clock.now() - start).toBe(0);
    for (let i = 0; i < 6; i++) {
      await bucket.take();
    }
    // 6 more tokens at 2 a second.
    expect(clock.now() - start).toBe(3_000);
  });

  it('refills while idle, never beyond its size', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(3, 1, clock);
    for (let i = 0; i < 3; i++) await bucket.take();
    expect(bucket.available()).toBe(0);
    await clock.sleep(60_000);
    expect(bucket.available()).toBe(3);
  });

  it('serves waiting callers in arrival order', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(1, 1, clock);
    const order: number[] = [];
    await Promise.all(
      [0, 1, 2, 3].map(i => bucket.take().then(() => order.push(i))),
    );
    expect(order).toEqual([0, 1, 2, 3]);
    expect(clock.now() - 1_000_000).toBe(3_000);
  });
});

describe('AwsRateLimiter', () => {
  it('sizes each bucket as the share of EC2 documented budget', () => {
    const limiter = new AwsRateLimiter({ share: 0.2 }, fakeClock());
    const { read, mutate } = limiter.bucketsFor('111122223333', 'us-east-1');
    // Non-mutating 100 tokens, 20/s; mutating 50 tokens, 5/s (EC2 docs).
    expect([read.capacity, read.refillPerSecond]).toEqual([20, 4]);
    expect([mutate.capacity, mutate.refillPerSecond]).toEqual([10, 1]);
  });

  it('keeps separate buckets per account and Region, and per kind of action', async () => {
    const clock = fakeClock();
    const limiter = new AwsRateLimiter({ share: 0.02 }, clock); // 2 read, 1 mutate
    const call = (account: string, region: string, commandName: string) =>
      limiter.acquire({ account, region, commandName });
    await call('a', 'us-east-1', 'DescribeInstancesCommand');
    await call('a', 'us-east-1', 'DescribeInstancesCommand');
    // A mutation, another Region and another account each have tokens left.
    await call('a', 'us-east-1', 'TerminateInstancesCommand');
    await call('a', 'eu-west-1', 'DescribeInstancesCommand');
    await call('b', 'us-east-1', 'DescribeInstancesCommand');
    expect(clock.waited).toEqual([]);
    // The first account's describe bucket is empty: 0.4 tokens a second.
    await call('a', 'us-east-1', 'DescribeRegionsCommand');
    expect(clock.waited).toEqual([2_500]);
  });

  it('counts reads and mutations as EC2 does', () => {
    expect(actionKind('DescribeInstancesCommand')).toBe('read');
    expect(actionKind('ListAccountsCommand')).toBe('read');
    expect(actionKind('GetMetricDataCommand')).toBe('read');
    expect(actionKind('RunInstancesCommand')).toBe('mutate');
    expect(actionKind('CreateTagsCommand')).toBe('mutate');
  });

  it('reads its share from config, defaulting to a fifth, and rejects nonsense', () => {
    expect(readRateLimitOptions(new ConfigReader({}))).toEqual({
      share: 0.2,
    });
    expect(
      readRateLimitOptions(
        new ConfigReader({
          immutableInfra: { aws: { rateLimit: { share: 1 } } },
        }),
      ),
    ).toEqual({ share: 1 });
    for (const share of [0, 1.5, -1]) {
      expect(() =>
        readRateLimitOptions(
          new ConfigReader({
            immutableInfra: { aws: { rateLimit: { share } } },
          }),
        ),
      ).toThrow(/immutableInfra.aws.rateLimit: share must/);
    }
  });
});

const THROTTLED = `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>r</RequestID></Response>`;
const EMPTY = `<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><reservationSet/></DescribeInstancesResponse>`;
const TERMINATED = `<TerminateInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><instancesSet/></TerminateInstancesResponse>`;

/**
 * An EC2 endpoint that records when each request arrived and answers
 * `RequestLimitExceeded` (HTTP 503, as EC2 answers throttling:
 * https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html)
 * to the calls numbered in `throttle`.
 */
async function ec2Endpoint(throttle: number[] = []) {
  const arrivals: { at: number; action: string }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', chunk => {
      body += chunk;
    });
    req.on('end', () => {
      const action = new URLSearchParams(body).get('Action') ?? '';
      arrivals.push({ at: Date.now(), action });
      const throttled = throttle.includes(arrivals.length);
      res.writeHead(throttled ? 503 : 200, { 'Content-Type': 'text/xml' });
      let answer = action === 'TerminateInstances' ? TERMINATED : EMPTY;
      if (throttled) {
        answer = THROTTLED;
      }
      res.end(answer);
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrivals,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

function factory(endpoint: string, share: number, maxAttempts = 3) {
  return new AwsClientFactory(
    DefaultAwsCredentialsManager.fromConfig(
      new ConfigReader({
        aws: { mainAccount: { accessKeyId: 'x', secretAccessKey: 'x' } },
      }),
    ),
    { endpoint, maxAttempts, rateLimiter: new AwsRateLimiter({ share }) },
  );
}

describe('AWS calls through the limiter', () => {
  it('are paced at the bucket refill rate once its burst is spent', async () => {
    const ec2 = await ec2Endpoint();
    try {
      // A twentieth: 5 describe tokens, refilled at 1 a second.
      const client = await factory(ec2.endpoint, 0.05).ec2Client('us-east-1');
      const start = Date.now();
      await Promise.all(
        Array.from({ length: 8 }, () =>
          client.send(new DescribeInstancesCommand({})),
        ),
      );
      expect(ec2.arrivals).toHaveLength(8);
      const offsets = ec2.arrivals.map(a => a.at - start);
      // The burst goes at once, the rest one a second.
      expect(offsets[4]).toBeLessThan(900);
      expect(offsets[5]).toBeGreaterThanOrEqual(900);
      expect(offsets[7]).toBeGreaterThanOrEqual(2_900);
      expect(offsets[7]).toBeLessThan(6_000);
    } finally {
      ec2.close();
    }
  });

  it('do not spend the describe budget on mutations, nor the other way round', async () => {
    const ec2 = await ec2Endpoint();
    try {
      // 1 describe token (floor of 100 x 0.01) at 0.2 a second; 1 mutating
      // token (floor of 50 x 0.01, at least 1) at 0.05 a second.
      const client = await factory(ec2.endpoint, 0.01).ec2Client('us-east-1');
      const start = Date.now();
      await client.send(new DescribeInstancesCommand({}));
      await client.send(
        new TerminateInstancesCommand({ InstanceIds: ['i-1'] }),
      );
      expect(Date.now() - start).toBeLessThan(1_000);
      expect(ec2.arrivals.map(a => a.action)).toEqual([
        'DescribeInstances',
        'TerminateInstances',
      ]);
    } finally {
      ec2.close();
    }
  });

  it('retry RequestLimitExceeded answers, each attempt taking a token', async () => {
    const ec2 = await ec2Endpoint([1, 2]);
    try {
      const limiter = new AwsRateLimiter({ share: 0.2 });
      const acquire = jest.spyOn(limiter, 'acquire');
      const clients = new AwsClientFactory(
        DefaultAwsCredentialsManager.fromConfig(
          new ConfigReader({
            aws: { mainAccount: { accessKeyId: 'x', secretAccessKey: 'x' } },
          }),
        ),
        { endpoint: ec2.endpoint, maxAttempts: 3, rateLimiter: limiter },
      );
      const client = await clients.ec2Client('us-east-1');
      const answer = await client.send(new DescribeInstancesCommand({}));
      expect(answer.Reservations ?? []).toEqual([]);
      expect(ec2.arrivals).toHaveLength(3);
      // Each attempt waited for its own token: EC2 counts retries too.
      expect(acquire.mock.calls).toEqual(
        Array(3).fill([
          {
            account: 'main',
            region: 'us-east-1',
            commandName: 'DescribeInstancesCommand',
          },
        ]),
      );
    } finally {
      ec2.close();
    }
  });
});
