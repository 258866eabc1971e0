import { RolloutStrategy } from './RolloutStrategy';
import { channelVersion, statefulWaves, waveSteps } from './steps';

/**
 * Replace-drifted: only the instances with drift findings (the planner
 * reads them from the entity's Drift tab), replaced by twins from the
 * channel image in waves of each fleet's surge; a stateful entity goes in
 * waves of one, each promoted. Refused when none has the drift.
 *
 * @internal
 */
export const replaceDrifted: RolloutStrategy = {
  name: 'replaceDrifted',
  pickVersion: channelVersion,
  watchesAlarms: true,
  replacesOnlyDrifted: true,
  steps: context => {
    if (context.fleets.every(f => f.oldInstanceIds.length === 0)) {
      context.refuse(
        `no ${context.environment} instance has the drift to replace: the last sync found none`,
      );
      return [];
    }
    return context.annotations.stateful
      ? statefulWaves(context, true)
      : waveSteps(context.fleets, f => f.maxSurge, false);
  },
};
