import {
  RolloutFleet,
  RolloutFleetStatus,
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
  /** Whether it carries this rollout's id tag. */
  launchedByRollout?: boolean;
  /** In an Auto Scaling group: whether scale-in skips it. */
  protectedFromScaleIn?: boolean;
};

/** What the engine does to one fleet in one tick. @internal */
export type FleetDecision = {
  /** Instances to launch from the new template version. */
  launch: number;
  /** Old instances to terminate, their replacements having passed. */
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

/** The desired capacity a scale-in lowers its group to. @internal */
export function scaledInCapacity(decision: FleetDecision): number {
  return decision.present - decision.terminate.length;
}

/**
 * Decides, for one fleet and the new instances the current step wants
 * (`target`), what to launch and what to terminate. Pure. The rules:
 * - instances on the target AMI count as new, whoever launched them
 *   (for replace-drifted: every instance not planned for replacement);
 * - launches never take the fleet over its capacity plus `maxSurge`;
 * - an old instance goes only when the healthy instances left (new ones
 *   that passed the gate, and old ones) stay at `minHealthy` or more, and
 *   only down to the old instances the step keeps;
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
  target: number,
  observed: ObservedInstance[],
  options: { keepOld?: boolean; desiredCapacity?: number } = {},
): FleetDecision {
  const present = observed.filter(i => PRESENT.has(i.state ?? 'running'));
  const isOld = replacedBy(fleet);
  const onTarget = present.filter(i => !isOld(i));
  const old = present.filter(isOld);
  const healthyNew = onTarget.filter(i => i.healthy);
  const running = (i: ObservedInstance) => (i.state ?? 'running') === 'running';
  const healthyOld = old.filter(running);
  // Blue-green's first step launches beside the old and terminates none.
  const keepOld = options.keepOld
    ? old.length
    : Math.max(0, fleet.capacity - target);

  // A stopped instance keeps its place: it is waited for (and named when
  // the deadline passes), never silently doubled.
  const scalingIn =
    fleet.kind === 'autoscaling-group' && options.desiredCapacity !== undefined
      ? Math.max(0, present.length - options.desiredCapacity)
      : 0;
  const missing = target - onTarget.length;
  const room = fleet.capacity + fleet.maxSurge - present.length;
  const launch = scalingIn > 0 ? 0 : Math.max(0, Math.min(missing, room));

  const canScaleIn =
    fleet.kind === 'autoscaling-group' &&
    old.every(running) &&
    present.every(i => isOld(i) === !i.protectedFromScaleIn);
  const allowed = healthyNew.length + healthyOld.length - fleet.minHealthy;
  const count =
    scalingIn > 0 || (canScaleIn && launch > 0)
      ? 0
      : Math.max(0, Math.min(old.length - keepOld, allowed));
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
  for (const instance of onTarget) {
    if (!instance.healthy) {
      waiting[instance.instanceId] = instance.waiting ?? 'not checked yet';
    }
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
      ...(scalingIn > 0 ? { scalingIn } : {}),
    },
  };
}
