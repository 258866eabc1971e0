import { LoggerService } from '@backstage/backend-plugin-api';
import { describeStep } from '@immutable-infra/backstage-plugin-common';
import { AuditEventInput } from '../audit/AuditLog';
import { FleetOperator } from './FleetOperator';
import { RolloutNotify } from './notices';
import {
  applyChange,
  RolloutChange,
  RolloutRecord,
  RolloutStore,
} from './RolloutStore';

/** Who the engine's own transitions are recorded as. @internal */
export const ROLLOUT_ENGINE_ACTOR = 'plugin:immutable-infra/rollouts';

/** The state of an image version, as the registry holds it now. @internal */
export type VersionState = { state: string; reason?: string };

/** What every part of the engine works with. @internal */
export type EngineContext = {
  store: RolloutStore;
  fleets: FleetOperator;
  logger: LoggerService;
  now(): number;
  notify?: RolloutNotify;
  /** The target version's state now (revoked, pruned), read on every tick. */
  versionState?: (
    family: string,
    version: number,
  ) => Promise<VersionState | undefined>;
  /** Syncs an entity's fleet once a rollout ends. */
  syncEntity?: (entityRef: string) => Promise<unknown>;
  /** How long a clean-up waits after the rollout's last launch for its instances to show. */
  launchVisibilityMs: number;
};

/** An audit row of the engine's own about a rollout. @internal */
export function engineAudit(
  rollout: RolloutRecord,
  action: string,
  payload: Record<string, unknown> = {},
): AuditEventInput {
  return {
    actor: ROLLOUT_ENGINE_ACTOR,
    action,
    entityRef: rollout.entityRef,
    subject: rollout.id,
    payload: {
      environment: rollout.environment,
      toVersion: rollout.toVersion,
      ...payload,
    },
  };
}

/**
 * Applies a change if the rollout is still at the revision it was read at;
 * answers the rollout as it now is, or undefined when someone changed it
 * first (a user, another tick): then nothing was written, and the caller
 * stops. Nobody acts on a rollout re-read after a lost race.
 *
 * @internal
 */
export async function transition(
  ctx: EngineContext,
  rollout: RolloutRecord,
  change: RolloutChange,
): Promise<RolloutRecord | undefined> {
  if (!(await ctx.store.update(rollout.id, rollout.revision, change))) {
    return undefined;
  }
  return applyChange(rollout, change, new Date(ctx.now()).toISOString());
}

/**
 * The current step is over: the next begins (past the last, the rollout
 * finishes). `extra` is written with it, in the same revision.
 *
 * @internal
 */
export async function advance(
  ctx: EngineContext,
  rollout: RolloutRecord,
  why: string,
  extra: RolloutChange = {},
): Promise<RolloutRecord | undefined> {
  const next = rollout.currentStep + 1;
  const step = rollout.plan.steps[next];
  const moved = await transition(ctx, rollout, {
    ...extra,
    currentStep: next,
    stepStartedAt: new Date(ctx.now()).toISOString(),
    promoted: false,
    events: [
      ...(extra.events ?? []),
      {
        kind: 'step',
        message: step
          ? `${why}; step ${next + 1} of ${
              rollout.plan.steps.length
            }: ${describeStep(step)}`
          : `${why}; every step passed`,
      },
    ],
    audit: [
      ...(extra.audit ?? []),
      engineAudit(rollout, 'rollout.step', { step: next }),
    ],
  });
  if (moved && step?.kind === 'pause' && step.durationMs === undefined) {
    await ctx.notify?.(
      moved,
      'awaiting-promotion',
      `step ${next + 1} of ${rollout.plan.steps.length} waits for a promote`,
    );
  }
  return moved;
}

/** Ends a rollout as failed or aborted, and tells its owner. @internal */
export async function end(
  ctx: EngineContext,
  rollout: RolloutRecord,
  state: 'failed' | 'aborted',
  reason: string,
  extra: RolloutChange = {},
): Promise<RolloutRecord | undefined> {
  const ended = await transition(ctx, rollout, {
    ...extra,
    state,
    reason,
    events: [...(extra.events ?? []), { kind: state, message: reason }],
    audit: [
      ...(extra.audit ?? []),
      engineAudit(
        rollout,
        state === 'failed' ? 'rollout.fail' : 'rollout.abort',
        { reason },
      ),
    ],
  });
  if (ended) {
    await ctx.notify?.(ended, state, reason);
  }
  return ended;
}

/** Pauses a rollout that needs a person (an inconclusive analysis, AWS out of reach). @internal */
export async function pauseFor(
  ctx: EngineContext,
  rollout: RolloutRecord,
  reason: string,
  extra: RolloutChange = {},
): Promise<RolloutRecord | undefined> {
  return transition(ctx, rollout, {
    ...extra,
    state: 'paused',
    reason,
    events: [...(extra.events ?? []), { kind: 'paused', message: reason }],
    audit: [
      ...(extra.audit ?? []),
      engineAudit(rollout, 'rollout.pause', { reason }),
    ],
  });
}
