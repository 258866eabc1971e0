import {
  CanaryStep,
  DEFAULT_CANARY_STEPS,
  parseRolloutDuration,
  RolloutFleet,
} from '@immutable-infra/backstage-plugin-common';
import { PlannedStep, StrategyContext } from './RolloutStrategy';

/** The environment's channel version: what every strategy but rollback goes to. @internal */
export async function channelVersion(versions: {
  channel?: number;
}): Promise<number | undefined> {
  return versions.channel;
}

/**
 * A canary's steps: the spec's, else the `rollout-strategy` annotation's
 * when it names a canary, else 10 → pause → 50 → pause → 100.
 *
 * @internal
 */
export function canaryStepsOf(context: StrategyContext): CanaryStep[] {
  const { spec, annotations } = context;
  return (spec?.steps ??
    (annotations.rolloutStrategy?.strategy === 'canary'
      ? annotations.rolloutStrategy.steps
      : undefined) ??
    DEFAULT_CANARY_STEPS) as CanaryStep[];
}

/** New instances a fleet needs at a weight. */
function atWeight(fleet: RolloutFleet, weight: number): number {
  return Math.ceil((fleet.capacity * weight) / 100);
}

/**
 * A canary's steps over the fleets: each weight the share of every
 * fleet's capacity on the new version, pauses and analyses at the weight
 * before them.
 *
 * @internal
 */
export function canarySteps(
  canary: CanaryStep[],
  context: StrategyContext,
): PlannedStep[] {
  const { fleets } = context;
  let targets: Record<string, number> = Object.fromEntries(
    fleets.map(f => [f.key, 0]),
  );
  return canary.map(step => {
    if ('setWeight' in step) {
      targets = Object.fromEntries(
        fleets.map(f => [f.key, atWeight(f, step.setWeight)]),
      );
      return { kind: 'setWeight', weight: step.setWeight, targets };
    }
    if ('analysis' in step) {
      return {
        kind: 'analysis',
        ...context.analysis(step.analysis.duration, step.analysis.alarms),
        targets,
      };
    }
    return {
      kind: 'pause',
      durationMs: step.pause.duration
        ? parseRolloutDuration(step.pause.duration)
        : undefined,
      targets,
    };
  });
}

/**
 * Waves, fleet after fleet, of `size` instances each; with `pauses` each
 * wave but the last is followed by a pause that only a promote ends.
 * Instances that stay (already on the target, or not drifted) need no wave.
 *
 * @internal
 */
export function waveSteps(
  fleets: RolloutFleet[],
  size: (fleet: RolloutFleet) => number,
  pauses: boolean,
): PlannedStep[] {
  const staying = (fleet: RolloutFleet) =>
    Math.max(0, fleet.capacity - fleet.oldInstanceIds.length);
  const targets: Record<string, number> = Object.fromEntries(
    fleets.map(f => [f.key, staying(f)]),
  );
  const steps: PlannedStep[] = [];
  for (const fleet of fleets) {
    const wave = Math.max(1, size(fleet));
    for (let n = staying(fleet); n < fleet.capacity; ) {
      n = Math.min(fleet.capacity, n + wave);
      targets[fleet.key] = n;
      steps.push({
        kind: 'setWeight',
        weight: Math.round((n / fleet.capacity) * 100),
        targets: { ...targets },
      });
      if (pauses) {
        steps.push({ kind: 'pause', targets: { ...targets } });
      }
    }
  }
  // The last wave needs no promote after it.
  if (pauses && steps.length > 0) {
    steps.pop();
  }
  return steps;
}

/**
 * A stateful entity (`immutable-infra.io/stateful`) goes in waves of one
 * instance, each waiting for a promote unless `pauses` is false.
 *
 * @internal
 */
export function statefulWaves(
  context: StrategyContext,
  pauses: boolean,
): PlannedStep[] {
  return waveSteps(context.fleets, () => 1, pauses);
}
