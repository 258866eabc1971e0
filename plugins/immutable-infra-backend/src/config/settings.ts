import {
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import { Config, readDurationFromConfig } from '@backstage/config';
import { HumanDuration } from '@backstage/types';

/** The plugin's settings, with defaults applied. @internal */
export type ImmutableInfraSettings = {
  regions: string[];
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
};

/** Reads `immutableInfra` from the app config. @internal */
export function readSettings(config: Config): ImmutableInfraSettings {
  const root = config.getOptionalConfig('immutableInfra');
  const schedule = root?.getOptionalConfig('schedule');
  return {
    regions: root?.getOptionalStringArray('aws.regions') ?? ['us-east-1'],
    schedule: schedule
      ? readSchedulerServiceTaskScheduleDefinitionFromConfig(schedule)
      : { frequency: { minutes: 5 }, timeout: { minutes: 3 } },
    entityRefresh: root?.has('entityRefresh')
      ? readDurationFromConfig(root.getConfig('entityRefresh'))
      : { seconds: 30 },
    policy: {
      maxImageAgeDays: root?.getOptionalNumber('policy.maxImageAgeDays') ?? 30,
      maxInstanceAgeDays:
        root?.getOptionalNumber('policy.maxInstanceAgeDays') ?? 14,
      keepVersions: root?.getOptionalNumber('policy.keepVersions') ?? 5,
      pruneMinAgeDays: root?.getOptionalNumber('policy.pruneMinAgeDays') ?? 7,
    },
    environmentTag:
      root?.getOptionalString('tags.environment') ?? 'environment',
  };
}
