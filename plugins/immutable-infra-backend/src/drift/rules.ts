import {
  Channel,
  DriftFinding,
  ImmutableInfraAnnotations,
} from '@immutable-infra/backstage-plugin-common';
import type { LaunchTemplateDefault } from '../providers/FleetProvider';
import {
  AutoScalingGroupRecord,
  ChannelVersionFacts,
  InstanceRecord,
  SyncState,
  VersionFacts,
} from './types';

const DAY = 86_400_000;

/** Everything the drift rules look at for one entity. @internal */
export type DriftInput = {
  annotations: ImmutableInfraAnnotations;
  policy: { maxImageAgeDays: number; maxInstanceAgeDays: number };
  instances: InstanceRecord[];
  /** Registered versions by AMI id, for every AMI the fleet runs. */
  versionsByImage: Map<string, VersionFacts>;
  /** The family's channels, with the version each points at. */
  channels: Channel[];
  /** Channel versions with their AMIs: `<family>@<n>` → version. */
  channelVersions: Map<string, ChannelVersionFacts>;
  launchTemplates: LaunchTemplateDefault[];
  /** The annotated Auto Scaling groups, per environment and region. */
  autoscalingGroups: AutoScalingGroupRecord[];
  sync?: SyncState;
  /** How often syncs run; stale after two periods without success. */
  syncPeriodMs: number;
  now: number;
};

function days(ms: number): number {
  return Math.floor(ms / DAY);
}

function ago(iso: string, now: number): string {
  const d = days(now - Date.parse(iso));
  if (d <= 0) {
    return 'today';
  }
  return d === 1 ? '1 day ago' : `${d} days ago`;
}

/** The AMI a channel points at in a region. */
function channelImage(
  input: DriftInput,
  channel: string,
  region: string,
): { version: ChannelVersionFacts; imageId?: string } | undefined {
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

/** Version specs that move when someone edits the launch template. */
const FLOATING_VERSIONS = new Set(['$Latest', '$Default']);

/**
 * The rules about the Auto Scaling groups the entity names: a group that
 * exists in none of its regions, a group whose launch template version
 * launches another AMI than the environment's channel, and a group that
 * follows `$Latest` or `$Default` (an edit of the template then changes what
 * it launches, outside any rollout).
 */
function evaluateAutoScalingGroups(
  input: DriftInput,
  add: (finding: DriftFinding) => void,
) {
  // By name: one group may serve several environments.
  const named = new Map<string, AutoScalingGroupRecord[]>();
  for (const record of input.autoscalingGroups) {
    named.set(record.name, [...(named.get(record.name) ?? []), record]);
  }
  for (const [name, records] of named) {
    const found = records.filter(r => r.group);
    if (found.length === 0) {
      const environments = [...new Set(records.map(r => r.environment))];
      const regions = [...new Set(records.map(r => r.region))];
      add({
        environment: environments.length === 1 ? environments[0] : undefined,
        region: regions.length === 1 ? regions[0] : undefined,
        rule: 'asg-missing',
        severity: 'high',
        rootCause: `asg-missing:${name}`,
        detail: `The Auto Scaling group ${name} (${environments.join(
          ', ',
        )}), named by immutable-infra.io/autoscaling-group, does not exist in ${regions.join(
          ', ',
        )}.`,
        fix: 'Create the group (Terraform) or correct the immutable-infra.io/autoscaling-group annotation.',
      });
      continue;
    }
    for (const { group, environment } of found) {
      const { region } = group!;
      const template = group!.launchTemplate;
      if (template && FLOATING_VERSIONS.has(template.version)) {
        add({
          environment,
          region,
          rule: 'asg-unpinned',
          severity: 'medium',
          rootCause: `asg-unpinned:${name}:${region}`,
          detail: `Auto Scaling group ${name} (${environment}, ${region}) launches the ${
            template.version
          } version of ${template.name || template.id}${
            template.resolvedVersion ? ` (now ${template.resolvedVersion})` : ''
          }: an edit of the template changes what it launches, outside any rollout.`,
          fix: 'Pin the group to a numbered launch template version (a rollout does this).',
        });
      }
      const imageId = template?.imageId ?? group!.launchConfiguration?.imageId;
      const channel = channelImage(input, environment, region);
      if (channel?.imageId && imageId !== channel.imageId) {
        const source = template
          ? `launch template ${template.name || template.id} version ${
              template.resolvedVersion ?? template.version
            }`
          : `launch configuration ${group!.launchConfiguration?.name ?? ''}`;
        add({
          environment,
          region,
          rule: 'launch-template-drift',
          severity: 'high',
          rootCause: `launch-template-drift:asg:${name}:${region}`,
          detail: `Auto Scaling group ${name} (${environment}) launches ${
            imageId ?? 'no AMI'
          } from its ${source}; the ${environment} channel is ${
            channel.version.id
          } (${channel.imageId}). New instances would drift.`,
          fix: `Roll the ${environment} fleet out to ${channel.version.id}: the group then launches it.`,
        });
      }
    }
  }
}

/**
 * Applies every drift rule to one entity's fleet. Pure: same input, same
 * findings. Each finding carries a sentence a developer understands, how to
 * fix it, and a root cause shared by every instance with the same problem.
 *
 * @internal
 */
export function evaluateDrift(input: DriftInput): DriftFinding[] {
  const { annotations, policy, now } = input;
  const family = annotations.imageFamily;
  const maxImageAge = annotations.maxImageAgeDays ?? policy.maxImageAgeDays;
  const maxInstanceAge =
    annotations.maxInstanceAgeDays ?? policy.maxInstanceAgeDays;
  const approval = annotations.stateful
    ? ' This service is stateful: replacing its instances needs approval.'
    : '';
  const findings: DriftFinding[] = [];
  const add = (finding: Omit<DriftFinding, 'detail'> & { detail: string }) =>
    findings.push({ ...finding, detail: finding.detail + approval });

  for (const instance of input.instances) {
    const base = {
      instanceId: instance.instanceId,
      region: instance.region,
      environment: instance.environment,
    };
    const version = instance.imageId
      ? input.versionsByImage.get(instance.imageId)
      : undefined;
    const channel = instance.environment
      ? channelImage(input, instance.environment, instance.region)
      : undefined;
    const channelText = channel
      ? `; the ${instance.environment} channel is ${channel.version.id}`
      : '';

    if (version?.state === 'revoked') {
      add({
        ...base,
        rule: 'revoked-image',
        severity: 'critical',
        rootCause: `revoked-image:${version.id}`,
        detail: `${instance.instanceId} runs ${instance.imageId} (${
          version.id
        }, revoked ${version.revokedAt ? ago(version.revokedAt, now) : ''}${
          version.revokeReason ? `: ${version.revokeReason}` : ''
        })${channelText}.`,
        fix: `Replace the instances running ${version.id} with the channel image (a replace-drifted rollout).`,
      });
    }
    if (instance.imageId && (!version || version.family !== family)) {
      add({
        ...base,
        rule: 'unregistered-image',
        severity: 'high',
        rootCause: `unregistered-image:${instance.imageId}`,
        detail: `${instance.instanceId} runs ${instance.imageId}, which is no registered version of ${family}: a hand-built image${channelText}.`,
        fix: 'Bake every change through the image pipeline and replace this instance with a registered version.',
      });
    } else if (
      version &&
      version.state !== 'revoked' &&
      channel?.imageId &&
      channel.imageId !== instance.imageId
    ) {
      add({
        ...base,
        rule: 'image-mismatch',
        severity: 'medium',
        rootCause: `image-mismatch:${instance.environment}:${version.id}`,
        detail: `${instance.instanceId} runs ${version.id} (${instance.imageId})${channelText}.`,
        fix: `Roll the ${instance.environment} fleet out to ${channel.version.id}.`,
      });
    }
    if (version) {
      const ageMs = now - Date.parse(version.createdAt);
      if (ageMs > maxImageAge * DAY) {
        add({
          ...base,
          rule: 'image-too-old',
          severity: 'medium',
          rootCause: `image-too-old:${version.id}`,
          detail: `${instance.instanceId} runs ${version.id}, built ${days(
            ageMs,
          )} days ago; the limit is ${maxImageAge} days.`,
          fix: 'Rebuild the image on the current base and roll it out.',
        });
      }
    }
    if (instance.launchTime) {
      const ageMs = now - Date.parse(instance.launchTime);
      if (ageMs > maxInstanceAge * DAY) {
        add({
          ...base,
          rule: 'instance-too-old',
          severity: 'medium',
          rootCause: `instance-too-old:${instance.environment ?? 'unknown'}`,
          detail: `${instance.instanceId} was launched ${days(
            ageMs,
          )} days ago and never replaced; the limit is ${maxInstanceAge} days.`,
          fix: 'Rotate the fleet: replace instances older than the limit, even on the same image.',
        });
      }
    }
    if (instance.sshExposure !== 'none') {
      const world = instance.sshExposure === 'world';
      add({
        ...base,
        rule: 'ssh-open',
        severity: world ? 'critical' : 'high',
        rootCause: `ssh-open:${instance.sshExposure}`,
        detail: `${
          instance.instanceId
        } allows SSH (port 22) from ${instance.sshSources.join(', ')}${
          world ? ': the whole internet' : ''
        }.`,
        fix: 'Remove the port 22 rule from its security groups; use SSM Session Manager for break-glass access.',
      });
    }
    if (instance.keyName) {
      add({
        ...base,
        rule: 'ssh-key',
        severity: 'low',
        rootCause: `ssh-key:${instance.keyName}`,
        detail: `${instance.instanceId} was launched with key pair ${instance.keyName}.`,
        fix: 'Launch without a key pair (remove KeyName from the launch template).',
      });
    }
  }

  const lastEnvironment =
    annotations.environments[annotations.environments.length - 1];
  for (const template of input.launchTemplates) {
    const channel = channelImage(input, lastEnvironment, template.region);
    if (channel?.imageId && template.imageId !== channel.imageId) {
      add({
        region: template.region,
        rule: 'launch-template-drift',
        severity: 'high',
        rootCause: `launch-template-drift:${template.id}:${template.region}`,
        detail: `Launch template ${template.name} (${template.id}) version ${
          template.defaultVersion
        } launches ${
          template.imageId ?? 'no AMI'
        }; the ${lastEnvironment} channel is ${channel.version.id} (${
          channel.imageId
        }). New instances would drift.`,
        fix: `Point the launch template's default version at ${channel.version.id} (a rollout does this).`,
      });
    }
  }

  evaluateAutoScalingGroups(input, add);

  const sync = input.sync;
  if (sync && sync.status === 'failed') {
    const lastGood = sync.lastSuccessAt ? Date.parse(sync.lastSuccessAt) : 0;
    if (now - lastGood > 2 * input.syncPeriodMs) {
      add({
        rule: 'stale-inventory',
        severity: 'high',
        rootCause: 'stale-inventory',
        detail: `The last sync failed (${
          sync.error ?? 'unknown error'
        }); the inventory shown is ${
          sync.lastSuccessAt
            ? `from ${ago(sync.lastSuccessAt, now)}`
            : 'empty: no sync has ever succeeded'
        }.`,
        fix: 'Check the AWS credentials and the fleet selector, then sync again.',
      });
    }
  }

  return findings;
}
