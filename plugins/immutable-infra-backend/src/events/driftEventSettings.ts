import { Config, readDurationFromConfig } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { durationToMilliseconds } from '@backstage/types';
import { QueueLocation } from '../providers/DriftEventProvider';

/** A queue and the events it carries: those of one account and region. @internal */
export type DriftEventQueueSettings = QueueLocation & {
  /** The account whose events the queue carries; others are foreign. */
  eventAccount: string;
  /** The region whose events the queue carries; others are foreign. */
  eventRegion: string;
};

/** The drift events consumer's settings, with defaults applied. @internal */
export type DriftEventSettings = {
  queues: DriftEventQueueSettings[];
  /** How long one run of the consumer's task receives before it ends. */
  runForMs: number;
  /** The longest one receive waits for a message (SQS allows 20 s). */
  waitSeconds: number;
  /** Message bodies larger than this are dropped unread. */
  maxEventBytes: number;
  /** How long an event id is remembered to drop its duplicates. */
  dedupeWindowMs: number;
};

/**
 * EventBridge's largest event (PutEvents entries are at most 256 KiB:
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html).
 */
const DEFAULT_MAX_EVENT_BYTES = 256 * 1024;

/** A queue URL's region and account: `https://sqs.<region>.amazonaws.com/<account>/<name>`. */
function fromQueueUrl(queueUrl: string) {
  let url: URL;
  try {
    url = new URL(queueUrl);
  } catch {
    throw new InputError(
      `immutableInfra.events: ${JSON.stringify(queueUrl)} is not a URL`,
    );
  }
  return {
    region: /^sqs\.([a-z0-9-]+)\.amazonaws\.com/.exec(url.hostname)?.[1],
    account: /^\/(\d{12})\//.exec(url.pathname)?.[1],
  };
}

function readQueue(config: Config): DriftEventQueueSettings {
  const queueUrl = config.getString('queueUrl');
  const parsed = fromQueueUrl(queueUrl);
  const account = config.getOptionalString('account');
  const region = config.getOptionalString('region') ?? parsed.region;
  const eventAccount = account ?? parsed.account;
  if (!region || !eventAccount) {
    throw new InputError(
      `immutableInfra.events: the queue ${queueUrl} needs ${
        region ? 'an account' : 'a region'
      } (not found in its URL)`,
    );
  }
  return { queueUrl, region, account, eventAccount, eventRegion: region };
}

/**
 * Reads `immutableInfra.events`: the queue (`queueUrl`) or queues
 * (`queues`), one per account and region. Undefined when none is
 * configured: the consumer is off and the periodic sync alone finds drift.
 *
 * @internal
 */
export function readDriftEventSettings(
  config: Config,
): DriftEventSettings | undefined {
  const events = config.getOptionalConfig('immutableInfra.events');
  if (!events) {
    return undefined;
  }
  const queues = [
    ...(events.has('queueUrl') ? [readQueue(events)] : []),
    ...(events.getOptionalConfigArray('queues') ?? []).map(readQueue),
  ];
  if (queues.length === 0) {
    return undefined;
  }
  const duration = (key: string, fallbackMs: number) =>
    events.has(key)
      ? durationToMilliseconds(readDurationFromConfig(events, { key }))
      : fallbackMs;
  return {
    queues,
    runForMs: duration('runFor', 60_000),
    waitSeconds: Math.min(events.getOptionalNumber('waitSeconds') ?? 20, 20),
    maxEventBytes:
      events.getOptionalNumber('maxEventBytes') ?? DEFAULT_MAX_EVENT_BYTES,
    dedupeWindowMs: duration('dedupeWindow', 15 * 60_000),
  };
}
