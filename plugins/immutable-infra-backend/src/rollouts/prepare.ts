import { RolloutFleet } from '@immutable-infra/backstage-plugin-common';
import { limitsOf } from './decide';
import { FleetRuntime, RolloutRecord } from './RolloutStore';
import { engineAudit, EngineContext, transition } from './transitions';

/**
 * Prepares a rollout: each group's sizes read from AWS and recorded first
 * (what the end puts back; a replay would read the sizes the rollout set),
 * then each fleet's template version with the new AMI, each group pointed
 * at it with room for the surge. A rollout prepared before (a retry) gets
 * a new attempt number: its launches carry new client tokens.
 *
 * @internal
 */
export async function prepare(
  ctx: EngineContext,
  rollout: RolloutRecord,
): Promise<RolloutRecord | undefined> {
  let current = rollout;
  const groups = current.plan.fleets.filter(
    f =>
      f.kind === 'autoscaling-group' &&
      !current.plan.runtime?.[f.key]?.original,
  );
  if (groups.length > 0) {
    const runtime: Record<string, FleetRuntime> = { ...current.plan.runtime };
    for (const fleet of groups) {
      const sizes = await ctx.fleets.groupSizes(current, fleet);
      runtime[fleet.key] = {
        ...runtime[fleet.key],
        surge: runtime[fleet.key]?.surge ?? 0,
        original: { minSize: sizes.minSize, maxSize: sizes.maxSize },
      };
    }
    const recorded = await transition(ctx, current, {
      plan: { ...current.plan, runtime },
    });
    if (!recorded) {
      return undefined;
    }
    current = recorded;
  }
  const { plan } = current;
  const retry = plan.fleets.some(f => f.newTemplateVersion !== undefined);
  const runtime: Record<string, FleetRuntime> = { ...plan.runtime };
  const fleets: RolloutFleet[] = [];
  for (const fleet of plan.fleets) {
    let sizes: { minSize: number; maxSize: number } | undefined;
    if (fleet.kind === 'autoscaling-group') {
      const now = await ctx.fleets.groupSizes(current, fleet);
      const original = runtime[fleet.key]!.original!;
      const goal = limitsOf(plan, fleet, now.desiredCapacity);
      sizes = {
        minSize: Math.min(original.minSize, goal.minHealthy),
        maxSize: Math.max(
          original.maxSize,
          now.desiredCapacity + goal.maxSurge,
        ),
      };
      runtime[fleet.key] = {
        ...runtime[fleet.key],
        surge: 0,
        pending: undefined,
        wanted: now.desiredCapacity,
      };
    }
    const version = await ctx.fleets.prepare(current, fleet, sizes);
    fleets.push({ ...fleet, newTemplateVersion: version });
  }
  return transition(ctx, current, {
    state: 'running',
    currentStep: 0,
    stepStartedAt: new Date(ctx.now()).toISOString(),
    promoted: false,
    plan: {
      ...plan,
      fleets,
      runtime,
      // A retry starts before blue-green's switch again: its green waits
      // in the preview target groups.
      switched: false,
      prepared: true,
      ...(retry ? { attempt: (plan.attempt ?? 0) + 1 } : {}),
    },
    events: [
      {
        kind: 'started',
        message: `Started: ${fleets
          .map(f => `${f.name} (template version ${f.newTemplateVersion})`)
          .join(', ')}`,
      },
    ],
    audit: [engineAudit(current, 'rollout.start')],
  });
}
