import { InstanceRecord } from '../types';
import { defineDriftRule } from './DriftRuleDefinition';
import { instancesPhrase } from './wording';

type Hit = { instance: InstanceRecord; httpTokens?: string };

/**
 * The instance answers instance metadata v1: EC2's
 * `MetadataOptions.HttpTokens` is not `required`, as AWS Config's
 * ec2-imdsv2-check judges it
 * (https://docs.aws.amazon.com/config/latest/developerguide/ec2-imdsv2-check.html).
 * An instance whose options EC2 did not report is not taken as safe.
 *
 * @internal
 */
export const imdsv1Allowed = defineDriftRule<Hit>({
  id: 'imdsv1-allowed',
  severity: 'medium',
  fails: [],
  evaluate: {
    instance: ({ instance }) =>
      instance.metadataHttpTokens === 'required'
        ? undefined
        : { instance, httpTokens: instance.metadataHttpTokens },
  },
  detail: ({ instance, httpTokens }) =>
    httpTokens
      ? `${instance.instanceId} allows instance metadata v1 (HttpTokens is ${httpTokens}, not required).`
      : `${instance.instanceId} may allow instance metadata v1: EC2 did not report its metadata options.`,
  rootCause: ({ httpTokens }) => `imdsv1-allowed:${httpTokens ?? 'unreported'}`,
  fix: () =>
    "Require instance metadata v2: set MetadataOptions HttpTokens to required in the launch template (or the AMI's ImdsSupport to v2.0), then replace the instances.",
  summary: ({ count }) => {
    const { n, verb } = instancesPhrase(count);
    return `${n} ${verb('allows', 'allow')} instance metadata v1`;
  },
});
