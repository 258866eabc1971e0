/* The benchmarks' EC2 replay server (bench/), tested here where jest looks. */
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  EC2_NON_MUTATING_BUCKET,
  requestLimitExceededXml,
  signatureScope,
  startReplayServer,
  ThrottleBucket,
} from '../../bench/ec2ReplayServer';

describe('ThrottleBucket', () => {
  it('answers a burst up to its size, then at its refill rate', () => {
    let now = 0;
    const bucket = new ThrottleBucket(
      EC2_NON_MUTATING_BUCKET.capacity,
      EC2_NON_MUTATING_BUCKET.refillPerSecond,
      () => now,
    );
    let taken = 0;
    while (bucket.tryTake()) taken += 1;
    expect(taken).toBe(100);
    expect(bucket.tryTake()).toBe(false);
    // 20 tokens a second: one every 50 ms.
    now += 49;
    expect(bucket.tryTake()).toBe(false);
    now += 1;
    expect(bucket.tryTake()).toBe(true);
    expect(bucket.tryTake()).toBe(false);
    // Refilled up to its size, never beyond.
    now += 60_000;
    taken = 0;
    while (bucket.tryTake()) taken += 1;
    expect(taken).toBe(100);
  });
});

describe('signatureScope', () => {
  it('reads the access key and Region of a SigV4 Authorization header', () => {
    expect(
      signatureScope(
        'AWS4-HMAC-SHA256 Credential=AKIDACCOUNT1/20261206/eu-west-1/ec2/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc',
      ),
    ).toEqual({ accessKeyId: 'AKIDACCOUNT1', region: 'eu-west-1' });
    expect(signatureScope(undefined)).toBeUndefined();
  });
});

describe('the replay server throttling as EC2', () => {
  const client = (
    endpoint: string,
    accessKeyId: string,
    maxAttempts: number,
    region = 'us-east-1',
  ) =>
    new EC2Client({
      region,
      endpoint,
      maxAttempts,
      credentials: { accessKeyId, secretAccessKey: 'x' },
    });
  const describe1 = () =>
    new DescribeInstancesCommand({
      Filters: [{ Name: 'tag:immutable-infra:service', Values: ['svc-0'] }],
      MaxResults: 5,
    });

  it('answers RequestLimitExceeded with 503 once the account and Region spent its bucket, and the SDK reads its code and message', async () => {
    const server = await startReplayServer({
      perEntity: 3,
      entities: 1,
      throttle: { capacity: 2, refillPerSecond: 0.001 },
    });
    try {
      const a = client(server.endpoint, 'KEY-A', 1);
      await a.send(describe1());
      await a.send(describe1());
      const error = await a.send(describe1()).catch(e => e);
      expect(error.name).toBe('RequestLimitExceeded');
      expect(error.message).toBe('Request limit exceeded.');
      expect(error.$metadata.httpStatusCode).toBe(503);
      expect(server.throttled.get('DescribeInstances')).toBe(1);

      // Another account, and another Region of the same account, have
      // buckets of their own.
      await expect(
        client(server.endpoint, 'KEY-B', 1).send(describe1()),
      ).resolves.toBeDefined();
      await expect(
        client(server.endpoint, 'KEY-A', 1, 'eu-west-1').send(describe1()),
      ).resolves.toBeDefined();
      expect(server.throttled.get('DescribeInstances')).toBe(1);
    } finally {
      server.close();
    }
  });

  it('is retried by the SDK as a throttling error: a throttled call succeeds once the bucket refilled', async () => {
    const server = await startReplayServer({
      perEntity: 3,
      entities: 1,
      // One token, back within a fifth of a second.
      throttle: { capacity: 1, refillPerSecond: 5 },
    });
    try {
      // The SDK's own retry strategy, watched: the kind of error it is asked
      // to retry is the SDK's classification of the answer.
      const sdk = await client(
        server.endpoint,
        'KEY-A',
        5,
      ).config.retryStrategy();
      const kinds: string[] = [];
      const ec2 = new EC2Client({
        region: 'us-east-1',
        endpoint: server.endpoint,
        credentials: { accessKeyId: 'KEY-A', secretAccessKey: 'x' },
        retryStrategy: {
          acquireInitialRetryToken: (scope: any) =>
            (sdk as any).acquireInitialRetryToken(scope),
          refreshRetryTokenForRetry: (token: any, info: any) => {
            kinds.push(info.errorType);
            return (sdk as any).refreshRetryTokenForRetry(token, info);
          },
          recordSuccess: (token: any) => (sdk as any).recordSuccess(token),
        } as any,
      });
      await ec2.send(describe1());
      const second = await ec2.send(describe1());
      expect(second.Reservations?.[0].Instances).toHaveLength(3);
      expect(second.$metadata.attempts).toBeGreaterThan(1);
      expect(server.throttled.get('DescribeInstances')).toBe(
        second.$metadata.attempts! - 1,
      );
      expect(kinds.length).toBeGreaterThan(0);
      expect(new Set(kinds)).toEqual(new Set(['THROTTLING']));
    } finally {
      server.close();
    }
  });

  it('answers every account and Region its own instances with a placement', async () => {
    const server = await startReplayServer({
      perEntity: 2,
      entities: 4,
      accounts: { 'KEY-A': '111111111111', 'KEY-B': '222222222222' },
      placement: e => ({
        account: e % 2 === 0 ? '111111111111' : '222222222222',
        region: 'us-east-1',
      }),
    });
    try {
      const inventory = new DescribeInstancesCommand({
        Filters: [{ Name: 'tag-key', Values: ['immutable-infra:service'] }],
      });
      const services = async (key: string) =>
        (await client(server.endpoint, key, 1).send(inventory))
          .Reservations!.flatMap(r => r.Instances!)
          .map(
            i => i.Tags!.find(t => t.Key === 'immutable-infra:service')!.Value,
          );
      expect(await services('KEY-A')).toEqual([
        'svc-0',
        'svc-0',
        'svc-2',
        'svc-2',
      ]);
      expect(await services('KEY-B')).toEqual([
        'svc-1',
        'svc-1',
        'svc-3',
        'svc-3',
      ]);
      expect(server.byAccountRegion.get('111111111111/us-east-1')).toBe(1);
    } finally {
      server.close();
    }
  });

  it('writes the EC2 error body', () => {
    expect(requestLimitExceededXml('r-1')).toContain(
      '<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>r-1</RequestID></Response>',
    );
  });
});
