import { RolloutPlanStep } from '@immutable-infra/backstage-plugin-common';
import { RolloutRecord } from '../RolloutStore';
import { abortFor } from '../cleanUp';
import { advance, EngineContext, pauseFor } from '../transitions';

/**
 * An analysis (also blue-green's bake, see {@link runBake}): its alarms
 * stay out of ALARM for its duration (one in ALARM aborts at once) and are
 * OK at its end. An alarm with no data at the end
 * is inconclusive, as Argo Rollouts has it: the rollout pauses with that
 * reason for a person to resume (the analysis runs again) or abort, and
 * never passes on silence. An alarm that cannot be read throws: the tick
 * fails and the rollout holds.
 *
 * @internal
 */
export async function runAnalysis(
  ctx: EngineContext,
  rollout: RolloutRecord,
  step: RolloutPlanStep,
): Promise<RolloutRecord | undefined> {
  const verdict = await ctx.fleets.alarms(rollout, step.alarms ?? []);
  const what = step.kind === 'bake' ? 'bake' : 'analysis';
  if (verdict.broken) {
    return abortFor(ctx, rollout, `${what}: ${verdict.broken}`);
  }
  const started = rollout.stepStartedAt
    ? Date.parse(rollout.stepStartedAt)
    : ctx.now();
  if (ctx.now() - started < (step.durationMs ?? 0)) {
    return undefined;
  }
  if (verdict.pending.length === 0) {
    return advance(
      ctx,
      rollout,
      step.kind === 'bake'
        ? 'bake passed: every alarm stayed OK while the old instances were kept whole'
        : 'analysis passed: every alarm stayed OK',
      // Alarms an earlier run of it left inconclusive hold it no more.
      rollout.status.some(s => s.alarms)
        ? { status: rollout.status.map(({ alarms: _alarms, ...s }) => s) }
        : {},
    );
  }
  // The alarms with no data, with their StateReason, on the status of
  // the fleets of their region: the card says which and why.
  const status = rollout.status.map(s => {
    const region = rollout.plan.fleets.find(f => f.key === s.key)?.region;
    const alarms = verdict.held.filter(a => a.region === region);
    return alarms.length > 0 ? { ...s, alarms } : s;
  });
  return pauseFor(
    ctx,
    rollout,
    `${what} of step ${
      rollout.currentStep + 1
    } inconclusive: ${verdict.pending.join(
      ', ',
    )} had no data (INSUFFICIENT_DATA) at its end; resume to run the ${what} again, or abort`,
    { status },
  );
}
