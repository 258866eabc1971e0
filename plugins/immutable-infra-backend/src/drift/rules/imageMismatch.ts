import { defineDriftRule } from './DriftRuleDefinition';
import { channelClause, instancesPhrase } from './wording';

/**
 * The instance runs a registered version of the family other than the one
 * its environment's channel points at in its region. Silent without an
 * environment, a channel, or a channel AMI in the region.
 *
 * @internal
 */
export const imageMismatch = defineDriftRule({
  id: 'image-mismatch',
  severity: 'medium',
  fails: ['on-channel-image'],
  madeByRollouts: true,
  evaluate: {
    instance: (subject, { family }) => {
      const { version, channel, instance } = subject;
      // Revoked and unregistered images are the other rules' findings.
      return version &&
        version.family === family &&
        version.state !== 'revoked' &&
        channel?.imageId &&
        channel.imageId !== instance.imageId
        ? { subject, version, channel }
        : undefined;
    },
  },
  detail: ({ subject, version }) =>
    `${subject.instance.instanceId} runs ${version.id} (${
      subject.instance.imageId
    })${channelClause(subject)}.`,
  rootCause: ({ subject, version }) =>
    `image-mismatch:${subject.instance.environment}:${version.id}`,
  fix: ({ subject, channel }) =>
    `Roll the ${subject.instance.environment} fleet out to ${channel.version.id}.`,
  summary: ({ count, cause }) => {
    const { n, verb } = instancesPhrase(count);
    const [environment, version] = cause.split(':');
    return `${n} in ${environment} ${verb(
      'runs',
      'run',
    )} ${version}, not the channel image`;
  },
});
