import { RolloutStrategy } from './RolloutStrategy';
import {
  canarySteps,
  canaryStepsOf,
  channelVersion,
  statefulWaves,
} from './steps';

/**
 * Canary: to the channel version, by weights (shares of each fleet's
 * capacity), pauses and analyses; a stateful entity goes in waves of one,
 * each promoted.
 *
 * @internal
 */
export const canary: RolloutStrategy = {
  name: 'canary',
  pickVersion: channelVersion,
  watchesAlarms: true,
  steps: context =>
    context.annotations.stateful
      ? statefulWaves(context, true)
      : canarySteps(canaryStepsOf(context), context),
};
