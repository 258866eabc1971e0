import { FleetRuntime, RolloutRecord } from './RolloutStore';
import { PRESENT, wantedCapacity } from './decide';
import { fleetTags, freeSlots, subnetsOf } from './launches';
import { syncAfter } from './finish';
import { end, engineAudit, EngineContext, transition } from './transitions';
import { resolvePending } from './steps/wave';

/**
 * How long a clean-up waits after the rollout's last launch for its
 * instances to show in the reads, which lag launches ("eventual
 * consistency": https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html).
 *
 * @internal
 */
export const LAUNCH_VISIBILITY_MS = 60_000;

/** Aborts a rollout the engine judged broken; clean-up follows at once. @internal */
export async function abortFor(
  ctx: EngineContext,
  rollout: RolloutRecord,
  why: string,
): Promise<RolloutRecord | undefined> {
  const ended = await end(
    ctx,
    rollout,
    'aborted',
    `aborted automatically: ${why}`,
  );
  if (ended) {
    await cleanUp(ctx, ended);
  }
  return ended;
}

/**
 * An aborted or failed rollout: first, after a switch, the old instances
 * serve again and are waited for until healthy in every target group; then
 * only instances this rollout launched are terminated, and only as far as
 * the fleet keeps the capacity it wants now (a group: its desired capacity
 * less the rollout's surge); each group goes back to its template version,
 * sizes and protection, after the rollout's protection is released; lost
 * capacity comes back on the version the fleet ran before. Then the entity
 * and environment are free again. Every call is safe to replay.
 *
 * @internal
 */
export async function cleanUp(
  ctx: EngineContext,
  initial: RolloutRecord,
): Promise<void> {
  let rollout = initial;
  const { plan } = initial;
  const launching = plan.fleets.find(f => {
    const at = plan.runtime?.[f.key]?.launchedAt;
    return at && ctx.now() - Date.parse(at) < ctx.launchVisibilityMs;
  });
  if (launching) {
    // What it launched a moment ago may not show yet: terminated only once seen.
    return;
  }
  const notes: string[] = [];
  let unsettled = false;
  for (const fleet of plan.fleets) {
    const seen = await ctx.fleets.observe(rollout, fleet);
    const present = seen.instances.filter(i => PRESENT.has(i.state ?? ''));
    const launched = present.filter(i => i.launchedByRollout);
    const runtime: FleetRuntime | undefined = plan.runtime?.[fleet.key];
    if (
      seen.group &&
      ctx.now() - Date.parse(rollout.updatedAt) < plan.progressDeadlineMs &&
      (seen.group.desiredCapacity > present.length ||
        (await ctx.fleets.groupLaunching(rollout, fleet)))
    ) {
      // The group is still launching (perhaps what the rollout asked for,
      // or a replacement from its template, not visible yet, even below a
      // desired capacity a policy lowered meanwhile): waited for,
      // up to the progress deadline, to be terminated by id or released;
      // lowering its capacity now could make it scale in an old one.
      unsettled = true;
      continue;
    }
    let capacity = fleet.capacity;
    if (seen.group) {
      const resolved = resolvePending(
        { surge: 0, ...runtime },
        seen.group.desiredCapacity,
      );
      capacity = wantedCapacity(
        seen.group.desiredCapacity,
        resolved.surge,
        runtime?.original?.minSize ?? 0,
      );
    }
    if (plan.switched && fleet.targetGroupArns.length > 0) {
      // Switched back: the old instances serve again before the new go.
      const back = present.filter(
        i => !i.launchedByRollout && i.state === 'running',
      );
      if (back.length > 0) {
        await ctx.fleets.setMembership(
          rollout,
          fleet,
          back.map(i => i.instanceId),
          true,
        );
        const healthy = await ctx.fleets.healthyInTargets(
          rollout,
          fleet,
          back.map(i => i.instanceId),
        );
        if (healthy.size < back.length) {
          // The next tick looks again; nothing of green goes before.
          ctx.logger.info(
            `Rollout ${rollout.id}: ${fleet.name} has ${healthy.size} of ${back.length} old instances healthy in its target groups again; the new ones stay until all are`,
          );
          return;
        }
        notes.push(
          `${fleet.name}: ${back.length} old instance${
            back.length === 1 ? '' : 's'
          } back in the target groups, healthy`,
        );
      }
    }
    if (
      !seen.group &&
      fleet.targetGroupArns.length > 0 &&
      (await ctx.fleets.registerMissing(
        rollout,
        fleet,
        present
          .filter(i => !i.launchedByRollout && i.state === 'running')
          .map(i => i.instanceId),
      ))
    ) {
      // An old instance out of its target groups (a retirement cut short)
      // serves again before anything the rollout launched goes.
      unsettled = true;
      continue;
    }
    // What this rollout launched and serves nothing (stopped, failing its
    // gate) goes; what serves stays while the capacity needs it.
    const broken = launched.filter(i => i.state !== 'running' || !i.healthy);
    const serving = present.filter(
      i => i.state === 'running' && (!i.launchedByRollout || i.healthy),
    );
    const servingLaunched = launched.filter(i => !broken.includes(i));
    const surplus = Math.max(0, serving.length - capacity);
    // A group's terminations lower its desired capacity, which may not go
    // below its minimum (AWS refuses): what cannot go stays.
    const room = seen.group
      ? Math.max(0, seen.group.desiredCapacity - seen.group.minSize)
      : Number.MAX_SAFE_INTEGER;
    const terminate = [...broken, ...servingLaunched.slice(0, surplus)]
      .slice(0, room)
      .map(i => i.instanceId);
    const deficit = Math.max(0, capacity - serving.length);
    if (fleet.kind === 'autoscaling-group') {
      if (terminate.length > 0) {
        // Recorded first, as a wave does: a clean-up that dies after the
        // terminations still knows what the group wants.
        const desiredNow = seen.group!.desiredCapacity;
        const recorded = await transition(ctx, rollout, {
          plan: {
            ...rollout.plan,
            runtime: {
              ...rollout.plan.runtime,
              [fleet.key]: {
                ...resolvePending(
                  { ...runtime, surge: runtime?.surge ?? 0 },
                  desiredNow,
                ),
                pending: {
                  from: desiredNow,
                  to: desiredNow - terminate.length,
                },
              },
            },
          },
        });
        if (!recorded) {
          return;
        }
        rollout = recorded;
        await ctx.fleets.terminateInGroup(rollout, fleet, terminate);
      }
      // Prepared (even in part): put back as it was.
      if (
        runtime?.original &&
        !(await ctx.fleets.restoreGroup(
          rollout,
          fleet,
          fleet.launchTemplate!.version,
        ))
      ) {
        unsettled = true;
      }
      // Each termination lowered the desired capacity by one; the group
      // ends wanting what it wanted (capacity lost comes back, what the
      // rollout added goes), within its own limits.
      const original = runtime?.original ?? seen.group!;
      const desired = Math.min(
        original.maxSize,
        Math.max(original.minSize, capacity),
      );
      if (desired !== seen.group!.desiredCapacity - terminate.length) {
        await ctx.fleets.setDesiredCapacity(rollout, fleet, desired);
      }
    } else {
      if (terminate.length > 0) {
        const { draining } = await ctx.fleets.retireStandalone(
          rollout,
          fleet,
          terminate,
        );
        if (draining.length > 0) {
          // Terminated once drained, by a later tick; released only then.
          unsettled = true;
        }
      }
      // Instances on the version it ran before still starting (restored
      // a tick ago) count as coming; once running they join the target
      // groups, and the entity is released only then.
      const coming = present.filter(
        i => !i.launchedByRollout && i.state === 'pending',
      );
      const missing = Math.max(0, deficit - coming.length);
      if (coming.length > 0) {
        unsettled = true;
      }
      if (missing > 0) {
        unsettled = true;
        // Capacity lost to instances that failed after passing comes back
        // on the version the fleet ran before.
        const generation = runtime?.launchGeneration ?? 0;
        const prefix = `restore/${plan.attempt ?? 0}/${generation}/`;
        const { spentToken } = await ctx.fleets.launchStandalone(
          rollout,
          fleet,
          {
            version: fleet.launchTemplate!.version,
            prefix,
            slots: freeSlots(seen.instances, prefix, missing),
            subnets: runtime?.subnets ?? subnetsOf(seen.instances),
            tags: fleetTags(rollout),
          },
        );
        if (spentToken) {
          // The token answered an instance that died since: a new one next.
          await transition(ctx, rollout, {
            plan: {
              ...rollout.plan,
              runtime: {
                ...rollout.plan.runtime,
                [fleet.key]: {
                  ...runtime,
                  surge: runtime?.surge ?? 0,
                  launchGeneration: generation + 1,
                },
              },
            },
          });
          return;
        }
      }
    }
    const kept =
      servingLaunched.length - Math.min(surplus, servingLaunched.length);
    notes.push(
      `${fleet.name}: terminated ${terminate.length} launched by this rollout${
        kept > 0
          ? `, kept ${kept} on ${rollout.toVersion} to hold the capacity of ${capacity}`
          : ''
      }${
        deficit > 0
          ? `, launched ${deficit} on the version it ran before to restore that capacity`
          : ''
      }`,
    );
  }
  if (unsettled) {
    // The group launched for the rollout meanwhile: released next tick.
    return;
  }
  const released = await transition(ctx, rollout, {
    release: true,
    // What the rollout added is gone: a retry starts from the group as it
    // is, and prepares it again.
    plan: {
      ...rollout.plan,
      prepared: false,
      runtime: Object.fromEntries(
        Object.entries(rollout.plan.runtime ?? {}).map(([key, value]) => [
          key,
          { ...value, surge: 0, pending: undefined },
        ]),
      ),
    },
    events: [
      { kind: 'cleaned-up', message: `Cleaned up: ${notes.join('; ')}` },
    ],
    audit: [engineAudit(rollout, 'rollout.clean-up')],
  });
  if (released) {
    await syncAfter(ctx, released);
  }
}
