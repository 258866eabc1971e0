import { RolloutPlanStep } from '@immutable-infra/backstage-plugin-common';

/** A step in words. */
export function stepLabel(step: RolloutPlanStep | undefined): string {
  if (!step) {
    return 'finishing';
  }
  if (step.kind === 'setWeight') {
    return step.keepOld
      ? 'launch the full new capacity beside the old'
      : `set weight ${step.weight}%`;
  }
  if (step.kind === 'analysis') {
    return `analysis: ${step.alarms?.join(', ')} OK for ${Math.round(
      (step.durationMs ?? 0) / 1000,
    )} s`;
  }
  if (step.kind === 'switch') {
    return 'switch: the old instances leave their target groups';
  }
  return step.durationMs === undefined
    ? 'pause until promoted'
    : `pause ${Math.round(step.durationMs / 1000)} s`;
}
