import { InstanceRecord } from '../types';
import { defineDriftRule } from './DriftRuleDefinition';
import { instancesPhrase } from './wording';

/**
 * How long a new instance has to register with Systems Manager (its agent
 * starts with the instance and registers within minutes).
 */
const REGISTRATION_GRACE_MS = 10 * 60 * 1000;

type Hit = { instance: InstanceRecord; unverified?: string };

/**
 * The policy requires Systems Manager and a running instance is not one of
 * its managed instances, as AWS Config's
 * ec2-instance-managed-by-systems-manager judges it
 * (https://docs.aws.amazon.com/config/latest/developerguide/ec2-instance-managed-by-systems-manager.html).
 * Whether it is could not be read (access denied, or not read yet): the
 * finding says so, it does not pass.
 *
 * @internal
 */
export const notManaged = defineDriftRule<Hit>({
  id: 'not-managed',
  severity: 'low',
  fails: [],
  evaluate: {
    instance: ({ instance }, { now, requireSystemsManager }) => {
      if (!requireSystemsManager || instance.state !== 'running') {
        return undefined;
      }
      if (
        instance.launchTime &&
        now - Date.parse(instance.launchTime) <= REGISTRATION_GRACE_MS
      ) {
        return undefined;
      }
      const fact = instance.systemsManager;
      if (fact?.status === 'managed') {
        return undefined;
      }
      if (fact?.status === 'unmanaged') {
        return { instance };
      }
      return {
        instance,
        unverified:
          (fact?.status === 'unknown' && fact.error) ||
          'not read since the policy asked for it',
      };
    },
  },
  detail: ({ instance, unverified }) =>
    unverified
      ? `Whether ${instance.instanceId} is a Systems Manager managed instance could not be verified: ${unverified}.`
      : `${instance.instanceId} is not a Systems Manager managed instance.`,
  rootCause: ({ unverified }) =>
    unverified ? 'not-managed:unverified' : 'not-managed:unmanaged',
  fix: ({ unverified }) =>
    unverified
      ? "Let the plugin's AWS role call ssm:DescribeInstanceInformation; the next sync checks again."
      : 'Run the SSM agent in the image and give the instance profile the AmazonSSMManagedInstanceCore policy, then replace the instances.',
  summary: ({ count, cause }) => {
    const { n, verb } = instancesPhrase(count);
    return cause === 'unverified'
      ? `${n} could not be checked with Systems Manager`
      : `${n} ${verb('is', 'are')} not managed by Systems Manager`;
  },
});
