import { InstanceRecord } from '../types';
import { defineDriftRule } from './DriftRuleDefinition';
import { instancesPhrase } from './wording';

type Hit = { instance: InstanceRecord; world: boolean };

/**
 * A security group of the instance allows SSH: critical from the whole
 * internet (`0.0.0.0/0` or `::/0`), else high.
 *
 * @internal
 */
export const sshOpen = defineDriftRule<Hit>({
  id: 'ssh-open',
  severity: ({ world }) => (world ? 'critical' : 'high'),
  fails: ['no-ssh'],
  evaluate: {
    instance: ({ instance }) =>
      instance.sshExposure !== 'none'
        ? { instance, world: instance.sshExposure === 'world' }
        : undefined,
  },
  detail: ({ instance, world }) =>
    `${
      instance.instanceId
    } allows SSH (port 22) from ${instance.sshSources.join(', ')}${
      world ? ': the whole internet' : ''
    }.`,
  rootCause: ({ instance }) => `ssh-open:${instance.sshExposure}`,
  fix: () =>
    'Remove the port 22 rule from its security groups; use SSM Session Manager for break-glass access.',
  summary: ({ count, cause }) => {
    const { n, verb } = instancesPhrase(count);
    return `${n} ${verb('allows', 'allow')} SSH from ${
      cause === 'world' ? 'the whole internet' : 'some networks'
    }`;
  },
});
