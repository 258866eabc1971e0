import { defineDriftRule } from './DriftRuleDefinition';

/** Version specs that move when someone edits the launch template. */
const FLOATING_VERSIONS = new Set(['$Latest', '$Default']);

/**
 * An annotated Auto Scaling group launches its template's `$Latest` or
 * `$Default` version: an edit of the template then changes what it
 * launches, outside any rollout.
 *
 * @internal
 */
export const asgUnpinned = defineDriftRule({
  id: 'asg-unpinned',
  severity: 'medium',
  fails: ['on-channel-image'],
  evaluate: {
    autoscalingGroup: ({ name, found }) => {
      const template = found?.group.launchTemplate;
      return found && template && FLOATING_VERSIONS.has(template.version)
        ? {
            name,
            environment: found.environment,
            region: found.group.region,
            template,
          }
        : undefined;
    },
  },
  detail: ({ name, environment, region, template }) =>
    `Auto Scaling group ${name} (${environment}, ${region}) launches the ${
      template.version
    } version of ${template.name || template.id}${
      template.resolvedVersion ? ` (now ${template.resolvedVersion})` : ''
    }: an edit of the template changes what it launches, outside any rollout.`,
  rootCause: ({ name, region }) => `asg-unpinned:${name}:${region}`,
  fix: () =>
    'Pin the group to a numbered launch template version (a rollout does this).',
});
