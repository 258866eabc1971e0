import { RolloutFleet } from '@immutable-infra/backstage-plugin-common';
import { PRESENT, replacedBy } from '../decide';
import { RolloutRecord } from '../RolloutStore';
import { advance, end, EngineContext, transition } from '../transitions';

type Move = { fleet: RolloutFleet; old: string[]; green: string[] };

/**
 * Blue-green's switch. Without preview target groups the new instances
 * already serve (they joined the fleet's target groups at the gate), and
 * the old ones leave. With them, the new instances join the fleet's target
 * groups first and are waited for until healthy there (blue serves
 * meanwhile); then the old ones leave and the new ones leave the preview
 * groups. Recorded before the old ones leave; a replay registers and
 * deregisters again, which changes nothing. The old instances stay running
 * for the bake and the scale-down delay, ready to switch back.
 *
 * @internal
 */
export async function runSwitch(
  ctx: EngineContext,
  rollout: RolloutRecord,
): Promise<RolloutRecord | undefined> {
  const { plan } = rollout;
  const moves: Move[] = [];
  const joining: string[] = [];
  for (const fleet of plan.fleets) {
    if (fleet.targetGroupArns.length === 0) {
      continue;
    }
    const { instances } = await ctx.fleets.observe(rollout, fleet);
    const isOld = replacedBy(fleet);
    const move: Move = {
      fleet,
      old: instances
        .filter(i => PRESENT.has(i.state ?? '') && isOld(i))
        .map(i => i.instanceId),
      green: instances
        .filter(i => i.state === 'running' && !isOld(i))
        .map(i => i.instanceId),
    };
    if (fleet.kind === 'instances' && fleet.previewTargetGroupArns?.length) {
      await ctx.fleets.setMembership(rollout, fleet, move.green, true);
      const healthy = await ctx.fleets.healthyInTargets(
        rollout,
        fleet,
        move.green,
      );
      const notYet = move.green.filter(id => !healthy.has(id));
      if (notYet.length > 0) {
        joining.push(
          `${fleet.name}: ${notYet.join(
            ', ',
          )} not yet healthy in the production target groups`,
        );
      }
    }
    moves.push(move);
  }
  if (joining.length > 0) {
    const started = rollout.stepStartedAt
      ? Date.parse(rollout.stepStartedAt)
      : ctx.now();
    if (ctx.now() - started > plan.progressDeadlineMs) {
      return end(
        ctx,
        rollout,
        'failed',
        `the switch passed its progress deadline: ${joining.join('; ')}`,
      );
    }
    // Blue serves alone until every new instance serves beside it.
    return undefined;
  }
  const leaving = moves.filter(m => m.old.length > 0);
  const recorded = await transition(ctx, rollout, {
    plan: { ...plan, switched: true },
    steps: leaving.map(m => ({
      step: rollout.currentStep,
      fleet: m.fleet.key,
      action: 'deregister',
      detail: { instanceIds: m.old },
    })),
  });
  if (!recorded) {
    return undefined;
  }
  for (const move of moves) {
    await ctx.fleets.setMembership(recorded, move.fleet, move.old, false);
    await ctx.fleets.setMembership(
      recorded,
      move.fleet,
      move.green,
      false,
      move.fleet.previewTargetGroupArns ?? [],
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
