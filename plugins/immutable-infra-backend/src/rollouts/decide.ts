import {
  RolloutFleet,
  RolloutFleetStatus,
  RolloutGateHold,
  RolloutPlanStep,
} from '@immutable-infra/backstage-plugin-common';

/** An instance of a fleet as the engine observes it. @internal */
export type ObservedInstance = {
  instanceId: string;
  imageId?: string;
  state?: string;
  /** When it was launched, to replace the oldest first. */
  launchTime?: string;
  /** Whether it passed the gate; only asked of instances on the target AMI. */
  healthy?: boolean;
  /** Why it has not passed the gate. */
  waiting?: string;
  /** What holds it at the gate, as AWS reported it. */
  hold?: RolloutGateHold;
  /** Whether it carries this rollout's id tag. */
  launchedByRollout?: boolean;
  /** In an Auto Scaling group: whether scale-in skips it. */
  protectedFromScaleIn?: boolean;
  subnetId?: string;
  /** The launch slot it fills (a standalone launch's tag). */
  slot?: string;
  /**
   * Out of the fleet's target groups (draining, or gone from them): being
   * retired, it serves nothing.
   */
  deregistered?: boolean;
};

/**
 * What one step wants of one fleet, in numbers of the capacity the fleet
 * wants now: for an Auto Scaling group what its own scaling asks for (the
 * desired capacity less the rollout's surge), read on every tick; for
 * standalone instances the capacity planned.
 *
 * @internal
 */
export type FleetGoal = {
  /** The capacity the fleet wants now. */
  capacity: number;
  /** Instances on the target (new, or staying for replace-drifted) wanted by the step's end. */
  target: number;
  /** Old instances the step may leave running. */
  keepOld: number;
  /** Extra instances the fleet may run at once. */
  maxSurge: number;
  /** Instances that must stay healthy. */
  minHealthy: number;
  /**
   * For an Auto Scaling group: the capacity the rollout added and has not
   * retired. Each retirement lowers the group's desired capacity, so no
   * more old instances go than it added: the group's wanted capacity is
   * never lowered by the rollout.
   */
  retireAtMost?: number;
};

/** What the engine does to one fleet in one tick. @internal */
export type FleetDecision = {
  /** Instances to launch from the new template version. */
  launch: number;
  /** Old instances to terminate: idle ones, or running ones whose replacements passed. */
  terminate: string[];
  /**
   * An Auto Scaling group whose old instances are the only ones scale-in
   * may choose, all running: the terminations are one lower desired
   * capacity, the group picking which old instances go (any of them keeps
   * the same healthy count).
   */
  scaleIn: boolean;
  /** Whether the fleet has reached the step's target. */
  done: boolean;
  /** Instances that hold a place in the fleet now. */
  present: number;
  status: RolloutFleetStatus;
};

/** States that still hold a place in the fleet (a stopped instance too). */
export const PRESENT = new Set(['pending', 'running', 'stopping', 'stopped']);

/**
 * Whether an instance is one the rollout replaces: for replace-drifted the
 * drifted instances planned, otherwise any that runs another AMI than the
 * target. Every other present instance counts as new (or as staying).
 *
 * @internal
 */
export function replacedBy(
  fleet: RolloutFleet,
): (instance: { instanceId: string; imageId?: string }) => boolean {
  if (fleet.replaceOnly) {
    const planned = new Set(fleet.oldInstanceIds);
    return i => planned.has(i.instanceId);
  }
  return i => i.imageId !== fleet.targetImageId;
}

/**
 * The surge and the healthy floor of a fleet that wants `capacity` now:
 * the plan's percentages of it (plans made before they were kept: the
 * numbers planned).
 *
 * @internal
 */
export function limitsOf(
  plan: { minHealthyPercent?: number; maxSurgePercent?: number },
  fleet: RolloutFleet,
  capacity: number,
): { capacity: number; maxSurge: number; minHealthy: number } {
  return {
    capacity,
    maxSurge:
      plan.maxSurgePercent === undefined
        ? fleet.maxSurge
        : Math.max(1, Math.ceil((capacity * plan.maxSurgePercent) / 100)),
    minHealthy:
      plan.minHealthyPercent === undefined
        ? fleet.minHealthy
        : Math.ceil((capacity * plan.minHealthyPercent) / 100),
  };
}

/**
 * The goal of a step that replaces instances (`setWeight`), for a fleet
 * that wants `capacity` now. Weights are shares of that capacity (a group
 * that a scaling policy grew from 4 to 10 gets 3 new instances at 25%, not
 * 1); waves of replace-drifted and of a stateful entity keep the number of
 * old instances they planned to keep; blue-green's first step launches the
 * whole capacity beside every old instance.
 *
 * @internal
 */
export function goalOf(
  plan: {
    strategy: string;
    stateful: boolean;
    minHealthyPercent?: number;
    maxSurgePercent?: number;
  },
  fleet: RolloutFleet,
  step: RolloutPlanStep,
  capacity: number,
): FleetGoal {
  const sized = limitsOf(plan, fleet, capacity);
  if (step.keepOld) {
    return { ...sized, target: capacity, keepOld: Number.MAX_SAFE_INTEGER };
  }
  if (plan.stateful || plan.strategy === 'replaceDrifted') {
    const keepOld = Math.max(
      0,
      fleet.capacity - (step.targets[fleet.key] ?? 0),
    );
    return { ...sized, target: Math.max(0, capacity - keepOld), keepOld };
  }
  const target = Math.min(
    capacity,
    Math.ceil((capacity * (step.weight ?? 100)) / 100),
  );
  return { ...sized, target, keepOld: capacity - target };
}

/**
 * Decides, for one fleet and what the current step wants of it, what to
 * launch and what to terminate. Pure. The rules:
 * - instances on the target AMI count as new, whoever launched them
 *   (for replace-drifted: every instance not planned for replacement);
 * - launches never take the fleet over its capacity plus `maxSurge`;
 * - an old instance that serves nothing (stopped, stopping, out of its
 *   target groups) goes first, whatever the healthy count: it holds a
 *   place and serves nobody;
 * - a running old instance goes only when the healthy instances left (new
 *   ones that passed the gate, and running old ones) stay at `minHealthy`
 *   or more, and only down to the old instances the step keeps;
 * - the step is done for the fleet when `target` new instances passed and
 *   no more old ones remain than it keeps;
 * - a group still scaling in (desired capacity below its instances) is
 *   waited for: nothing launched (raising the capacity would cancel the
 *   scale-in) nor terminated until it settles;
 * - a group that can scale in (see {@link FleetDecision.scaleIn}) launches
 *   and scales in in different ticks: one desired capacity cannot do both.
 *
 * @internal
 */
export function decideFleet(
  fleet: RolloutFleet,
  goal: FleetGoal,
  observed: ObservedInstance[],
  options: { desiredCapacity?: number } = {},
): FleetDecision {
  const present = observed.filter(i => PRESENT.has(i.state ?? 'running'));
  const isOld = replacedBy(fleet);
  const onTarget = present.filter(i => !isOld(i));
  const old = present.filter(isOld);
  const healthyNew = onTarget.filter(i => i.healthy);
  // An old instance out of its target groups is on its way out: it
  // serves nothing.
  const running = (i: ObservedInstance) =>
    (i.state ?? 'running') === 'running' && !i.deregistered;
  const runningOld = old.filter(running);
  const idleOld = old.filter(i => !running(i));
  const { target, keepOld, minHealthy } = goal;

  const scalingIn =
    fleet.kind === 'autoscaling-group' && options.desiredCapacity !== undefined
      ? Math.max(0, present.length - options.desiredCapacity)
      : 0;
  const missing = target - onTarget.length;
  const room = goal.capacity + goal.maxSurge - present.length;
  const launch = scalingIn > 0 ? 0 : Math.max(0, Math.min(missing, room));

  const canScaleIn =
    fleet.kind === 'autoscaling-group' &&
    idleOld.length === 0 &&
    present.every(i => isOld(i) === !i.protectedFromScaleIn);
  const excess = Math.max(0, old.length - keepOld);
  const idle = Math.min(excess, idleOld.length);
  const allowed = healthyNew.length + runningOld.length - minHealthy;
  const count =
    scalingIn > 0 || (canScaleIn && launch > 0)
      ? 0
      : Math.min(
          idle + Math.max(0, Math.min(excess - idle, allowed)),
          goal.retireAtMost ?? Number.MAX_SAFE_INTEGER,
        );
  const terminate = [...old]
    .sort(
      (a, b) =>
        // Old instances that serve nothing go first, then the oldest.
        Number(running(a)) - Number(running(b)) ||
        (a.launchTime ?? '').localeCompare(b.launchTime ?? '') ||
        a.instanceId.localeCompare(b.instanceId),
    )
    .slice(0, count)
    .map(i => i.instanceId);

  const waiting: Record<string, string> = {};
  const gate: Record<string, RolloutGateHold> = {};
  for (const instance of onTarget) {
    if (!instance.healthy) {
      waiting[instance.instanceId] = instance.waiting ?? 'not checked yet';
      if (instance.hold) {
        gate[instance.instanceId] = instance.hold;
      }
    }
  }
  for (const instance of idleOld) {
    waiting[instance.instanceId] = instance.deregistered
      ? 'old instance out of the target groups: terminated once its connections have drained'
      : `old instance ${instance.state}: serves nothing${
          terminate.includes(instance.instanceId) ? ', terminated first' : ''
        }`;
    gate[instance.instanceId] = {
      check: 'old-instance',
      ...(instance.deregistered
        ? { targetState: 'draining' }
        : { instanceState: instance.state }),
    };
  }
  return {
    launch,
    terminate,
    scaleIn: canScaleIn && terminate.length > 0,
    present: present.length,
    // Judged on what was observed: terminations ordered now show next tick.
    done:
      scalingIn === 0 &&
      launch === 0 &&
      healthyNew.length >= target &&
      old.length <= keepOld,
    status: {
      key: fleet.key,
      newInstances: onTarget.length,
      healthyNewInstances: healthyNew.length,
      oldInstances: Math.max(0, old.length - terminate.length - scalingIn),
      waiting,
      ...(Object.keys(gate).length > 0 ? { gate } : {}),
      ...(scalingIn > 0 ? { scalingIn } : {}),
    },
  };
}

/**
 * What an Auto Scaling group wants now: its desired capacity less what the
 * rollout added, never below its minimum (a group cannot want less), nor
 * above its desired capacity.
 *
 * @internal
 */
export function wantedCapacity(
  desired: number,
  surge: number,
  minSize: number,
): number {
  return Math.max(Math.min(desired, minSize), desired - surge, 0);
}
