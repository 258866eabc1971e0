import {
  CanaryStep,
  DEFAULT_CANARY_STEPS,
  ImmutableInfraAnnotations,
  parseRolloutDuration,
  RolloutFleet,
  RolloutPlanStep,
  RolloutSpec,
  RolloutStrategyName,
} from '@immutable-infra/backstage-plugin-common';
import { Inventory } from '../drift/types';

/** Extra capacity a fleet may run at once unless the spec says: 25%, at least one. @internal */
export const DEFAULT_MAX_SURGE_PERCENT = 25;
/** Share of a fleet that stays healthy unless the spec says. @internal */
export const DEFAULT_MIN_HEALTHY_PERCENT = 100;
/** How long a step may take unless the spec says. @internal */
export const DEFAULT_PROGRESS_DEADLINE_MS = 10 * 60_000;

/** Instance states that still count as capacity. */
const ALIVE = new Set(['pending', 'running']);

/** Everything a rollout's plan is made from. @internal */
export type PlanInput = {
  environment: string;
  annotations: ImmutableInfraAnnotations;
  inventory: Inventory;
  /** The AMI of the version the rollout goes to, per region. */
  targetImages: Map<string, string>;
  spec?: RolloutSpec;
  /** `replaceDrifted`: the instances with drift findings, the only ones replaced. */
  driftedInstanceIds?: Set<string>;
};

/** Blue keeps serving this long after the switch unless the spec says. @internal */
export const DEFAULT_SCALE_DOWN_DELAY = '30s';

/** A rollout's plan: its fleets and its steps. @internal */
export type RolloutPlan = {
  strategy: RolloutStrategyName;
  fleets: RolloutFleet[];
  steps: RolloutPlanStep[];
  progressDeadlineMs: number;
  stateful: boolean;
  /** Alarms watched on every tick (none for a rollback, which runs to escape them). */
  alarms: string[];
  /** `immutable-infra.io/rollout-probe`: part of the gate of every new instance. */
  probe?: string;
  /** Share of a fleet's current capacity that stays healthy. */
  minHealthyPercent?: number;
  /** Extra capacity, as a share of a fleet's current capacity, it may run at once. */
  maxSurgePercent?: number;
};

/**
 * Plans a rollout from the entity's last inventory: one fleet per annotated
 * Auto Scaling group of the environment in each region, one per region for
 * the environment's instances that belong to no group. Answers the problems
 * that stop it, each a sentence naming what to fix.
 *
 * @internal
 */
export function planRollout(
  input: PlanInput,
):
  | { plan: RolloutPlan; problems: [] }
  | { plan?: undefined; problems: string[] } {
  const { environment, annotations, inventory, spec } = input;
  const problems: string[] = [];
  const strategy: RolloutStrategyName =
    spec?.strategy ?? annotations.rolloutStrategy?.strategy ?? 'canary';
  // Blue-green runs the whole new capacity beside the old.
  const surgePercent =
    strategy === 'blueGreen'
      ? 100
      : spec?.maxSurgePercent ?? DEFAULT_MAX_SURGE_PERCENT;
  const healthyPercent = spec?.minHealthyPercent ?? DEFAULT_MIN_HEALTHY_PERCENT;
  const sized = (capacity: number) => ({
    capacity,
    maxSurge: Math.max(1, Math.ceil((capacity * surgePercent) / 100)),
    minHealthy: Math.ceil((capacity * healthyPercent) / 100),
  });
  const drifted = input.driftedInstanceIds;
  // Replace-drifted replaces the drifted; the others replace what runs
  // another AMI than the target.
  const toReplace = (
    instances: { instanceId: string; imageId?: string }[],
    targetImageId: string,
  ) =>
    instances
      .filter(i =>
        drifted ? drifted.has(i.instanceId) : i.imageId !== targetImageId,
      )
      .map(i => i.instanceId);

  const imageOf = new Map(
    inventory.instances.map(i => [i.instanceId, i.imageId]),
  );
  const target = (region: string) => {
    const imageId = input.targetImages.get(region);
    if (!imageId) {
      problems.push(
        `the version has no AMI in ${region}: register one there first`,
      );
    }
    return imageId ?? '';
  };

  const fleets: RolloutFleet[] = [];
  for (const record of inventory.autoscalingGroups) {
    if (record.environment !== environment || !record.group) {
      continue;
    }
    const group = record.group;
    const template = group.launchTemplate;
    if (!template?.id || template.resolvedVersion === undefined) {
      problems.push(
        `Auto Scaling group ${group.name} (${group.region}) launches from ${
          group.launchConfiguration
            ? `launch configuration ${group.launchConfiguration.name}`
            : 'no launch template'
        }: move it to a launch template first`,
      );
      continue;
    }
    const targetImageId = target(group.region);
    const inService = group.instances.filter(
      i => i.lifecycleState === undefined || !/Terminat/.test(i.lifecycleState),
    );
    const oldInstanceIds = toReplace(
      inService.map(i => ({
        instanceId: i.instanceId,
        imageId: imageOf.get(i.instanceId),
      })),
      targetImageId,
    );
    fleets.push({
      key: `asg:${group.region}:${group.name}`,
      kind: 'autoscaling-group',
      region: group.region,
      name: group.name,
      targetImageId,
      oldInstanceIds,
      ...(drifted ? { replaceOnly: true } : {}),
      targetGroupArns: group.targetGroupArns,
      launchTemplate: {
        id: template.id,
        name: template.name,
        version: template.resolvedVersion,
      },
      maxSize: group.maxSize,
      minSize: group.minSize,
      newInstancesProtected: group.newInstancesProtectedFromScaleIn ?? false,
      ...sized(group.desiredCapacity),
    });
  }

  const standalone = inventory.instances.filter(
    i =>
      i.environment === environment &&
      !i.asg &&
      ALIVE.has(i.state ?? 'running'),
  );
  const regions = [...new Set(standalone.map(i => i.region))].sort();
  for (const region of regions) {
    const instances = standalone.filter(i => i.region === region);
    const template = inventory.launchTemplates.find(t => t.region === region);
    if (!template) {
      problems.push(
        `${instances.length} ${environment} instance${
          instances.length === 1 ? '' : 's'
        } in ${region} ${
          instances.length === 1 ? 'belongs' : 'belong'
        } to no Auto Scaling group, and no launch template to launch replacements is known there: set immutable-infra.io/launch-template`,
      );
      continue;
    }
    const targetImageId = target(region);
    const oldInstanceIds = toReplace(instances, targetImageId);
    fleets.push({
      key: `instances:${region}`,
      kind: 'instances',
      region,
      name: `${environment} instances in ${region}`,
      targetImageId,
      oldInstanceIds,
      ...(drifted ? { replaceOnly: true } : {}),
      targetGroupArns: [],
      launchTemplate: {
        id: template.id,
        name: template.name,
        version: template.defaultVersion,
      },
      ...sized(instances.length),
    });
  }
  if (fleets.length === 0 && problems.length === 0) {
    problems.push(
      `the ${environment} environment has no fleet to roll out: no annotated Auto Scaling group and no instance found by the last sync`,
    );
  }
  if (
    drifted &&
    problems.length === 0 &&
    fleets.every(f => f.oldInstanceIds.length === 0)
  ) {
    problems.push(
      `no ${environment} instance has the drift to replace: the last sync found none`,
    );
  }
  const stateful = annotations.stateful;
  if (stateful && strategy === 'blueGreen') {
    problems.push(
      'the entity is stateful (immutable-infra.io/stateful): it rolls out in waves of one instance, never blue-green beside a second copy of its data',
    );
  }
  const bakeAlarms = annotations.rolloutAlarms ?? [];
  const steps = problems.length
    ? []
    : planSteps({ strategy, spec, annotations, fleets, bakeAlarms, problems });
  if (problems.length > 0) {
    return { problems };
  }
  return {
    plan: {
      strategy,
      fleets,
      steps,
      progressDeadlineMs:
        (spec?.progressDeadline
          ? parseRolloutDuration(spec.progressDeadline)
          : undefined) ?? DEFAULT_PROGRESS_DEADLINE_MS,
      stateful,
      alarms: strategy === 'rollback' ? [] : bakeAlarms,
      minHealthyPercent: healthyPercent,
      maxSurgePercent: surgePercent,
      ...(annotations.rolloutProbe ? { probe: annotations.rolloutProbe } : {}),
    },
    problems: [],
  };
}

/** The steps of a strategy; a step that cannot run is a problem. */
function planSteps(options: {
  strategy: RolloutStrategyName;
  spec?: RolloutSpec;
  annotations: ImmutableInfraAnnotations;
  fleets: RolloutFleet[];
  bakeAlarms: string[];
  problems: string[];
}): RolloutPlanStep[] {
  const { strategy, spec, annotations, fleets, bakeAlarms, problems } = options;
  const analysis = (duration: string, alarms?: string[]) => {
    const watched = alarms ?? bakeAlarms;
    if (watched.length === 0) {
      problems.push(
        'an analysis step names no alarms and the entity has no immutable-infra.io/rollout-alarms',
      );
    }
    return { durationMs: parseRolloutDuration(duration), alarms: watched };
  };
  if (annotations.stateful) {
    // Waves of one, each promoted, except when a fast rollback hurries.
    return waveSteps(fleets, () => 1, !(strategy === 'rollback' && spec?.fast));
  }
  if (strategy === 'replaceDrifted') {
    return waveSteps(fleets, f => f.maxSurge, false);
  }
  if (strategy === 'blueGreen') {
    const blueGreen = {
      ...(annotations.rolloutStrategy?.strategy === 'blueGreen'
        ? annotations.rolloutStrategy.blueGreen
        : {}),
      ...spec?.blueGreen,
    };
    const full = Object.fromEntries(fleets.map(f => [f.key, f.capacity]));
    const steps: Omit<RolloutPlanStep, 'index'>[] = [
      { kind: 'setWeight', weight: 100, keepOld: true, targets: full },
    ];
    if (blueGreen.prePromotionAnalysis) {
      steps.push({
        kind: 'analysis',
        ...analysis(
          blueGreen.prePromotionAnalysis.duration,
          blueGreen.prePromotionAnalysis.alarms,
        ),
        targets: full,
      });
    }
    if (!blueGreen.autoPromote) {
      steps.push({ kind: 'pause', targets: full });
    }
    steps.push(
      { kind: 'switch', targets: full },
      {
        kind: 'pause',
        durationMs: parseRolloutDuration(
          blueGreen.scaleDownDelay ?? DEFAULT_SCALE_DOWN_DELAY,
        ),
        targets: full,
      },
      { kind: 'setWeight', weight: 100, targets: full },
    );
    return steps.map((step, index) => ({ index, ...step }));
  }
  if (strategy === 'rollback' && spec?.fast) {
    return canarySteps([{ setWeight: 100 }], fleets, analysis);
  }
  const canary = (spec?.steps ??
    (annotations.rolloutStrategy?.strategy === 'canary'
      ? annotations.rolloutStrategy.steps
      : undefined) ??
    DEFAULT_CANARY_STEPS) as CanaryStep[];
  return canarySteps(canary, fleets, analysis);
}

/** New instances a fleet needs at a weight. */
function atWeight(fleet: RolloutFleet, weight: number): number {
  return Math.ceil((fleet.capacity * weight) / 100);
}

function canarySteps(
  canary: CanaryStep[],
  fleets: RolloutFleet[],
  analysis: (
    duration: string,
    alarms?: string[],
  ) => { durationMs?: number; alarms: string[] },
): RolloutPlanStep[] {
  let targets: Record<string, number> = Object.fromEntries(
    fleets.map(f => [f.key, 0]),
  );
  return canary.map((step, index) => {
    if ('setWeight' in step) {
      targets = Object.fromEntries(
        fleets.map(f => [f.key, atWeight(f, step.setWeight)]),
      );
      return { index, kind: 'setWeight', weight: step.setWeight, targets };
    }
    if ('analysis' in step) {
      return {
        index,
        kind: 'analysis',
        ...analysis(step.analysis.duration, step.analysis.alarms),
        targets,
      };
    }
    return {
      index,
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
 * wave is followed by a pause that only a promote ends (stateful entities).
 * Instances that stay (already on the target, or not drifted) need no wave.
 */
function waveSteps(
  fleets: RolloutFleet[],
  size: (fleet: RolloutFleet) => number,
  pauses: boolean,
): RolloutPlanStep[] {
  const staying = (fleet: RolloutFleet) =>
    Math.max(0, fleet.capacity - fleet.oldInstanceIds.length);
  const targets: Record<string, number> = Object.fromEntries(
    fleets.map(f => [f.key, staying(f)]),
  );
  const steps: RolloutPlanStep[] = [];
  for (const fleet of fleets) {
    const wave = Math.max(1, size(fleet));
    for (let n = staying(fleet); n < fleet.capacity; ) {
      n = Math.min(fleet.capacity, n + wave);
      targets[fleet.key] = n;
      steps.push({
        index: steps.length,
        kind: 'setWeight',
        weight: Math.round((n / fleet.capacity) * 100),
        targets: { ...targets },
      });
      if (pauses) {
        steps.push({
          index: steps.length,
          kind: 'pause',
          targets: { ...targets },
        });
      }
    }
  }
  // The last wave needs no promote after it.
  if (pauses && steps.length > 0) {
    steps.pop();
  }
  return steps;
}
