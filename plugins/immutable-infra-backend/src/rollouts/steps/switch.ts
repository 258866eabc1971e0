import { RolloutFleet } from '@immutable-infra/backstage-plugin-common';
import { PRESENT, replacedBy } from '../decide';
import { RolloutRecord } from '../RolloutStore';
import { advance, EngineContext, transition } from '../transitions';

/**
 * Blue-green's switch: the old instances leave the fleet's target groups
 * (the new ones serve alone) and stay running for the scale-down delay.
 * Recorded first; a replay deregisters again, which changes nothing.
 *
 * @internal
 */
export async function runSwitch(
  ctx: EngineContext,
  rollout: RolloutRecord,
): Promise<RolloutRecord | undefined> {
  const { plan } = rollout;
  const moves: { fleet: RolloutFleet; instanceIds: string[] }[] = [];
  for (const fleet of plan.fleets) {
    if (fleet.targetGroupArns.length === 0) {
      continue;
    }
    const { instances } = await ctx.fleets.observe(rollout, fleet);
    const isOld = replacedBy(fleet);
    const old = instances.filter(i => PRESENT.has(i.state ?? '') && isOld(i));
    if (old.length > 0) {
      moves.push({ fleet, instanceIds: old.map(i => i.instanceId) });
    }
  }
  const recorded = await transition(ctx, rollout, {
    plan: { ...plan, switched: true },
    steps: moves.map(m => ({
      step: rollout.currentStep,
      fleet: m.fleet.key,
      action: 'deregister',
      detail: { instanceIds: m.instanceIds },
    })),
  });
  if (!recorded) {
    return undefined;
  }
  for (const move of moves) {
    await ctx.fleets.setMembership(
      recorded,
      move.fleet,
      move.instanceIds,
      false,
    );
  }
  return advance(
    ctx,
    recorded,
    moves.length
      ? `switched: ${moves
          .map(m => `${m.fleet.name} serves from its new instances only`)
          .join('; ')}`
      : 'switched (no fleet has target groups)',
  );
}
