import { ConfigReader } from '@backstage/config';
import { readDriftEventSettings } from './driftEventSettings';

const read = (events?: object) =>
  readDriftEventSettings(
    new ConfigReader(events ? { immutableInfra: { events } } : {}),
  );

describe('readDriftEventSettings', () => {
  it('is off when no queue is configured', () => {
    expect(read()).toBeUndefined();
    expect(read({ queues: [] })).toBeUndefined();
  });

  it("takes a queue's account and region from its URL, and accepts only their events", () => {
    expect(
      read({
        queueUrl:
          'https://sqs.eu-west-1.amazonaws.com/111122223333/drift-events',
      }),
    ).toEqual({
      queues: [
        {
          queueUrl:
            'https://sqs.eu-west-1.amazonaws.com/111122223333/drift-events',
          region: 'eu-west-1',
          account: undefined,
          eventAccount: '111122223333',
          eventRegion: 'eu-west-1',
        },
      ],
      runForMs: 60_000,
      waitSeconds: 20,
      maxEventBytes: 256 * 1024,
      dedupeWindowMs: 15 * 60_000,
    });
  });

  it('reads one queue per account and region, and the limits', () => {
    const settings = read({
      queues: [
        {
          queueUrl: 'http://127.0.0.1:5000/123456789012/drift-events',
          region: 'us-east-1',
        },
        {
          queueUrl: 'https://sqs.us-west-2.amazonaws.com/444455556666/drift',
          account: '444455556666',
        },
      ],
      runFor: { seconds: 30 },
      waitSeconds: 60,
      maxEventBytes: 8192,
      dedupeWindow: 'PT5M',
    });
    expect(
      settings?.queues.map(q => [q.eventAccount, q.eventRegion, q.account]),
    ).toEqual([
      ['123456789012', 'us-east-1', undefined],
      ['444455556666', 'us-west-2', '444455556666'],
    ]);
    expect(settings).toMatchObject({
      runForMs: 30_000,
      waitSeconds: 20,
      maxEventBytes: 8192,
      dedupeWindowMs: 300_000,
    });
  });

  it('refuses a queue whose region cannot be told', () => {
    expect(() =>
      read({ queueUrl: 'http://127.0.0.1:5000/123456789012/drift-events' }),
    ).toThrow(/needs a region/);
  });
});
