import { LoggerService } from '@backstage/backend-plugin-api';
import pLimit from 'p-limit';
import { RolloutProvider } from '../providers/RolloutProvider';
import { abortFor, cleanUp, LAUNCH_VISIBILITY_MS } from './cleanUp';
import { finish } from './finish';
import { FleetOperator } from './FleetOperator';
import { RolloutNotify } from './notices';
import { prepare } from './prepare';
import { ProbeFetch } from './probe';
import { RolloutRecord, RolloutStore } from './RolloutStore';
import { runAnalysis } from './steps/analysis';
import { runBake } from './steps/bake';
import { runPause } from './steps/pause';
import { runSwitch } from './steps/switch';
import { runWave } from './steps/wave';
import {
  engineAudit,
  EngineContext,
  ROLLOUT_ENGINE_ACTOR,
  transition,
  VersionState,
} from './transitions';

export { ROLLOUT_ENGINE_ACTOR };

/** Ticks in a row whose cloud calls failed before a rollout pauses. @internal */
export const FAILURES_BEFORE_PAUSE = 3;

/** Rollouts the engine reconciles at once by default. @internal */
export const ROLLOUT_CONCURRENCY = 4;

/** States of a version a rollout may not go on to. */
const UNUSABLE = new Set(['revoked', 'pruned']);

/**
 * The rollout engine: a reconciler the scheduler runs (one replica at a
 * time, each tick stopped at its abort signal). Each tick observes every
 * active rollout's fleets, decides, records what it will do, then does it.
 * Every transition is conditional on the revision it read, and a tick that
 * loses a race stops there: two ticks at once never both advance a step.
 * Every AWS call goes through {@link FleetOperator} and is idempotent on
 * replay, so a tick that dies half way is observed again by the next.
 *
 * @internal
 */
export class RolloutEngine {
  private readonly ctx: EngineContext;
  private readonly concurrency: number;

  constructor(options: {
    store: RolloutStore;
    provider: RolloutProvider;
    logger: LoggerService;
    /** The state of a version now: a revoked target stops the rollout. */
    versionState?: (
      family: string,
      version: number,
    ) => Promise<VersionState | undefined>;
    /** Syncs an entity's fleet once a rollout ends. */
    syncEntity?: (entityRef: string) => Promise<unknown>;
    /** Tells the owner when a rollout waits for a promote, fails or aborts. */
    notify?: RolloutNotify;
    /** The HTTP probe of the gate: hosts it may reach beyond the instances', and how it asks. */
    probe?: { allowedHosts?: string[]; fetch?: ProbeFetch };
    /** Rollouts reconciled at once in a tick. Defaults to {@link ROLLOUT_CONCURRENCY}. */
    concurrency?: number;
    /**
     * How long a clean-up waits after the rollout's last launch for its
     * instances to show in AWS's reads. Defaults to {@link LAUNCH_VISIBILITY_MS}.
     */
    launchVisibilityMs?: number;
    now?: () => number;
  }) {
    this.concurrency = Math.max(1, options.concurrency ?? ROLLOUT_CONCURRENCY);
    this.ctx = {
      store: options.store,
      fleets: new FleetOperator({
        provider: options.provider,
        probe: options.probe,
      }),
      logger: options.logger,
      now: options.now ?? Date.now,
      notify: options.notify,
      versionState: options.versionState,
      syncEntity: options.syncEntity,
      launchVisibilityMs: options.launchVisibilityMs ?? LAUNCH_VISIBILITY_MS,
    };
  }

  /**
   * One pass over every active rollout, a few at once: each is another
   * entity's and environment's, its writes guarded by its revision. Stops
   * starting rollouts once `signal` aborts (the scheduler's timeout).
   */
  async tick(signal?: AbortSignal): Promise<void> {
    const limit = pLimit(this.concurrency);
    const active = await this.ctx.store.listActive();
    await Promise.all(
      active.map(rollout =>
        limit(async () => {
          if (!signal?.aborted) {
            await this.reconcileCounted(rollout);
          }
        }),
      ),
    );
  }

  private async reconcileCounted(rollout: RolloutRecord) {
    try {
      await this.reconcile(rollout);
    } catch (error) {
      try {
        await this.failed(rollout, error as Error);
      } catch (recording) {
        // The database failing too: the next tick tries again.
        this.ctx.logger.error(
          `Rollout ${rollout.id}: ${error}; recording it failed: ${recording}`,
        );
      }
      return;
    }
    if (rollout.failedAttempts > 0) {
      await this.ctx.store.setFailedAttempts(rollout.id, 0);
    }
  }

  /**
   * A tick whose cloud calls failed: retried next tick, paused after a few
   * in a row (counted in the database: a restart or another replica counts
   * on).
   */
  private async failed(read: RolloutRecord, error: Error) {
    // Read again: the tick may have recorded a decision before the call
    // that failed, and a pause written over the older revision would be
    // refused, leaving the rollout retrying forever.
    const rollout = (await this.ctx.store.get(read.id)) ?? read;
    const count = rollout.failedAttempts + 1;
    this.ctx.logger.warn(
      `Rollout ${rollout.id} of ${rollout.entityRef}: ${error.message} (${count} in a row)`,
    );
    if (
      count < FAILURES_BEFORE_PAUSE ||
      !['pending', 'running'].includes(rollout.state)
    ) {
      await this.ctx.store.setFailedAttempts(rollout.id, count);
      return;
    }
    const reason = `paused after ${count} failed attempts to reach AWS: ${error.message}`;
    const paused = await transition(this.ctx, rollout, {
      state: 'paused',
      reason,
      failedAttempts: 0,
      events: [{ kind: 'paused', message: reason }],
      audit: [engineAudit(rollout, 'rollout.pause', { reason })],
    });
    if (!paused) {
      // Someone moved it meanwhile (a user, another replica): the count
      // stands, and the next failure pauses it.
      await this.ctx.store.setFailedAttempts(rollout.id, count);
    }
  }

  /** Moves one rollout on as far as its fleets allow now. */
  async reconcile(rollout: RolloutRecord): Promise<void> {
    const ctx = this.ctx;
    switch (rollout.state) {
      case 'pending':
      case 'running': {
        const revoked = await this.revocation(rollout);
        if (revoked) {
          await abortFor(ctx, rollout, revoked);
          return;
        }
        // Resumed before it was prepared (a first attempt, or a retry
        // after clean-up put the fleets back): prepared first.
        const moved =
          rollout.state === 'pending' ||
          rollout.plan.prepared === false ||
          rollout.plan.fleets.some(f => f.newTemplateVersion === undefined)
            ? await prepare(ctx, rollout)
            : await this.runStep(rollout);
        if (
          moved?.state === 'running' &&
          moved.currentStep >= moved.plan.steps.length
        ) {
          await finish(ctx, moved);
        }
        return;
      }
      case 'succeeded':
        // Succeeded, AWS not tidied yet (a tick died half way).
        await finish(ctx, rollout);
        return;
      case 'aborted':
      case 'failed':
        await cleanUp(ctx, rollout);
        return;
      default:
        return;
    }
  }

  /** Why the target version may not be rolled out any more, if it may not. */
  private async revocation(
    rollout: RolloutRecord,
  ): Promise<string | undefined> {
    const version = Number(rollout.toVersion.split('@').pop());
    const now = await this.ctx.versionState?.(rollout.family, version);
    if (!now || !UNUSABLE.has(now.state)) {
      return undefined;
    }
    return `${rollout.toVersion} was ${now.state}${
      now.reason ? `: ${now.reason}` : ''
    }`;
  }

  private async runStep(rollout: RolloutRecord) {
    const step = rollout.plan.steps[rollout.currentStep];
    if (!step) {
      return rollout;
    }
    // The entity's alarms hold through every step; one in ALARM aborts.
    if (rollout.plan.alarms?.length) {
      const verdict = await this.ctx.fleets.alarms(
        rollout,
        rollout.plan.alarms,
      );
      if (verdict.broken) {
        return abortFor(this.ctx, rollout, verdict.broken);
      }
    }
    switch (step.kind) {
      case 'analysis':
        return runAnalysis(this.ctx, rollout, step);
      case 'bake':
        return runBake(this.ctx, rollout, step);
      case 'switch':
        return runSwitch(this.ctx, rollout);
      case 'pause':
        return runPause(this.ctx, rollout, step);
      default:
        return runWave(this.ctx, rollout, step);
    }
  }
}
