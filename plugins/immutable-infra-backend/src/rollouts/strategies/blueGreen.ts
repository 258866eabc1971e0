import {
  BlueGreenOptions,
  parseRolloutDuration,
  RolloutAnalysis,
} from '@immutable-infra/backstage-plugin-common';
import {
  PlannedStep,
  RolloutStrategy,
  StrategyContext,
} from './RolloutStrategy';
import { channelVersion } from './steps';

/** Blue keeps serving this long after the switch unless the spec says. @internal */
export const DEFAULT_SCALE_DOWN_DELAY = '30s';

/** The annotation's blue-green (`blueGreen`, `blueGreen:auto`) under the spec's. */
function optionsOf(context: StrategyContext): BlueGreenOptions {
  const { annotations, spec } = context;
  return {
    ...(annotations.rolloutStrategy?.strategy === 'blueGreen'
      ? annotations.rolloutStrategy.blueGreen
      : {}),
    ...spec?.blueGreen,
  };
}

/**
 * How long blue is kept after the switch: the scale-down delay, never
 * shorter than the longest deregistration delay of the fleets' target
 * groups (blue's connections drain that long once it leaves them); the
 * plan says when it was raised.
 */
function scaleDownDelayMs(
  context: StrategyContext,
  options: BlueGreenOptions,
): number {
  const asked = parseRolloutDuration(
    options.scaleDownDelay ?? DEFAULT_SCALE_DOWN_DELAY,
  )!;
  const draining = Math.max(
    0,
    ...context.fleets.map(f => f.deregistrationDelayMs ?? 0),
  );
  if (draining <= asked) {
    return asked;
  }
  context.note(
    `scale-down delay raised to ${Math.ceil(
      draining / 1000,
    )}s, the target groups' deregistration delay`,
  );
  return draining;
}

/** Says which fleets' green takes production traffic as soon as it passes the gate. */
function notePreview(context: StrategyContext): void {
  const { annotations, environment, fleets } = context;
  if (!annotations.previewTargetGroups?.[environment]?.length) {
    context.note(
      `green serves production traffic from the moment it passes the gate: the entity names no preview target group for ${environment}`,
    );
    return;
  }
  for (const fleet of fleets.filter(f => !f.previewTargetGroupArns?.length)) {
    if (fleet.kind === 'autoscaling-group') {
      context.note(
        `green of ${fleet.name} serves production traffic from the moment the group puts it in service: an Auto Scaling group registers what it launches in its own target groups, never in a preview one`,
      );
      continue;
    }
    context.note(
      `green of ${fleet.name} serves production traffic from the moment it passes the gate: no preview target group of ${environment} is in ${fleet.region}`,
    );
  }
}

/**
 * Blue-green: the full new capacity (green) beside the old (blue),
 * registered in the preview target groups where the entity names them;
 * the gate and the pre-promotion analysis, a promote unless `autoPromote`,
 * the switch, the bake (the entity's alarms watched with blue kept whole)
 * and the post-promotion analysis, then blue kept for the scale-down delay
 * and retired. Refused for a stateful entity (a second copy of its data),
 * and for a bake with no alarms to watch.
 *
 * @internal
 */
export const blueGreen: RolloutStrategy = {
  name: 'blueGreen',
  pickVersion: channelVersion,
  surgePercent: 100,
  watchesAlarms: true,
  usesPreviewTargetGroups: true,
  steps: context => {
    const { annotations, fleets } = context;
    if (annotations.stateful) {
      context.refuse(
        'the entity is stateful (immutable-infra.io/stateful): it rolls out in waves of one instance, never blue-green beside a second copy of its data',
      );
      return [];
    }
    const options = optionsOf(context);
    const full = Object.fromEntries(fleets.map(f => [f.key, f.capacity]));
    const analysis = (watch?: RolloutAnalysis): PlannedStep[] =>
      watch
        ? [
            {
              kind: 'analysis',
              ...context.analysis(watch.duration, watch.alarms),
              targets: full,
            },
          ]
        : [];
    const steps: PlannedStep[] = [
      { kind: 'setWeight', weight: 100, keepOld: true, targets: full },
      ...analysis(options.prePromotionAnalysis),
    ];
    if (!options.autoPromote) {
      steps.push({ kind: 'pause', targets: full });
    }
    steps.push({ kind: 'switch', targets: full });
    if (options.bakeTime) {
      const alarms = annotations.rolloutAlarms ?? [];
      if (alarms.length === 0) {
        context.refuse(
          "a bake watches the entity's immutable-infra.io/rollout-alarms and it has none: name its alarms there, or leave bakeTime out",
        );
      }
      steps.push({
        kind: 'bake',
        durationMs: parseRolloutDuration(options.bakeTime),
        alarms,
        targets: full,
      });
    }
    steps.push(
      ...analysis(options.postPromotionAnalysis),
      {
        kind: 'pause',
        durationMs: scaleDownDelayMs(context, options),
        targets: full,
      },
      { kind: 'setWeight', weight: 100, targets: full },
    );
    notePreview(context);
    return steps;
  },
};
