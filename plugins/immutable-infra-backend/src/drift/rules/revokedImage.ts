import { defineDriftRule } from './DriftRuleDefinition';
import { ago, channelClause, instancesPhrase } from './wording';

/** The instance runs a revoked version. @internal */
export const revokedImage = defineDriftRule({
  id: 'revoked-image',
  severity: 'critical',
  fails: ['on-channel-image'],
  evaluate: {
    instance: (subject, { now }) =>
      subject.version?.state === 'revoked'
        ? { subject, version: subject.version, now }
        : undefined,
  },
  detail: ({ subject, version, now }) =>
    `${subject.instance.instanceId} runs ${subject.instance.imageId} (${
      version.id
    }, revoked ${version.revokedAt ? ago(version.revokedAt, now) : ''}${
      version.revokeReason ? `: ${version.revokeReason}` : ''
    })${channelClause(subject)}.`,
  rootCause: ({ version }) => `revoked-image:${version.id}`,
  fix: ({ version }) =>
    `Replace the instances running ${version.id} with the channel image (a replace-drifted rollout).`,
  summary: ({ count, cause }) => {
    const { n, verb } = instancesPhrase(count);
    return `${n} ${verb('runs', 'run')} the revoked ${cause}`;
  },
});
