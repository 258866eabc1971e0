import {
  RolloutFleet,
  RolloutFleetStatus,
  RolloutPlanStep,
} from '@immutable-infra/backstage-plugin-common';
import { decideFleet, FleetDecision, goalOf, wantedCapacity } from '../decide';
import { FleetObservation } from '../FleetOperator';
import { freeSlots, launchTags, subnetsOf } from '../launches';
import { FleetRuntime, RolloutChange, RolloutRecord } from '../RolloutStore';
import { advance, end, EngineContext, transition } from '../transitions';

/** One fleet's decision this tick, and what it was made from. */
type FleetWork = {
  fleet: RolloutFleet;
  decision: FleetDecision;
  seen: FleetObservation;
  /** For a group: the desired capacity its launches need. */
  raiseTo?: number;
  /** Standalone: old instances deregistered earlier, terminated once drained. */
  draining: string[];
};

/**
 * Resolves the change of desired capacity recorded last tick against the
 * desired capacity read now: it happened (`to`), it did not (`from`), or a
 * scaling policy moved the group as well; then the reading that keeps the
 * larger capacity wins (a raise not counted, a retirement counted), so the
 * rollout never leaves the group smaller than it wants.
 *
 * @internal
 */
export function resolvePending(
  runtime: FleetRuntime,
  desired: number,
): FleetRuntime {
  if (!runtime.pending) {
    return runtime;
  }
  const { from, to } = runtime.pending;
  let delta = Math.min(0, to - from);
  if (desired === to) {
    delta = to - from;
  } else if (desired === from) {
    delta = 0;
  }
  return {
    ...runtime,
    surge: Math.max(0, runtime.surge + delta),
    pending: undefined,
  };
}

/** The group's desired capacity once a decision is carried out. */
function desiredAfter(work: FleetWork): number {
  const { decision } = work;
  const desired = work.seen.group!.desiredCapacity;
  if (decision.scaleIn) {
    return desired - decision.terminate.length;
  }
  return Math.max(desired, work.raiseTo ?? 0) - decision.terminate.length;
}

function describeWork(work: FleetWork, toVersion: string): string {
  const { decision, fleet } = work;
  const count = decision.terminate.length;
  const parts = [
    decision.launch > 0 ? `launching ${decision.launch} on ${toVersion}` : '',
    decision.scaleIn
      ? `scaling in ${count} old instance${
          count === 1 ? '' : 's'
        } (desired capacity ${desiredAfter(work)})`
      : '',
    count > 0 && !decision.scaleIn
      ? `terminating ${decision.terminate.join(', ')}`
      : '',
  ];
  return `${fleet.name}: ${parts.filter(Boolean).join('; ')}`;
}

function stepsOf(work: FleetWork[], step: number): RolloutChange['steps'] {
  return work.flatMap(w => [
    ...(w.decision.launch > 0
      ? [
          {
            step,
            fleet: w.fleet.key,
            action: 'launch',
            detail: { count: w.decision.launch },
          },
        ]
      : []),
    ...(w.decision.scaleIn
      ? [
          {
            step,
            fleet: w.fleet.key,
            action: 'scale-in',
            detail: {
              count: w.decision.terminate.length,
              desired: desiredAfter(w),
            },
          },
        ]
      : []),
    ...(w.decision.terminate.length > 0 && !w.decision.scaleIn
      ? [
          {
            step,
            fleet: w.fleet.key,
            action: 'terminate',
            detail: { instanceIds: w.decision.terminate },
          },
        ]
      : []),
  ]);
}

/** Why a step has not passed, for the deadline's reason. */
function holding(rollout: RolloutRecord, status: RolloutFleetStatus[]) {
  return status.flatMap(s => {
    const name = rollout.plan.fleets.find(f => f.key === s.key)?.name ?? s.key;
    return [
      ...Object.entries(s.waiting).map(([id, why]) => `${id}: ${why}`),
      ...(s.scalingIn
        ? [
            `${name}: ${s.scalingIn} old instance${
              s.scalingIn === 1 ? '' : 's'
            } still in service after the desired capacity was lowered (the group has not scaled in)`,
          ]
        : []),
      ...(s.activity
        ? [`${name}: a scaling activity failed: ${s.activity}`]
        : []),
    ];
  });
}

/**
 * A step that replaces instances (`setWeight`): each fleet observed, its
 * capacity read (a group's own scaling is followed, never undone), the
 * decision recorded, then carried out. Done everywhere: the next step, in
 * the same write as the status.
 *
 * @internal
 */
export async function runWave(
  ctx: EngineContext,
  rollout: RolloutRecord,
  step: RolloutPlanStep,
): Promise<RolloutRecord | undefined> {
  const { plan } = rollout;
  const stepStartedAt =
    rollout.stepStartedAt ?? new Date(ctx.now()).toISOString();
  const runtime: Record<string, FleetRuntime> = { ...plan.runtime };
  const status: RolloutFleetStatus[] = [];
  const work: FleetWork[] = [];
  const events: { kind: string; message: string }[] = [];
  let done = true;
  for (const fleet of plan.fleets) {
    const seen = await ctx.fleets.observe(rollout, fleet);
    let capacity = fleet.capacity;
    let fleetRuntime: FleetRuntime = {
      ...runtime[fleet.key],
      surge: runtime[fleet.key]?.surge ?? 0,
    };
    if (seen.group) {
      fleetRuntime = resolvePending(fleetRuntime, seen.group.desiredCapacity);
      capacity = wantedCapacity(
        seen.group.desiredCapacity,
        fleetRuntime.surge,
        fleetRuntime.original?.minSize ?? 0,
      );
      const before = fleetRuntime.wanted ?? fleet.capacity;
      if (before !== capacity) {
        events.push({
          kind: 'scaled',
          message: `${fleet.name}: the group's own scaling moved its capacity from ${before} to ${capacity}; the rollout follows it (what the group launches now runs ${rollout.toVersion}, the version its template names)`,
        });
      }
      fleetRuntime.wanted = capacity;
    }
    const decision = decideFleet(
      fleet,
      {
        ...goalOf(plan, fleet, step, capacity),
        ...(seen.group ? { retireAtMost: fleetRuntime.surge } : {}),
      },
      seen.instances,
      {
        desiredCapacity: seen.group?.desiredCapacity,
      },
    );
    const activities =
      !decision.done && seen.group
        ? await ctx.fleets.groupActivities(rollout, fleet, {
            since: stepStartedAt,
            rescaled: capacity !== fleet.capacity,
          })
        : {};
    if (
      seen.group &&
      decision.status.scalingIn &&
      seen.instances.every(i => i.protectedFromScaleIn)
    ) {
      // The group's own scale-in finds only instances the rollout protects:
      // it is followed, the newest of them left to the group's choice.
      await ctx.fleets.unprotect(
        rollout,
        fleet,
        seen.instances
          .filter(i => i.launchedByRollout)
          .sort((a, b) =>
            (b.launchTime ?? '').localeCompare(a.launchTime ?? ''),
          )
          .slice(0, decision.status.scalingIn)
          .map(i => i.instanceId),
      );
    }
    status.push({
      ...decision.status,
      capacity,
      ...activities,
    });
    done = done && decision.done;
    // Old instances deregistered by an earlier tick are terminated once
    // drained: asked again, but not announced again.
    const draining = seen.group
      ? []
      : decision.terminate.filter(
          id => seen.instances.find(i => i.instanceId === id)?.deregistered,
        );
    const fresh = {
      ...decision,
      terminate: decision.terminate.filter(id => !draining.includes(id)),
    };
    if (decision.launch > 0 || decision.terminate.length > 0) {
      const item: FleetWork = { fleet, decision: fresh, seen, draining };
      if (seen.group && decision.launch > 0) {
        item.raiseTo = decision.present + decision.launch;
      }
      if (seen.group) {
        fleetRuntime.pending = {
          from: seen.group.desiredCapacity,
          to: desiredAfter(item),
        };
      }
      if (decision.launch > 0) {
        fleetRuntime.launchedAt = new Date(ctx.now()).toISOString();
        if (!seen.group) {
          fleetRuntime.subnets ??= subnetsOf(seen.instances);
        }
      }
      work.push(item);
    }
    runtime[fleet.key] = fleetRuntime;
  }
  const observed: RolloutChange = { status, plan: { ...plan, runtime } };

  if (done) {
    return advance(
      ctx,
      rollout,
      `step ${rollout.currentStep + 1} reached its target`,
      {
        ...observed,
        plan: { ...plan, runtime: withoutPending(runtime) },
        events,
      },
    );
  }
  if (ctx.now() - Date.parse(stepStartedAt) > plan.progressDeadlineMs) {
    const why = holding(rollout, status);
    return end(
      ctx,
      rollout,
      'failed',
      `step ${
        rollout.currentStep + 1
      } passed its progress deadline of ${Math.round(
        plan.progressDeadlineMs / 1000,
      )} s${why.length ? `; not passed: ${why.join('; ')}` : ''}`,
      {
        ...observed,
        plan: { ...plan, runtime: withoutPending(runtime) },
        events,
      },
    );
  }
  // Recorded before it is made: a rollout changed meanwhile (paused,
  // aborted, another tick) is left alone.
  const recorded = await transition(ctx, rollout, {
    ...observed,
    steps: stepsOf(work, rollout.currentStep),
    events: [
      ...events,
      ...work
        .filter(w => w.decision.launch > 0 || w.decision.terminate.length > 0)
        .map(w => ({
          kind: 'wave',
          message: describeWork(w, rollout.toVersion),
        })),
    ],
  });
  if (!recorded) {
    return undefined;
  }
  for (const item of work) {
    if (item.seen.group) {
      await ctx.fleets.actOnGroup(
        recorded,
        item.fleet,
        item.decision,
        item.seen.group,
        item.raiseTo,
      );
    } else {
      await actOnStandalone(ctx, recorded, item);
    }
  }
  return undefined;
}

function withoutPending(runtime: Record<string, FleetRuntime>) {
  return Object.fromEntries(
    Object.entries(runtime).map(([key, { pending: _pending, ...rest }]) => [
      key,
      rest,
    ]),
  );
}

/**
 * Standalone instances: launches with a client token per attempt, launch
 * generation, step and count already on the target (the same launch asked
 * again carries the same token); a token that answers instances that
 * terminated since launched nothing, so the generation moves on and the
 * next tick launches with a new one. Then the retirements.
 */
async function actOnStandalone(
  ctx: EngineContext,
  rollout: RolloutRecord,
  item: FleetWork,
) {
  const { fleet, decision } = item;
  const { plan } = rollout;
  const fleetRuntime = plan.runtime?.[fleet.key] ?? { surge: 0 };
  if (decision.launch > 0) {
    const generation = fleetRuntime.launchGeneration ?? 0;
    const prefix = `${plan.attempt ?? 0}/${generation}/${rollout.currentStep}/`;
    const { spentToken } = await ctx.fleets.launchStandalone(rollout, fleet, {
      version: fleet.newTemplateVersion!,
      prefix,
      slots: freeSlots(item.seen.instances, prefix, decision.launch),
      subnets: fleetRuntime.subnets ?? subnetsOf(item.seen.instances),
      tags: launchTags(rollout),
    });

    if (spentToken) {
      await transition(ctx, rollout, {
        plan: {
          ...plan,
          runtime: {
            ...plan.runtime,
            [fleet.key]: { ...fleetRuntime, launchGeneration: generation + 1 },
          },
        },
        events: [
          {
            kind: 'wave',
            message: `${fleet.name}: the launch's client token answered instances that have terminated since (AWS keeps a token at least a day): launching again with a new one`,
          },
        ],
      });
      return;
    }
  }
  const retiring = [...decision.terminate, ...item.draining];
  if (retiring.length > 0) {
    // Deregistered, and terminated once drained (a later tick for those
    // still draining).
    await ctx.fleets.retireStandalone(rollout, fleet, retiring);
  }
}
