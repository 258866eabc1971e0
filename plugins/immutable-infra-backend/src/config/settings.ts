import {
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import { Config, readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds, HumanDuration } from '@backstage/types';
import {
  parseRemediationPolicy,
  RemediationPolicy,
} from '@immutable-infra/backstage-plugin-common';
import { CronTime } from 'cron';

/** The plugin's settings, with defaults applied. @internal */
export type ImmutableInfraSettings = {
  regions: string[];
  /** How often fleets are synced and images discovered. */
  schedule: SchedulerServiceTaskScheduleDefinition;
  /** How often the copy of enrolled entities is refreshed from the catalog. */
  entityRefresh: HumanDuration;
  policy: {
    maxImageAgeDays: number;
    maxInstanceAgeDays: number;
    keepVersions: number;
    pruneMinAgeDays: number;
  };
  environmentTag: string;
  /** What the drift rules that read facts beyond EC2 ask for. */
  drift: {
    /** Whether every instance must be a Systems Manager managed instance. */
    requireSystemsManager: boolean;
    /** Whether fleet sync reads Systems Manager's interactive sessions. */
    sessionHistory: boolean;
    /** How long a new instance may run before its logs must show. */
    logGraceMs: number;
    /** How recent an instance's newest log event must be. */
    logWindowMs: number;
  };
  adoption: {
    /** How often today's adoption snapshot is written again. */
    frequency: HumanDuration;
  };
  rollouts: {
    /** How often the rollout engine observes and moves active rollouts. */
    frequency: HumanDuration;
    /** Hosts (`host` or `host:port`) the HTTP probe may reach beyond the instances' own addresses. */
    probeAllowedHosts: string[];
    /** Rollouts the engine reconciles at once in a tick. */
    concurrency: number;
    /** How long a clean-up waits after a rollout's last launch for its instances to show. */
    launchVisibilityMs: number;
  };
  /** Automatic replacement of drift (`src/remediation/`). */
  remediation: {
    /** The organisation default of `immutable-infra.io/remediation`. */
    policy: RemediationPolicy;
    /** How often the policies are applied to the drift found. */
    frequency: HumanDuration;
    /** Automatic rollouts active at once per AWS account and region. */
    maxConcurrent: number;
  };
  registration: {
    /**
     * Whether registration checks with EC2 that each AMI is an image of its
     * account in its region. Off only for a portal with no AWS access.
     */
    verifyArtifacts: boolean;
    /** The longest a registration may take, checks included. */
    timeoutMs: number;
    /** Regions checked at once. */
    concurrency: number;
  };
};

const DEFAULT_SCHEDULE: SchedulerServiceTaskScheduleDefinition = {
  frequency: { minutes: 5 },
  timeout: { minutes: 3 },
};

function readDuration(
  config: Config | undefined,
  key: string,
  fallback: HumanDuration,
): HumanDuration {
  return config?.has(key) ? readDurationFromConfig(config, { key }) : fallback;
}

/** `immutableInfra.remediation`; a policy that does not parse stops the start. */
function readRemediation(
  root: Config | undefined,
): ImmutableInfraSettings['remediation'] {
  const text = root?.getOptionalString('remediation.policy') ?? 'off';
  let policy: RemediationPolicy;
  try {
    policy = parseRemediationPolicy(text.trim());
  } catch (error) {
    throw new Error(
      `Invalid immutableInfra.remediation.policy "${text}": ${
        (error as Error).message
      }`,
    );
  }
  const maxConcurrent =
    root?.getOptionalNumber('remediation.maxConcurrent') ?? 2;
  if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) {
    throw new Error(
      `Invalid immutableInfra.remediation.maxConcurrent ${maxConcurrent}: must be a whole number of rollouts, at least 1`,
    );
  }
  return {
    policy,
    frequency: readDuration(root, 'remediation.frequency', { seconds: 15 }),
    maxConcurrent,
  };
}

/** Reads `immutableInfra` from the app config. @internal */
export function readSettings(config: Config): ImmutableInfraSettings {
  const root = config.getOptionalConfig('immutableInfra');
  const schedule = root?.getOptionalConfig('schedule');
  return {
    regions: root?.getOptionalStringArray('aws.regions') ?? ['us-east-1'],
    schedule: schedule
      ? readSchedulerServiceTaskScheduleDefinitionFromConfig(schedule)
      : DEFAULT_SCHEDULE,
    entityRefresh: readDuration(root, 'entityRefresh', { seconds: 30 }),
    policy: {
      maxImageAgeDays: root?.getOptionalNumber('policy.maxImageAgeDays') ?? 30,
      maxInstanceAgeDays:
        root?.getOptionalNumber('policy.maxInstanceAgeDays') ?? 14,
      keepVersions: root?.getOptionalNumber('policy.keepVersions') ?? 5,
      pruneMinAgeDays: root?.getOptionalNumber('policy.pruneMinAgeDays') ?? 7,
    },
    environmentTag:
      root?.getOptionalString('tags.environment') ?? 'environment',
    drift: {
      requireSystemsManager:
        root?.getOptionalBoolean('drift.requireSystemsManager') ?? false,
      sessionHistory: root?.getOptionalBoolean('drift.sessionHistory') ?? true,
      logGraceMs: durationToMilliseconds(
        readDuration(root, 'drift.logs.grace', { hours: 2 }),
      ),
      logWindowMs: durationToMilliseconds(
        readDuration(root, 'drift.logs.window', { hours: 6 }),
      ),
    },
    adoption: {
      frequency: readDuration(root, 'adoption.frequency', { hours: 1 }),
    },
    rollouts: {
      frequency: readDuration(root, 'rollouts.frequency', { seconds: 10 }),
      probeAllowedHosts:
        root?.getOptionalStringArray('rollouts.probe.allowedHosts') ?? [],
      concurrency: root?.getOptionalNumber('rollouts.concurrency') ?? 4,
      launchVisibilityMs: durationToMilliseconds(
        readDuration(root, 'rollouts.launchVisibility', { minutes: 1 }),
      ),
    },
    remediation: readRemediation(root),
    registration: {
      verifyArtifacts:
        root?.getOptionalBoolean('registration.verifyArtifacts') ?? true,
      timeoutMs: durationToMilliseconds(
        readDuration(root, 'registration.timeout', { seconds: 30 }),
      ),
      concurrency: root?.getOptionalNumber('registration.concurrency') ?? 4,
    },
  };
}

/** Occurrences of a cron schedule looked at for its longest gap. */
const CRON_SAMPLES = 16;

/**
 * The longest time between two runs of a schedule, in milliseconds, or
 * undefined for a schedule that runs only when triggered. A cron schedule's
 * gaps vary (weekdays only, say): the longest of its next runs is taken.
 *
 * @internal
 */
export function schedulePeriodMs(
  frequency: SchedulerServiceTaskScheduleDefinition['frequency'],
): number | undefined {
  if ('trigger' in frequency) {
    return undefined;
  }
  if ('cron' in frequency) {
    const runs = new CronTime(frequency.cron)
      .sendAt(CRON_SAMPLES)
      .map(run => run.toMillis());
    let longest = 0;
    for (let i = 1; i < runs.length; i++) {
      longest = Math.max(longest, runs[i] - runs[i - 1]);
    }
    return longest;
  }
  if ('toMillis' in frequency && typeof frequency.toMillis === 'function') {
    return frequency.toMillis();
  }
  return durationToMilliseconds(frequency as HumanDuration);
}
