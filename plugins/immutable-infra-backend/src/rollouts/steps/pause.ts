import { RolloutPlanStep } from '@immutable-infra/backstage-plugin-common';
import { RolloutRecord } from '../RolloutStore';
import { advance, EngineContext } from '../transitions';

/**
 * A pause: ends by a promote of this step (the store only takes a promote
 * of the step it was asked for) or when its duration has passed.
 *
 * @internal
 */
export async function runPause(
  ctx: EngineContext,
  rollout: RolloutRecord,
  step: RolloutPlanStep,
): Promise<RolloutRecord | undefined> {
  const started = rollout.stepStartedAt
    ? Date.parse(rollout.stepStartedAt)
    : ctx.now();
  const elapsed = ctx.now() - started;
  if (rollout.promoted) {
    return advance(ctx, rollout, 'promoted');
  }
  if (step.durationMs !== undefined && elapsed >= step.durationMs) {
    return advance(ctx, rollout, 'pause ended');
  }
  return undefined;
}
