import {
  AutoScalingGroupSubject,
  ChannelImage,
  DEFAULT_LOG_GRACE_MS,
  DEFAULT_LOG_WINDOW_MS,
  DriftContext,
  DriftInput,
  DriftSubjects,
} from './DriftRuleDefinition';
import { AutoScalingGroupRecord } from '../types';

/** The AMI a channel points at in a region. */
function channelImage(
  input: DriftInput,
  channel: string,
  region: string,
): ChannelImage | undefined {
  const ref = input.channels.find(c => c.name === channel)?.version;
  const version = ref ? input.channelVersions.get(ref) : undefined;
  if (!version) {
    return undefined;
  }
  return {
    version,
    imageId: version.artifacts.find(a => a.region === region)?.imageId,
  };
}

/** What every rule may read of one entity's input. @internal */
export function driftContext(input: DriftInput): DriftContext {
  const { annotations, policy } = input;
  return {
    input,
    now: input.now,
    family: annotations.imageFamily,
    maxImageAgeDays: annotations.maxImageAgeDays ?? policy.maxImageAgeDays,
    maxInstanceAgeDays:
      annotations.maxInstanceAgeDays ?? policy.maxInstanceAgeDays,
    requireSystemsManager: policy.requireSystemsManager ?? false,
    logGraceMs: policy.logGraceMs ?? DEFAULT_LOG_GRACE_MS,
    logWindowMs: policy.logWindowMs ?? DEFAULT_LOG_WINDOW_MS,
    channelImage: (environment, region) =>
      channelImage(input, environment, region),
  };
}

/**
 * The annotated groups by name (one group may serve several environments):
 * one subject for a name that exists in no region, else one per group found.
 */
function autoscalingGroupSubjects(
  records: AutoScalingGroupRecord[],
): AutoScalingGroupSubject[] {
  const named = new Map<string, AutoScalingGroupRecord[]>();
  for (const record of records) {
    named.set(record.name, [...(named.get(record.name) ?? []), record]);
  }
  const subjects: AutoScalingGroupSubject[] = [];
  for (const [name, list] of named) {
    const found = list.filter(r => r.group);
    if (found.length === 0) {
      const environments = [...new Set(list.map(r => r.environment))];
      const regions = [...new Set(list.map(r => r.region))];
      subjects.push({
        location: {
          environment: environments.length === 1 ? environments[0] : undefined,
          region: regions.length === 1 ? regions[0] : undefined,
        },
        name,
        records: list,
      });
      continue;
    }
    for (const { group, environment } of found) {
      subjects.push({
        location: { environment, region: group!.region },
        name,
        records: list,
        found: { environment, group: group! },
      });
    }
  }
  return subjects;
}

/**
 * Every subject of one entity, by kind, in the order its findings are
 * listed.
 *
 * @internal
 */
export function driftSubjects(context: DriftContext): {
  [K in keyof DriftSubjects]: DriftSubjects[K][];
} {
  const { input } = context;
  return {
    instance: input.instances.map(instance => ({
      location: {
        instanceId: instance.instanceId,
        region: instance.region,
        environment: instance.environment,
      },
      instance,
      version: instance.imageId
        ? input.versionsByImage.get(instance.imageId)
        : undefined,
      channel: instance.environment
        ? context.channelImage(instance.environment, instance.region)
        : undefined,
    })),
    launchTemplate: input.launchTemplates.map(template => ({
      // What the template's default launches is judged against the last
      // environment in promotion order: the finding is about that one.
      location: {
        region: template.region,
        environment:
          input.annotations.environments[
            input.annotations.environments.length - 1
          ],
      },
      template,
    })),
    autoscalingGroup: autoscalingGroupSubjects(input.autoscalingGroups),
    entity: [{ location: {}, sync: input.sync }],
  };
}
