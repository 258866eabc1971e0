import {
  ImmutableInfraAnnotations,
  RolloutSpec,
  RolloutStrategyName,
} from '@immutable-infra/backstage-plugin-common';
import { blueGreen } from './blueGreen';
import { canary } from './canary';
import { replaceDrifted } from './replaceDrifted';
import { rollback } from './rollback';
import { RolloutStrategy } from './RolloutStrategy';

export type {
  PlannedStep,
  RolloutStrategy,
  StrategyContext,
} from './RolloutStrategy';

/**
 * Every strategy by name: a new one is a file here and a line below (and
 * its name in `ROLLOUT_STRATEGIES` in -common).
 *
 * @internal
 */
export const ROLLOUT_STRATEGY_REGISTRY: Record<
  RolloutStrategyName,
  RolloutStrategy
> = { canary, blueGreen, replaceDrifted, rollback };

/**
 * The strategy a rollout follows: the request's, else the entity's
 * `immutable-infra.io/rollout-strategy`, else canary.
 *
 * @internal
 */
export function strategyOf(
  spec: RolloutSpec | undefined,
  annotations: ImmutableInfraAnnotations,
): RolloutStrategy {
  return ROLLOUT_STRATEGY_REGISTRY[
    spec?.strategy ?? annotations.rolloutStrategy?.strategy ?? 'canary'
  ];
}
