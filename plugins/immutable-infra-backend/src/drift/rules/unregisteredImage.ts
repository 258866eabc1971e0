import { defineDriftRule } from './DriftRuleDefinition';
import { channelClause, instancesPhrase } from './wording';

/**
 * The instance runs an AMI that is no registered version of the entity's
 * family (a hand-built image, or another family's).
 *
 * @internal
 */
export const unregisteredImage = defineDriftRule({
  id: 'unregistered-image',
  severity: 'high',
  fails: ['on-channel-image', 'pipeline-images'],
  evaluate: {
    instance: (subject, { family }) => {
      const { instance, version } = subject;
      return instance.imageId && (!version || version.family !== family)
        ? { subject, imageId: instance.imageId, family }
        : undefined;
    },
  },
  detail: ({ subject, imageId, family }) =>
    `${
      subject.instance.instanceId
    } runs ${imageId}, which is no registered version of ${family}: a hand-built image${channelClause(
      subject,
    )}.`,
  rootCause: ({ imageId }) => `unregistered-image:${imageId}`,
  fix: () =>
    'Bake every change through the image pipeline and replace this instance with a registered version.',
  summary: ({ count, cause }) => {
    const { n, verb } = instancesPhrase(count);
    return `${n} ${verb(
      'runs',
      'run',
    )} ${cause}, an image no pipeline registered`;
  },
});
