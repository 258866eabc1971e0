import {
  ImmutableInfraAnnotations,
  parseRolloutDuration,
  RolloutFleet,
  RolloutPlanStep,
  RolloutSpec,
  RolloutStrategyName,
} from '@immutable-infra/backstage-plugin-common';
import { Inventory } from '../drift/types';
import { RolloutStrategy, strategyOf, StrategyContext } from './strategies';

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
  /**
   * The fleets of `planFleets`, completed by what the planner read from
   * AWS (target groups, preview target groups, deregistration delays,
   * data volumes); planned from the inventory alone when absent.
   */
  fleets?: RolloutFleet[];
};

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
  /** What the person starting it should know, a sentence each. */
  notes?: string[];
};

/** The surge and the healthy share of a strategy under a spec. */
function percentsOf(strategy: RolloutStrategy, spec?: RolloutSpec) {
  return {
    surgePercent:
      strategy.surgePercent ??
      spec?.maxSurgePercent ??
      DEFAULT_MAX_SURGE_PERCENT,
    healthyPercent: spec?.minHealthyPercent ?? DEFAULT_MIN_HEALTHY_PERCENT,
  };
}

/**
 * The fleets of a rollout from the entity's last inventory: one per
 * annotated Auto Scaling group of the environment in each region, one per
 * region for the environment's instances that belong to no group, each
 * with its capacity, surge and minimum healthy. Answers the problems that
 * stop it, each a sentence naming what to fix.
 *
 * @internal
 */
export function planFleets(input: PlanInput): {
  fleets: RolloutFleet[];
  problems: string[];
} {
  const { environment, annotations, inventory, spec } = input;
  const problems: string[] = [];
  const { surgePercent, healthyPercent } = percentsOf(
    strategyOf(spec, annotations),
    spec,
  );
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
  return { fleets, problems };
}

/**
 * Plans a rollout: the shared planning of its fleets (`planFleets`, unless
 * given), then the steps of its strategy (`strategies/`), which may refuse
 * it or add notes. Answers the problems that stop it, each a sentence
 * naming what to fix.
 *
 * @internal
 */
export function planRollout(
  input: PlanInput,
):
  | { plan: RolloutPlan; problems: [] }
  | { plan?: undefined; problems: string[] } {
  const { environment, annotations, spec } = input;
  const strategy = strategyOf(spec, annotations);
  let fleets = input.fleets;
  if (!fleets) {
    const planned = planFleets(input);
    if (planned.problems.length > 0) {
      return { problems: planned.problems };
    }
    fleets = planned.fleets;
  }
  const problems: string[] = [];
  const notes: string[] = [];
  const alarms = annotations.rolloutAlarms ?? [];
  const context: StrategyContext = {
    environment,
    spec,
    annotations,
    fleets,
    refuse: problem => {
      if (!problems.includes(problem)) {
        problems.push(problem);
      }
    },
    note: text => notes.push(text),
    analysis: (duration, named) => {
      const watched = named ?? alarms;
      if (watched.length === 0) {
        context.refuse(
          'an analysis step names no alarms and the entity has no immutable-infra.io/rollout-alarms',
        );
      }
      return { durationMs: parseRolloutDuration(duration), alarms: watched };
    },
  };
  const steps = strategy
    .steps(context)
    .map((step, index) => ({ index, ...step }));
  if (problems.length > 0) {
    return { problems };
  }
  const { surgePercent, healthyPercent } = percentsOf(strategy, spec);
  return {
    plan: {
      strategy: strategy.name,
      fleets,
      steps,
      progressDeadlineMs:
        (spec?.progressDeadline
          ? parseRolloutDuration(spec.progressDeadline)
          : undefined) ?? DEFAULT_PROGRESS_DEADLINE_MS,
      stateful: annotations.stateful,
      alarms: strategy.watchesAlarms ? alarms : [],
      minHealthyPercent: healthyPercent,
      maxSurgePercent: surgePercent,
      ...(annotations.rolloutProbe ? { probe: annotations.rolloutProbe } : {}),
      ...(notes.length > 0 ? { notes } : {}),
    },
    problems: [],
  };
}
