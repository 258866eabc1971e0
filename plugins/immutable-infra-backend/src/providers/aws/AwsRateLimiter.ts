import { Config } from '@backstage/config';
import { z } from 'zod';

/**
 * EC2's documented request token buckets, per account and Region
 * (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html,
 * "Request token bucket sizes and refill rates"): non-mutating actions
 * (`Describe*`, `List*`, `Get*`, ...) hold 100 tokens refilled at 20 a
 * second; mutating actions hold 50 refilled at 5 a second. A request takes
 * one token; an empty bucket answers `RequestLimitExceeded`.
 *
 * @internal
 */
export const EC2_REQUEST_BUCKETS = {
  read: { capacity: 100, refillPerSecond: 20 },
  mutate: { capacity: 50, refillPerSecond: 5 },
} as const;

/** Default share of each documented bucket this plugin may spend. @internal */
export const DEFAULT_RATE_LIMIT_SHARE = 0.2;

/** What a limiter reads the time from and waits with; a fake in tests. @internal */
export type LimiterClock = {
  now(): number;
  sleep(ms: number): Promise<void>;
};

const realClock: LimiterClock = {
  now: () => Date.now(),
  sleep: ms => new Promise(resolve => setTimeout(resolve, ms)),
};

/**
 * A token bucket: `capacity` tokens at most, `refillPerSecond` added back
 * continuously. Callers wait their turn in order (first come, first served),
 * so a burst of callers is paced, not starved.
 *
 * @internal
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly capacity: number,
    readonly refillPerSecond: number,
    private readonly clock: LimiterClock = realClock,
  ) {
    if (!(capacity >= 1) || !(refillPerSecond > 0)) {
      throw new Error(
        `a token bucket needs at least 1 token and a positive refill rate, got ${capacity} and ${refillPerSecond}`,
      );
    }
    this.tokens = capacity;
    this.updatedAt = clock.now();
  }

  private refill() {
    const now = this.clock.now();
    this.tokens = Math.min(
      this.capacity,
      this.tokens + ((now - this.updatedAt) / 1000) * this.refillPerSecond,
    );
    this.updatedAt = now;
  }

  /** Tokens available now (fractional while refilling). */
  available(): number {
    this.refill();
    return this.tokens;
  }

  /** Resolves once a token is taken; callers are served in arrival order. */
  take(): Promise<void> {
    const turn = this.queue.then(async () => {
      for (;;) {
        this.refill();
        if (this.tokens >= 1) {
          this.tokens -= 1;
          return;
        }
        await this.clock.sleep(
          Math.ceil(((1 - this.tokens) / this.refillPerSecond) * 1000),
        );
      }
    });
    this.queue = turn.catch(() => {});
    return turn;
  }
}

/** Read-only actions by name, as EC2 counts them ("non-mutating"). */
const READ_ACTION = /^(Describe|List|Get|Lookup|Search|Filter)/;

/** Whether an SDK command counts against the read or the mutating bucket. @internal */
export function actionKind(commandName: string): 'read' | 'mutate' {
  return READ_ACTION.test(commandName.replace(/Command$/, ''))
    ? 'read'
    : 'mutate';
}

/** The limiter's settings (`immutableInfra.aws.rateLimit`). @internal */
export type RateLimitOptions = {
  /**
   * Fraction (0 < share <= 1) of each documented bucket (size and refill
   * rate) this plugin spends per account and Region.
   */
  share: number;
};

const rateLimitSchema = z.object({
  share: z
    .number()
    .gt(0, 'must be more than 0')
    .lte(1, 'must be at most 1 (the whole documented budget)')
    .default(DEFAULT_RATE_LIMIT_SHARE),
});

/** Reads and validates `immutableInfra.aws.rateLimit`. @internal */
export function readRateLimitOptions(config: Config): RateLimitOptions {
  const raw = config.getOptional('immutableInfra.aws.rateLimit') ?? {};
  const parsed = rateLimitSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(
      `Invalid immutableInfra.aws.rateLimit: ${parsed.error.issues
        .map(issue => `${issue.path.join('.') || 'value'} ${issue.message}`)
        .join('; ')}`,
    );
  }
  return parsed.data;
}

/**
 * One pair of buckets (read, mutating) per account and Region, each a share
 * of EC2's documented bucket, shared by every client of that account and
 * Region so the plugin as a whole stays inside its share.
 *
 * @internal
 */
export class AwsRateLimiter {
  private readonly buckets = new Map<
    string,
    { read: TokenBucket; mutate: TokenBucket }
  >();

  constructor(
    readonly options: RateLimitOptions = { share: DEFAULT_RATE_LIMIT_SHARE },
    private readonly clock: LimiterClock = realClock,
  ) {}

  /** The buckets of one account (`main` for the main account) and Region. */
  bucketsFor(account: string, region: string) {
    const key = `${account}/${region}`;
    let pair = this.buckets.get(key);
    if (!pair) {
      const make = (kind: keyof typeof EC2_REQUEST_BUCKETS) =>
        new TokenBucket(
          Math.max(
            1,
            Math.floor(EC2_REQUEST_BUCKETS[kind].capacity * this.options.share),
          ),
          EC2_REQUEST_BUCKETS[kind].refillPerSecond * this.options.share,
          this.clock,
        );
      pair = { read: make('read'), mutate: make('mutate') };
      this.buckets.set(key, pair);
    }
    return pair;
  }

  /** Waits for a token of the command's kind in the account and Region. */
  async acquire(options: {
    account: string;
    region: string;
    commandName: string;
  }): Promise<void> {
    await this.bucketsFor(options.account, options.region)[
      actionKind(options.commandName)
    ].take();
  }
}
