import { SchedulerServiceTaskScheduleDefinitionConfig } from '@backstage/backend-plugin-api';
import { HumanDuration } from '@backstage/types';

export interface Config {
  /** Configuration of the Immutable Infra plugins. */
  immutableInfra?: {
    aws?: {
      /**
       * Regions to look for images and instances in, unless an entity names
       * its own with the `immutable-infra.io/aws-regions` annotation.
       * Defaults to `[us-east-1]`.
       */
      regions?: string[];
      /**
       * Endpoint of an EC2-compatible emulator (e.g. a local moto server).
       * Leave unset for real AWS.
       */
      endpoint?: string;
      /**
       * Attempts per AWS call; throttling is retried with backoff.
       * Defaults to 3.
       */
      maxAttempts?: number;
      /**
       * How much of each account's AWS request budget the plugin spends.
       * Every call of the plugin goes through one limiter per account and
       * Region: a token bucket for describe/list/get actions and another for
       * mutating actions, each sized as `share` of EC2's documented request
       * buckets (non-mutating: 100 tokens refilled at 20 a second; mutating:
       * 50 tokens at 5 a second), leaving the rest to Terraform, the console
       * and every other tool of the account.
       */
      rateLimit?: {
        /**
         * Fraction of each documented bucket (its size and refill rate),
         * more than 0 and at most 1. Defaults to 0.2: bursts of 20 describe
         * calls then 4 a second, 10 mutations then 1 a second, per account
         * and Region.
         */
        share?: number;
      };
      /**
       * Accounts discovered from AWS Organizations, listed with the main
       * account's credentials (`aws.mainAccount`): each active account is
       * reached by assuming `arn:aws:iam::<account>:role/<roleName>`, as
       * `aws.accountDefaults` would (an account listed under `aws.accounts`
       * keeps its own credentials). Suspended and closed accounts are
       * skipped. An account whose role cannot be assumed fails only the
       * entities that name it, with the reason, and shows in the sync's
       * status line. Discovery runs before each fleet sync.
       */
      organization?: {
        /** The role assumed in every member account. */
        roleName: string;
        /**
         * The external ID the role's trust policy requires.
         * @visibility secret
         */
        externalId?: string;
        /**
         * Regions looked at in each account, intersected with the Regions
         * the account has enabled (EC2 `DescribeRegions`; an opt-in Region
         * not enabled is skipped). Defaults to `immutableInfra.aws.regions`.
         */
        regions?: string[];
        /**
         * Organizational units (`ou-...`, or the root `r-...`) whose accounts
         * are listed, nested units included. Defaults to every account of
         * the organization.
         */
        includeOUs?: string[];
        /** Account IDs never listed (12 digits each). */
        excludeAccounts?: string[];
      };
    };
    /**
     * How often the fleet is synced and images are discovered, as the
     * Backstage scheduler reads a schedule: `frequency` and `timeout` as
     * durations (`{ minutes: 5 }` or ISO 8601 such as `PT5M`), a
     * `{ cron: '*\/5 * * * *' }` frequency, or `{ trigger: manual }`.
     * Inventory counts as stale once the last good sync is older than two of
     * the longest gaps between runs (with a manual trigger: as soon as a sync
     * fails). Defaults to every 5 minutes with a 3 minute timeout.
     */
    schedule?: SchedulerServiceTaskScheduleDefinitionConfig;
    /**
     * How often the plugin's copy of enrolled entities (their annotations and
     * owner) is refreshed from the catalog; entity pages read that copy.
     * A duration, e.g. `{ seconds: 30 }` or `PT30S`. Defaults to 30 seconds.
     */
    entityRefresh?: HumanDuration | string;
    /** The adoption dashboard's daily snapshots. */
    adoption?: {
      /**
       * How often today's snapshot of every component is written again (the
       * day keeps its last run's figures), e.g. `{ hours: 1 }` or `PT1H`.
       * Defaults to one hour.
       */
      frequency?: HumanDuration | string;
    };
    /** Registration of image versions (`POST /images`). */
    registration?: {
      /**
       * Whether each AMI of a registration is checked with EC2 to be an
       * image of its account in its region. When EC2 cannot be asked the
       * registration answers 503 (retryable) rather than going on unchecked.
       * Turn it off only for a portal with no AWS access. Defaults to true.
       */
      verifyArtifacts?: boolean;
      /**
       * The longest a registration may take, checks included; past it the
       * request answers 503 and nothing is registered. Defaults to 30 seconds.
       */
      timeout?: HumanDuration | string;
      /** Regions (of an account) checked at once. Defaults to 4. */
      concurrency?: number;
    };
    /** The rollout engine. */
    rollouts?: {
      /**
       * How often the engine observes every active rollout's fleets and moves
       * them on (one replica at a time). Defaults to 10 seconds.
       */
      frequency?: HumanDuration | string;
      /**
       * Rollouts reconciled at once in a tick (each its own entity and
       * environment). Defaults to 4; more shortens a tick with many rollouts
       * in flight, at the cost of more AWS calls at once (API rate limits).
       */
      concurrency?: number;
      /**
       * How long the clean-up of an aborted or failed rollout waits after
       * its last launch for the instances to show in AWS's reads, which lag
       * launches (EC2's eventual consistency), so that none is left behind.
       * Defaults to 1 minute; an emulator that shows launches at once can
       * use 0.
       */
      launchVisibility?: HumanDuration | string;
      /** The HTTP probe of `immutable-infra.io/rollout-probe`. */
      probe?: {
        /**
         * Hosts (`host` or `host:port`) a probe may reach besides the
         * instance's own address ({privateIp}, {publicIp}, {privateDns}):
         * for example a health proxy. None by default.
         */
        allowedHosts?: string[];
      };
    };
    /**
     * Automatic replacement of drift by policy (docs/remediation.md).
     */
    remediation?: {
      /**
       * The organisation default of the `immutable-infra.io/remediation`
       * annotation, for entities without one: `off`, `observe` or
       * `auto:<rule or root cause>[,…]`, optionally with
       * `; window=<days> <HH:MM-HH:MM> <tz>` and `; max-per-day=N`.
       * Defaults to `off`.
       */
      policy?: string;
      /**
       * How often the policies are applied to the drift found (one replica
       * at a time). Defaults to 15 seconds.
       */
      frequency?: HumanDuration | string;
      /**
       * Automatic rollouts active at once per AWS account and region.
       * Defaults to 2.
       */
      maxConcurrent?: number;
    };
    /** Defaults of the image and instance age policy. */
    policy?: {
      /** Images older than this are drift. Defaults to 30. */
      maxImageAgeDays?: number;
      /** Instances launched longer ago than this are drift. Defaults to 14. */
      maxInstanceAgeDays?: number;
      /** Versions per family that pruning always keeps. Defaults to 5. */
      keepVersions?: number;
      /** Versions younger than this many days are never pruned. Defaults to 7. */
      pruneMinAgeDays?: number;
    };
    /**
     * What the drift rules that read beyond EC2 ask for (docs/score.md,
     * "Facts beyond EC2").
     */
    drift?: {
      /**
       * Whether every running instance must be a Systems Manager managed
       * instance (rule `not-managed`); fleet sync asks Systems Manager only
       * when on. Defaults to false.
       */
      requireSystemsManager?: boolean;
      /**
       * Whether fleet sync reads Systems Manager's session list (active and
       * history) for the rule `interactive-session`. Defaults to true; turn
       * it off only where the list cannot exist (an emulator without it):
       * then no session is found.
       */
      sessionHistory?: boolean;
      /** The rule `logs-not-shipped` (a `cloudwatch:<group>` destination). */
      logs?: {
        /**
         * How long a new instance may run before its logs must show, e.g.
         * `{ hours: 2 }` or `PT2H`. Defaults to 2 hours.
         */
        grace?: HumanDuration | string;
        /**
         * How recent an instance's newest log event must be, e.g.
         * `{ hours: 6 }` or `PT6H`; keep it longer than an hour (CloudWatch
         * Logs updates a stream's last event time within about an hour) and
         * than the sync period. Defaults to 6 hours.
         */
        window?: HumanDuration | string;
      };
    };
    /**
     * The drift events consumer: an SQS queue fed by EventBridge rules with
     * EC2 state changes and the CloudTrail calls that create drift
     * (examples/drift-events/). Each event resyncs only the entities it
     * touches, seconds after the change; the periodic sync stays as the
     * backstop. Off while no queue is named.
     */
    events?: {
      /**
       * The queue's URL, for one account and region; `queues` names more.
       * Its account and region are read from an SQS URL
       * (`https://sqs.<region>.amazonaws.com/<account>/<name>`): events of
       * any other account or region are dropped as foreign.
       */
      queueUrl?: string;
      /** The queue's region, where its URL does not say it (an emulator). */
      region?: string;
      /**
       * The account whose credentials (`aws.accounts`) read the queue and
       * look instances up; the main account's when unset.
       */
      account?: string;
      /** One queue per account and region. */
      queues?: Array<{
        queueUrl: string;
        region?: string;
        account?: string;
      }>;
      /**
       * How long one run of the consumer's task receives before the task's
       * lock is let go (one replica consumes at a time). Defaults to 1 minute.
       */
      runFor?: HumanDuration | string;
      /** The longest one receive waits for a message, at most 20. Defaults to 20. */
      waitSeconds?: number;
      /** Messages larger than this are dropped as oversize. Defaults to 262144 (256 KiB). */
      maxEventBytes?: number;
      /** How long an event id is remembered to drop its duplicates. Defaults to 15 minutes. */
      dedupeWindow?: HumanDuration | string;
    };
    /** Tag keys read on instances. */
    tags?: {
      /** Tag naming an instance's environment. Defaults to `environment`. */
      environment?: string;
    };
  };
}
