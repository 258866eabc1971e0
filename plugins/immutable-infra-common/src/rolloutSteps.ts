import { RolloutPlanStep } from './rolloutSchemas';

/** A step's duration in words: `45 s`, `5 min`, `1 h`, `2 min 30 s`. */
function describeStepDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) {
    return `${seconds} s`;
  }
  if (seconds % 3600 === 0) {
    return `${seconds / 3600} h`;
  }
  const minutes = Math.floor(seconds / 60);
  return seconds % 60 === 0
    ? `${minutes} min`
    : `${minutes} min ${seconds % 60} s`;
}

/** ` 5 min` after a step with a duration; nothing without one. */
function lasting(step: RolloutPlanStep): string {
  return step.durationMs === undefined
    ? ''
    : ` ${describeStepDuration(step.durationMs)}`;
}

/** The alarms a step watches, or the rollout's when the step names none. */
function watching(step: RolloutPlanStep): string {
  return step.alarms?.length
    ? `watching alarm${step.alarms.length === 1 ? '' : 's'} ${step.alarms.join(
        ', ',
      )}`
    : "watching the rollout's alarms";
}

/** One step kind in words. */
const STEP_WORDS: Record<
  RolloutPlanStep['kind'],
  (step: RolloutPlanStep) => string
> = {
  setWeight: step =>
    step.keepOld
      ? 'launch the full new capacity beside the old'
      : `new version on ${step.weight ?? 100}% of the capacity`,
  pause: step =>
    step.durationMs === undefined
      ? 'pause until promoted'
      : `pause${lasting(step)}`,
  analysis: step => `analysis${lasting(step)}, ${watching(step)}`,
  switch: () =>
    'switch: traffic moves to the new instances, the old ones leave the target groups',
  bake: step =>
    `bake${lasting(step)}, ${watching(step)}; the old fleet kept whole`,
};

/**
 * A rollout step in the words the plan, the card, the timeline and the
 * scaffolder's log all use, such as `new version on 10% of the capacity`,
 * `pause until promoted`, `analysis 5 min, watching alarm web-5xx` or
 * `bake 10 min, watching alarm web-5xx; the old fleet kept whole`. A step
 * past the last is `finishing`; a kind this version does not know (a newer
 * backend's) is named as it is, with its duration.
 *
 * @public
 */
export function describeStep(step: RolloutPlanStep | undefined): string {
  if (!step) {
    return 'finishing';
  }
  const words = (
    STEP_WORDS as Partial<Record<string, (s: RolloutPlanStep) => string>>
  )[step.kind];
  return words ? words(step) : `${step.kind}${lasting(step)}`;
}
