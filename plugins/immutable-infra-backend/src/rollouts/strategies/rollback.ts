import { RolloutStrategy } from './RolloutStrategy';
import { canarySteps, canaryStepsOf, statefulWaves } from './steps';

/**
 * Rollback: to the version the environment ran before its last successful
 * rollout, by the canary's steps; `fast` goes in one step bounded by the
 * surge, skipping pauses and analyses (never the gate or the minimum
 * healthy). It watches no alarms: it runs to escape them.
 *
 * @internal
 */
export const rollback: RolloutStrategy = {
  name: 'rollback',
  pickVersion: versions => versions.previous(),
  watchesAlarms: false,
  steps: context => {
    const fast = Boolean(context.spec?.fast);
    if (context.annotations.stateful) {
      return statefulWaves(context, !fast);
    }
    return canarySteps(
      fast ? [{ setWeight: 100 }] : canaryStepsOf(context),
      context,
    );
  },
};
