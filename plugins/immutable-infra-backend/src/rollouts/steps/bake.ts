import { RolloutPlanStep } from '@immutable-infra/backstage-plugin-common';
import { RolloutRecord } from '../RolloutStore';
import { EngineContext } from '../transitions';
import { runAnalysis } from './analysis';

/**
 * Blue-green's bake, after the switch: the new instances serve alone while
 * the entity's alarms are watched for the bake time, and the old instances
 * stay running, whole, out of the target groups. An alarm in ALARM aborts,
 * and the abort switches back to them (see `cleanUp`); an alarm with no
 * data at the end pauses as inconclusive, as an analysis does. The
 * scale-down delay that follows is a separate step.
 *
 * @internal
 */
export function runBake(
  ctx: EngineContext,
  rollout: RolloutRecord,
  step: RolloutPlanStep,
): Promise<RolloutRecord | undefined> {
  return runAnalysis(ctx, rollout, step);
}
