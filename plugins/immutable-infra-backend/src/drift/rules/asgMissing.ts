import { defineDriftRule } from './DriftRuleDefinition';

/**
 * An Auto Scaling group named by `immutable-infra.io/autoscaling-group`
 * exists in none of the entity's regions: one finding per name, whatever
 * environments share it.
 *
 * @internal
 */
export const asgMissing = defineDriftRule({
  id: 'asg-missing',
  severity: 'high',
  fails: ['on-channel-image'],
  evaluate: {
    autoscalingGroup: ({ name, records, found }) =>
      found
        ? undefined
        : {
            name,
            environments: [...new Set(records.map(r => r.environment))],
            regions: [...new Set(records.map(r => r.region))],
          },
  },
  detail: ({ name, environments, regions }) =>
    `The Auto Scaling group ${name} (${environments.join(
      ', ',
    )}), named by immutable-infra.io/autoscaling-group, does not exist in ${regions.join(
      ', ',
    )}.`,
  rootCause: ({ name }) => `asg-missing:${name}`,
  fix: () =>
    'Create the group (Terraform) or correct the immutable-infra.io/autoscaling-group annotation.',
});
