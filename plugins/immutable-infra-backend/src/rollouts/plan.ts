import {
  CanaryStep,
  DEFAULT_CANARY_STEPS,
  ImmutableInfraAnnotations,
  parseRolloutDuration,
  RolloutFleet,
  RolloutPlanStep,
  RolloutSpec,
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
};

/** A rollout's plan: its fleets and its steps. @internal */
export type RolloutPlan = {
  fleets: RolloutFleet[];
  steps: RolloutPlanStep[];
  progressDeadlineMs: number;
  stateful: boolean;
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
  const surgePercent = spec?.maxSurgePercent ?? DEFAULT_MAX_SURGE_PERCENT;
  const healthyPercent = spec?.minHealthyPercent ?? DEFAULT_MIN_HEALTHY_PERCENT;
  const sized = (capacity: number) => ({
    capacity,
    maxSurge: Math.max(1, Math.ceil((capacity * surgePercent) / 100)),
    minHealthy: Math.ceil((capacity * healthyPercent) / 100),
  });
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
    fleets.push({
      key: `asg:${group.region}:${group.name}`,
      kind: 'autoscaling-group',
      region: group.region,
      name: group.name,
      targetImageId,
      oldInstanceIds: inService
        .filter(i => imageOf.get(i.instanceId) !== targetImageId)
        .map(i => i.instanceId),
      targetGroupArns: group.targetGroupArns,
      launchTemplate: {
        id: template.id,
        name: template.name,
        version: template.resolvedVersion,
      },
      maxSize: group.maxSize,
      minSize: group.minSize,
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
    fleets.push({
      key: `instances:${region}`,
      kind: 'instances',
      region,
      name: `${environment} instances in ${region}`,
      targetImageId,
      oldInstanceIds: instances
        .filter(i => i.imageId !== targetImageId)
        .map(i => i.instanceId),
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
  if (problems.length > 0) {
    return { problems };
  }

  const stateful = annotations.stateful;
  const canary = (spec?.steps ??
    annotations.rolloutStrategy?.steps ??
    DEFAULT_CANARY_STEPS) as CanaryStep[];
  const steps = stateful ? statefulSteps(fleets) : canarySteps(canary, fleets);
  return {
    plan: {
      fleets,
      steps,
      progressDeadlineMs:
        (spec?.progressDeadline
          ? parseRolloutDuration(spec.progressDeadline)
          : undefined) ?? DEFAULT_PROGRESS_DEADLINE_MS,
      stateful,
    },
    problems: [],
  };
}

/** New instances a fleet needs at a weight. */
function atWeight(fleet: RolloutFleet, weight: number): number {
  return Math.ceil((fleet.capacity * weight) / 100);
}

function canarySteps(
  canary: CanaryStep[],
  fleets: RolloutFleet[],
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
 * A stateful entity: waves of one instance, fleet after fleet, each
 * followed by a pause that only a promote ends.
 */
function statefulSteps(fleets: RolloutFleet[]): RolloutPlanStep[] {
  // Instances already on the new version need no wave of their own.
  const already = (fleet: RolloutFleet) =>
    Math.max(0, fleet.capacity - fleet.oldInstanceIds.length);
  const targets: Record<string, number> = Object.fromEntries(
    fleets.map(f => [f.key, already(f)]),
  );
  const steps: RolloutPlanStep[] = [];
  for (const fleet of fleets) {
    for (let n = already(fleet) + 1; n <= fleet.capacity; n++) {
      targets[fleet.key] = n;
      const weight = Math.round((n / fleet.capacity) * 100);
      steps.push({
        index: steps.length,
        kind: 'setWeight',
        weight,
        targets: { ...targets },
      });
      steps.push({
        index: steps.length,
        kind: 'pause',
        targets: { ...targets },
      });
    }
  }
  // The last wave needs no promote after it.
  if (steps.length > 0) {
    steps.pop();
  }
  return steps;
}
