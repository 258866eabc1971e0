import {
  describeStep,
  DriftFinding,
  RolloutState,
} from '@immutable-infra/backstage-plugin-common';
import { DRIFT_RULE_DEFINITIONS } from './rules';
import type { ActiveRollout } from './types';

/**
 * The states of a rollout on its way: its environment is mixed on purpose.
 * An aborted or failed one that still cleans up is not: the fleet it
 * leaves mixed is drift again.
 */
const ON_ITS_WAY: ReadonlyArray<RolloutState> = [
  'pending',
  'running',
  'paused',
];

/** The rules whose findings a rollout makes while it runs. */
const MADE_BY_ROLLOUTS = new Set(
  DRIFT_RULE_DEFINITIONS.filter(rule => rule.madeByRollouts).map(
    rule => rule.id,
  ),
);

/** The rollouts on their way, of those holding an environment. @internal */
export function rolloutsOnTheirWay(
  rollouts: ActiveRollout[] | undefined,
): ActiveRollout[] {
  return (rollouts ?? []).filter(r => ON_ITS_WAY.includes(r.state));
}

/**
 * The rollout on its way that made a finding, if any: one of the finding's
 * environment, for a rule that declares rollouts make its findings, that
 * replaces the instance (a replace-drifted rollout replaces only the
 * instances it names, and leaves the launch template as it is).
 *
 * @internal
 */
export function rolloutMaking(
  finding: DriftFinding,
  rollouts: ActiveRollout[],
): ActiveRollout | undefined {
  if (!MADE_BY_ROLLOUTS.has(finding.rule) || !finding.environment) {
    return undefined;
  }
  const { instanceId } = finding;
  return rollouts.find(
    r =>
      r.environment === finding.environment &&
      (r.fleets.every(f => !f.replaceOnly) ||
        (instanceId !== undefined &&
          r.fleets.some(
            f => f.replaceOnly && f.oldInstanceIds.includes(instanceId),
          ))),
  );
}

/**
 * How far a rollout is, in words: `production is rolling out to web@2
 * (rollout …): step 2 of 5, pause until promoted; 1 of 4 instances on
 * web@2 and healthy`. The instances counted are those the rollout brings to
 * the version: the capacity the fleet wants now, or for a replace-drifted
 * fleet the instances it replaces.
 *
 * @internal
 */
export function rolloutProgress(rollout: ActiveRollout): string {
  let done = 0;
  let total = 0;
  for (const fleet of rollout.fleets) {
    const status = rollout.status.find(s => s.key === fleet.key);
    const wanted = fleet.replaceOnly
      ? fleet.oldInstanceIds.length
      : status?.capacity ?? fleet.capacity;
    total += wanted;
    done += Math.min(wanted, status?.healthyNewInstances ?? 0);
  }
  const count = rollout.steps.length;
  return `${rollout.environment} is rolling out to ${
    rollout.toVersion
  } (rollout ${rollout.id}${
    rollout.state === 'paused' ? ', paused' : ''
  }): step ${Math.min(
    rollout.currentStep + 1,
    count,
  )} of ${count}, ${describeStep(
    rollout.steps[rollout.currentStep],
  )}; ${done} of ${total} instances on ${rollout.toVersion} and healthy`;
}
