import type { LaunchTemplateDefault } from '../../providers/FleetProvider';
import { ChannelImage, defineDriftRule } from './DriftRuleDefinition';

type Hit = { environment: string; channel: ChannelImage } & (
  | { template: LaunchTemplateDefault }
  | { group: string; region: string; imageId?: string; source: string }
);

/**
 * What the fleet launches next is another AMI than the channel: the default
 * version of the entity's launch template (per region) against the channel
 * of the last environment in promotion order, or an annotated Auto Scaling
 * group's launch template version (or launch configuration) against its
 * environment's channel in its region.
 *
 * @internal
 */
export const launchTemplateDrift = defineDriftRule<Hit>({
  id: 'launch-template-drift',
  severity: 'high',
  fails: ['on-channel-image'],
  madeByRollouts: true,
  evaluate: {
    launchTemplate: ({ template }, { input, channelImage }) => {
      const { environments } = input.annotations;
      const environment = environments[environments.length - 1];
      const channel = channelImage(environment, template.region);
      return channel?.imageId && template.imageId !== channel.imageId
        ? { environment, channel, template }
        : undefined;
    },
    autoscalingGroup: ({ name, found }, { channelImage }) => {
      if (!found) {
        return undefined;
      }
      const { environment, group } = found;
      const template = group.launchTemplate;
      const imageId = template?.imageId ?? group.launchConfiguration?.imageId;
      const channel = channelImage(environment, group.region);
      if (!channel?.imageId || imageId === channel.imageId) {
        return undefined;
      }
      const source = template
        ? `launch template ${template.name || template.id} version ${
            template.resolvedVersion ?? template.version
          }`
        : `launch configuration ${group.launchConfiguration?.name ?? ''}`;
      return {
        environment,
        channel,
        group: name,
        region: group.region,
        imageId,
        source,
      };
    },
  },
  detail: hit => {
    const channel = `the ${hit.environment} channel is ${hit.channel.version.id} (${hit.channel.imageId}). New instances would drift.`;
    if ('template' in hit) {
      const { template } = hit;
      return `Launch template ${template.name} (${template.id}) version ${
        template.defaultVersion
      } launches ${template.imageId ?? 'no AMI'}; ${channel}`;
    }
    return `Auto Scaling group ${hit.group} (${hit.environment}) launches ${
      hit.imageId ?? 'no AMI'
    } from its ${hit.source}; ${channel}`;
  },
  rootCause: hit =>
    'template' in hit
      ? `launch-template-drift:${hit.template.id}:${hit.template.region}`
      : `launch-template-drift:asg:${hit.group}:${hit.region}`,
  fix: hit =>
    'template' in hit
      ? `Point the launch template's default version at ${hit.channel.version.id} (a rollout does this).`
      : `Roll the ${hit.environment} fleet out to ${hit.channel.version.id}: the group then launches it.`,
});
