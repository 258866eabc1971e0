import { defineDriftRule } from './DriftRuleDefinition';
import { instancesPhrase } from './wording';

/** The instance was launched with a key pair. @internal */
export const sshKey = defineDriftRule({
  id: 'ssh-key',
  severity: 'low',
  fails: ['no-ssh'],
  evaluate: {
    instance: ({ instance }) =>
      instance.keyName ? { instance, keyName: instance.keyName } : undefined,
  },
  detail: ({ instance, keyName }) =>
    `${instance.instanceId} was launched with key pair ${keyName}.`,
  rootCause: ({ keyName }) => `ssh-key:${keyName}`,
  fix: () =>
    'Launch without a key pair (remove KeyName from the launch template).',
  summary: ({ count, cause }) => {
    const { n, verb } = instancesPhrase(count);
    return `${n} ${verb('carries', 'carry')} the key pair ${cause}`;
  },
});
