import { LoggerService } from '@backstage/backend-plugin-api';
import {
  RolloutFleet,
  RolloutFleetStatus,
  RolloutPlanStep,
} from '@immutable-infra/backstage-plugin-common';
import pLimit from 'p-limit';
import { AuditEventInput } from '../audit/AuditLog';
import { RolloutProvider } from '../providers/RolloutProvider';
import { ChannelStore } from '../registry/DatabaseChannelStore';
import { checkAlarms } from './alarms';
import { decideFleet, PRESENT, replacedBy, scaledInCapacity } from './decide';
import {
  clientToken,
  FleetAction,
  FleetOperator,
  fleetTags,
} from './FleetOperator';
import { RolloutNotify } from './notices';
import { ProbeFetch } from './probe';
import { RolloutChange, RolloutRecord, RolloutStore } from './RolloutStore';

/** Who the engine's own transitions are recorded as. @internal */
export const ROLLOUT_ENGINE_ACTOR = 'plugin:immutable-infra/rollouts';

/** Ticks in a row whose cloud calls failed before a rollout pauses. @internal */
export const FAILURES_BEFORE_PAUSE = 3;

/** Rollouts the engine reconciles at once by default. @internal */
export const ROLLOUT_CONCURRENCY = 4;

/** The description of the template version a rollout makes. @internal */
export function templateVersionDescription(rolloutId: string) {
  return `immutable-infra rollout ${rolloutId}`;
}

/** A step in words, for the timeline. */
function describeStep(step: RolloutPlanStep): string {
  if (step.kind === 'setWeight') {
    return step.keepOld
      ? `launch the new capacity beside the old`
      : `set weight ${step.weight}%`;
  }
  if (step.kind === 'analysis') {
    return `analysis of ${step.alarms?.join(', ')} for ${Math.round(
      (step.durationMs ?? 0) / 1000,
    )} s`;
  }
  if (step.kind === 'switch') {
    return 'switch: the old instances leave their target groups';
  }
  return step.durationMs === undefined
    ? 'pause until promoted'
    : `pause ${Math.round(step.durationMs / 1000)} s`;
}

/**
 * The rollout engine: a reconciler the scheduler runs (one replica at a
 * time). Each tick observes every active rollout's fleets (by Auto Scaling
 * group or by tag), decides with {@link decideFleet}, records what it will
 * do, then does it. Every call is idempotent on replay, so a tick that dies
 * half way is simply observed again by the next one.
 *
 * @internal
 */
export class RolloutEngine {
  constructor(
    private readonly options: {
      store: RolloutStore;
      provider: RolloutProvider;
      channels: ChannelStore;
      logger: LoggerService;
      /** Syncs an entity's fleet once a rollout ends. */
      syncEntity?: (entityRef: string) => Promise<unknown>;
      /** Tells the owner when a rollout waits for a promote, fails or aborts. */
      notify?: RolloutNotify;
      /** The HTTP probe of the gate: hosts it may reach beyond the instances', and how it asks. */
      probe?: { allowedHosts?: string[]; fetch?: ProbeFetch };
      /** Rollouts reconciled at once in a tick. Defaults to {@link ROLLOUT_CONCURRENCY}. */
      concurrency?: number;
      now?: () => number;
    },
  ) {
    this.fleets = new FleetOperator({
      provider: options.provider,
      probe: options.probe,
    });
  }

  private readonly fleets: FleetOperator;

  private now() {
    return this.options.now?.() ?? Date.now();
  }

  /**
   * One pass over every active rollout, a few at once: each is another
   * entity's and environment's, its writes guarded by its revision.
   */
  async tick(): Promise<void> {
    const limit = pLimit(
      Math.max(1, this.options.concurrency ?? ROLLOUT_CONCURRENCY),
    );
    const active = await this.options.store.listActive();
    await Promise.all(
      active.map(rollout => limit(() => this.reconcileCounted(rollout))),
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
        this.options.logger.error(
          `Rollout ${rollout.id}: ${error}; recording it failed: ${recording}`,
        );
      }
      return;
    }
    if (rollout.failedAttempts > 0) {
      await this.options.store.setFailedAttempts(rollout.id, 0);
    }
  }

  /**
   * A tick whose cloud calls failed: retried next tick, paused after a few
   * in a row (counted in the database: a restart or another replica counts
   * on).
   */
  private async failed(rollout: RolloutRecord, error: Error) {
    const count = rollout.failedAttempts + 1;
    this.options.logger.warn(
      `Rollout ${rollout.id} of ${rollout.entityRef}: ${error.message} (${count} in a row)`,
    );
    if (
      count < FAILURES_BEFORE_PAUSE ||
      !['pending', 'running'].includes(rollout.state)
    ) {
      await this.options.store.setFailedAttempts(rollout.id, count);
      return;
    }
    const reason = `paused after ${count} failed attempts to reach AWS: ${error.message}`;
    await this.options.store.update(rollout.id, rollout.revision, {
      state: 'paused',
      reason,
      failedAttempts: 0,
      events: [{ kind: 'paused', message: reason }],
      audit: [this.audit(rollout, 'rollout.pause', { reason })],
    });
  }

  private audit(
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

  /** Moves one rollout on as far as its fleets allow now. */
  async reconcile(rollout: RolloutRecord): Promise<void> {
    switch (rollout.state) {
      case 'pending':
        await this.prepare(rollout);
        return;
      case 'running':
        await this.run(rollout);
        return;
      case 'aborted':
      case 'failed':
        await this.cleanUp(rollout);
        return;
      default:
        return;
    }
  }

  /**
   * Makes each fleet's template version with the new AMI and points each
   * Auto Scaling group at it, with room for the surge and the rollout's tag
   * on what it launches.
   */
  private async prepare(rollout: RolloutRecord) {
    const { plan } = rollout;
    const fleets: RolloutFleet[] = [];
    for (const fleet of plan.fleets) {
      const location = { region: fleet.region, account: plan.account };
      const version = await this.options.provider.ensureTemplateVersion({
        ...location,
        templateId: fleet.launchTemplate!.id,
        sourceVersion: fleet.launchTemplate!.version,
        imageId: fleet.targetImageId,
        description: templateVersionDescription(rollout.id),
      });
      if (fleet.kind === 'autoscaling-group') {
        await this.options.provider.configureGroup({
          ...location,
          group: fleet.name,
          templateId: fleet.launchTemplate!.id,
          version,
          // Terminations lower the desired capacity: the minimum must allow
          // it down to what has to stay healthy.
          minSize: Math.min(fleet.minSize ?? 0, fleet.minHealthy),
          maxSize: Math.max(
            fleet.maxSize ?? 0,
            fleet.capacity + fleet.maxSurge,
          ),
          // What it launches is safe from scale-in: lowering the desired
          // capacity then retires old instances only.
          protectNewInstances: true,
          rolloutId: rollout.id,
        });
      }
      fleets.push({ ...fleet, newTemplateVersion: version });
    }
    await this.options.store.update(rollout.id, rollout.revision, {
      state: 'running',
      currentStep: 0,
      stepStartedAt: new Date(this.now()).toISOString(),
      promoted: false,
      plan: { ...plan, fleets },
      events: [
        {
          kind: 'started',
          message: `Started: ${fleets
            .map(f => `${f.name} (template version ${f.newTemplateVersion})`)
            .join(', ')}`,
        },
      ],
      audit: [this.audit(rollout, 'rollout.start')],
    });
  }

  private async run(rollout: RolloutRecord) {
    const { plan } = rollout;
    const step = plan.steps[rollout.currentStep];
    const started = rollout.stepStartedAt
      ? Date.parse(rollout.stepStartedAt)
      : this.now();
    if (!step) {
      await this.finish(rollout);
      return;
    }
    // Bake: the entity's alarms hold through every step.
    if (plan.alarms?.length) {
      const verdict = await checkAlarms(
        this.options.provider,
        rollout,
        plan.alarms,
      );
      if (verdict.broken) {
        await this.abortFor(rollout, verdict.broken);
        return;
      }
    }
    if (step.kind === 'analysis') {
      await this.analyse(rollout, step, started);
      return;
    }
    if (step.kind === 'switch') {
      await this.switchOver(rollout);
      return;
    }
    if (step.kind === 'pause') {
      const elapsed = this.now() - started;
      if (
        rollout.promoted ||
        (step.durationMs !== undefined && elapsed >= step.durationMs)
      ) {
        await this.advance(
          rollout,
          rollout.promoted ? 'promoted' : 'pause ended',
        );
      }
      return;
    }

    const status: RolloutFleetStatus[] = [];
    const actions: FleetAction[] = [];
    let done = true;
    for (const fleet of plan.fleets) {
      const { instances, desiredCapacity } = await this.fleets.observe(
        rollout,
        fleet,
      );
      const target = step.targets[fleet.key] ?? 0;
      const decision = decideFleet(fleet, target, instances, {
        keepOld: step.keepOld,
        desiredCapacity:
          fleet.kind === 'autoscaling-group' ? desiredCapacity : undefined,
      });
      status.push(decision.status);
      done = done && decision.done;
      if (decision.launch > 0 || decision.terminate.length > 0) {
        actions.push({ fleet, decision, desiredCapacity });
      }
    }

    if (done) {
      await this.options.store.update(rollout.id, rollout.revision, { status });
      const fresh = await this.options.store.get(rollout.id);
      if (fresh?.state === 'running') {
        await this.advance(
          fresh,
          `step ${rollout.currentStep + 1} reached its target`,
        );
      }
      return;
    }

    if (this.now() - started > plan.progressDeadlineMs) {
      const waiting = status.flatMap(s => [
        ...Object.entries(s.waiting).map(([id, why]) => `${id}: ${why}`),
        ...(s.scalingIn
          ? [
              `${plan.fleets.find(f => f.key === s.key)?.name ?? s.key}: ${
                s.scalingIn
              } old instance${
                s.scalingIn === 1 ? '' : 's'
              } still in service after the desired capacity was lowered (the group has not scaled in)`,
            ]
          : []),
      ]);
      const reason = `step ${
        rollout.currentStep + 1
      } passed its progress deadline of ${Math.round(
        plan.progressDeadlineMs / 1000,
      )} s${waiting.length ? `; not passed: ${waiting.join('; ')}` : ''}`;
      await this.options.store.update(rollout.id, rollout.revision, {
        status,
      });
      const fresh = await this.options.store.get(rollout.id);
      if (fresh?.state === 'running') {
        await this.failWith(fresh, reason);
      }
      return;
    }

    // Recorded before it is made: a rollout changed meanwhile (paused,
    // aborted) is left alone until the next tick reads it again.
    const recorded = await this.options.store.update(
      rollout.id,
      rollout.revision,
      {
        status,
        steps: actions.flatMap(a => [
          ...(a.decision.launch > 0
            ? [
                {
                  step: rollout.currentStep,
                  fleet: a.fleet.key,
                  action: 'launch',
                  detail: { count: a.decision.launch },
                },
              ]
            : []),
          ...(a.decision.scaleIn
            ? [
                {
                  step: rollout.currentStep,
                  fleet: a.fleet.key,
                  action: 'scale-in',
                  detail: {
                    count: a.decision.terminate.length,
                    desired: scaledInCapacity(a.decision),
                  },
                },
              ]
            : []),
          ...(a.decision.terminate.length > 0 && !a.decision.scaleIn
            ? [
                {
                  step: rollout.currentStep,
                  fleet: a.fleet.key,
                  action: 'terminate',
                  detail: { instanceIds: a.decision.terminate },
                },
              ]
            : []),
        ]),
        events: actions.map(a => ({
          kind: 'wave',
          message: `${a.fleet.name}: ${[
            a.decision.launch > 0
              ? `launching ${a.decision.launch} on ${rollout.toVersion}`
              : '',
            a.decision.scaleIn
              ? `scaling in ${a.decision.terminate.length} old instance${
                  a.decision.terminate.length === 1 ? '' : 's'
                } (desired capacity ${scaledInCapacity(a.decision)})`
              : '',
            a.decision.terminate.length > 0 && !a.decision.scaleIn
              ? `terminating ${a.decision.terminate.join(', ')}`
              : '',
          ]
            .filter(Boolean)
            .join('; ')}`,
        })),
      },
    );
    if (!recorded) {
      return;
    }
    for (const action of actions) {
      await this.fleets.act(rollout, action);
    }
  }

  /** Aborts a rollout the engine judged broken; clean-up follows at once. */
  private async abortFor(rollout: RolloutRecord, why: string) {
    if (
      !(await this.end(rollout, 'aborted', `aborted automatically: ${why}`))
    ) {
      return;
    }
    const fresh = await this.options.store.get(rollout.id);
    if (fresh?.state === 'aborted' && fresh.active) {
      await this.cleanUp(fresh);
    }
  }

  /** An analysis step: its alarms stay out of ALARM and are OK at its end. */
  private async analyse(
    rollout: RolloutRecord,
    step: RolloutPlanStep,
    started: number,
  ) {
    const verdict = await checkAlarms(
      this.options.provider,
      rollout,
      step.alarms ?? [],
    );
    if (verdict.broken) {
      await this.abortFor(rollout, `analysis: ${verdict.broken}`);
      return;
    }
    const elapsed = this.now() - started;
    const duration = step.durationMs ?? 0;
    if (elapsed < duration) {
      return;
    }
    if (verdict.pending.length === 0) {
      await this.advance(rollout, 'analysis passed: every alarm stayed OK');
      return;
    }
    if (elapsed > duration + rollout.plan.progressDeadlineMs) {
      const reason = `analysis of step ${
        rollout.currentStep + 1
      } passed its progress deadline: ${verdict.pending.join(
        ', ',
      )} never reached OK`;
      await this.failWith(rollout, reason);
    }
  }

  private async failWith(rollout: RolloutRecord, reason: string) {
    await this.end(rollout, 'failed', reason);
  }

  /** Ends a rollout as failed or aborted, and tells its owner. */
  private async end(
    rollout: RolloutRecord,
    state: 'failed' | 'aborted',
    reason: string,
  ): Promise<boolean> {
    const applied = await this.options.store.update(
      rollout.id,
      rollout.revision,
      {
        state,
        reason,
        events: [{ kind: state, message: reason }],
        audit: [
          this.audit(
            rollout,
            state === 'failed' ? 'rollout.fail' : 'rollout.abort',
            { reason },
          ),
        ],
      },
    );
    if (applied) {
      await this.options.notify?.(rollout, state, reason);
    }
    return applied;
  }

  /**
   * Blue-green's switch: the old instances leave the fleet's target groups
   * (the new ones serve alone) and stay running for the scale-down delay.
   * Recorded first; a replay deregisters again, which changes nothing.
   */
  private async switchOver(rollout: RolloutRecord) {
    const { plan } = rollout;
    const moves: { fleet: RolloutFleet; instanceIds: string[] }[] = [];
    for (const fleet of plan.fleets) {
      if (fleet.targetGroupArns.length === 0) {
        continue;
      }
      const { instances } = await this.fleets.observe(rollout, fleet);
      const isOld = replacedBy(fleet);
      const old = instances.filter(i => PRESENT.has(i.state ?? '') && isOld(i));
      if (old.length > 0) {
        moves.push({ fleet, instanceIds: old.map(i => i.instanceId) });
      }
    }
    const recorded = await this.options.store.update(
      rollout.id,
      rollout.revision,
      {
        plan: { ...plan, switched: true },
        steps: moves.map(m => ({
          step: rollout.currentStep,
          fleet: m.fleet.key,
          action: 'deregister',
          detail: { instanceIds: m.instanceIds },
        })),
      },
    );
    if (!recorded) {
      return;
    }
    for (const move of moves) {
      await this.options.provider.setTargetMembership({
        region: move.fleet.region,
        account: plan.account,
        targetGroupArns: move.fleet.targetGroupArns,
        instanceIds: move.instanceIds,
        registered: false,
      });
    }
    const fresh = await this.options.store.get(rollout.id);
    if (fresh?.state === 'running') {
      await this.advance(
        fresh,
        moves.length
          ? `switched: ${moves
              .map(m => `${m.fleet.name} serves from its new instances only`)
              .join('; ')}`
          : 'switched (no fleet has target groups)',
      );
    }
  }

  private async advance(rollout: RolloutRecord, why: string) {
    const next = rollout.currentStep + 1;
    if (next >= rollout.plan.steps.length) {
      await this.finish(rollout);
      return;
    }
    const step = rollout.plan.steps[next];
    const applied = await this.options.store.update(
      rollout.id,
      rollout.revision,
      {
        currentStep: next,
        stepStartedAt: new Date(this.now()).toISOString(),
        promoted: false,
        events: [
          {
            kind: 'step',
            message: `${why}; step ${next + 1} of ${
              rollout.plan.steps.length
            }: ${describeStep(step)}`,
          },
        ],
        audit: [this.audit(rollout, 'rollout.step', { step: next })],
      },
    );
    if (applied && step.kind === 'pause' && step.durationMs === undefined) {
      await this.options.notify?.(
        rollout,
        'awaiting-promotion',
        `step ${next + 1} of ${rollout.plan.steps.length} waits for a promote`,
      );
    }
  }

  /**
   * The last step passed: templates default to the new version, groups
   * stay pinned to it (a number, never `$Latest`) with their size limit
   * back, the channel holds the version.
   */
  private async finish(rollout: RolloutRecord) {
    const { plan } = rollout;
    const provider = this.options.provider;
    const defaults = new Set<string>();
    for (const fleet of plan.fleets) {
      const location = { region: fleet.region, account: plan.account };
      const key = `${fleet.region}/${fleet.launchTemplate!.id}`;
      if (!defaults.has(key)) {
        defaults.add(key);
        await provider.setDefaultTemplateVersion({
          ...location,
          templateId: fleet.launchTemplate!.id,
          version: fleet.newTemplateVersion!,
        });
      }
      if (fleet.kind === 'autoscaling-group') {
        await provider.configureGroup({
          ...location,
          group: fleet.name,
          templateId: fleet.launchTemplate!.id,
          version: fleet.newTemplateVersion!,
          minSize: fleet.minSize ?? 0,
          maxSize: Math.max(fleet.maxSize ?? 0, fleet.capacity),
          protectNewInstances: fleet.newInstancesProtected,
        });
        await this.fleets.releaseProtection(rollout, fleet);
      }
    }
    const events: RolloutChange['events'] = [];
    if (rollout.movesChannel) {
      const version = Number(rollout.toVersion.split('@').pop());
      const change = await this.options.channels.assignChannel({
        family: rollout.family,
        channel: rollout.environment,
        version,
        actor: rollout.createdBy,
        reason: `rollout ${rollout.id} succeeded`,
      });
      events.push({
        kind: 'channel',
        message:
          change.outcome === 'no-target'
            ? `The ${rollout.environment} channel could not move: ${change.message}`
            : `The ${rollout.environment} channel now points at ${rollout.toVersion}`,
      });
    }
    events.push({
      kind: 'succeeded',
      message: `Succeeded: every fleet runs ${rollout.toVersion}; launch templates default to it`,
    });
    await this.options.store.update(rollout.id, rollout.revision, {
      state: 'succeeded',
      release: true,
      stepStartedAt: null,
      events,
      audit: [this.audit(rollout, 'rollout.succeed')],
    });
    await this.syncAfter(rollout);
  }

  /**
   * An aborted or failed rollout: groups go back to the template version
   * and size they had, and only instances this rollout launched are
   * terminated, and only as far as the fleet keeps the capacity it ran
   * before; then the entity and environment are free again.
   */
  private async cleanUp(rollout: RolloutRecord) {
    const { plan } = rollout;
    const provider = this.options.provider;
    const notes: string[] = [];
    for (const fleet of plan.fleets) {
      const location = { region: fleet.region, account: plan.account };
      const { instances, desiredCapacity } = await this.fleets.observe(
        rollout,
        fleet,
      );
      const present = instances.filter(i => PRESENT.has(i.state ?? ''));
      const launched = present.filter(i => i.launchedByRollout);
      if (plan.switched && fleet.targetGroupArns.length > 0) {
        // Switched back: the old instances serve again before the new go.
        const back = present.filter(i => !i.launchedByRollout);
        if (back.length > 0) {
          await provider.setTargetMembership({
            ...location,
            targetGroupArns: fleet.targetGroupArns,
            instanceIds: back.map(i => i.instanceId),
            registered: true,
          });
          notes.push(
            `${fleet.name}: ${back.length} old instance${
              back.length === 1 ? '' : 's'
            } back in the target groups`,
          );
        }
      }
      // What this rollout launched and serves nothing (stopped, failing its
      // gate) goes; what serves stays while the capacity needs it.
      const broken = launched.filter(i => i.state !== 'running' || !i.healthy);
      const serving = present.filter(
        i => i.state === 'running' && (!i.launchedByRollout || i.healthy),
      );
      const servingLaunched = launched.filter(i => !broken.includes(i));
      const surplus = Math.max(0, serving.length - fleet.capacity);
      const terminate = [...broken, ...servingLaunched.slice(0, surplus)].map(
        i => i.instanceId,
      );
      if (fleet.kind === 'autoscaling-group') {
        if (terminate.length > 0) {
          await provider.terminateInGroup({
            ...location,
            instanceIds: terminate,
          });
        }
        await this.fleets.releaseProtection(rollout, fleet);
        // Only now the group's version and sizes go back: a maximum below
        // the desired capacity makes AWS lower it and scale in unprotected
        // instances, which would have been the old ones while the new were
        // still protected.
        if (fleet.newTemplateVersion !== undefined) {
          await provider.configureGroup({
            ...location,
            group: fleet.name,
            templateId: fleet.launchTemplate!.id,
            version: fleet.launchTemplate!.version,
            minSize: fleet.minSize ?? 0,
            maxSize: Math.max(fleet.maxSize ?? 0, fleet.capacity),
            protectNewInstances: fleet.newInstancesProtected,
          });
        }
      } else if (terminate.length > 0) {
        await this.fleets.retireStandalone(rollout, fleet, terminate);
      }
      // Capacity lost to instances that failed after passing comes back on
      // the version the fleet ran before.
      const deficit = Math.max(0, fleet.capacity - serving.length);
      const desired = present.length - terminate.length + deficit;
      if (deficit > 0 && fleet.kind === 'autoscaling-group') {
        // Each termination lowered the group's desired capacity by one.
        if (desired > desiredCapacity - terminate.length) {
          await provider.setGroupDesiredCapacity({
            ...location,
            group: fleet.name,
            desired,
          });
        }
      } else if (deficit > 0) {
        const restored = await provider.launchInstances({
          ...location,
          templateId: fleet.launchTemplate!.id,
          version: fleet.launchTemplate!.version,
          count: deficit,
          tags: fleetTags(rollout),
          clientToken: clientToken(
            rollout.id,
            fleet.key,
            'restore',
            serving.length,
          ),
        });
        if (fleet.targetGroupArns.length > 0 && restored.instances.length > 0) {
          await provider.setTargetMembership({
            ...location,
            targetGroupArns: fleet.targetGroupArns,
            instanceIds: restored.instances.map(i => i.instanceId),
            registered: true,
          });
        }
      }
      const kept =
        servingLaunched.length - Math.min(surplus, servingLaunched.length);
      notes.push(
        `${fleet.name}: terminated ${
          terminate.length
        } launched by this rollout${
          kept > 0
            ? `, kept ${kept} on ${rollout.toVersion} to hold the capacity of ${fleet.capacity}`
            : ''
        }${
          deficit > 0
            ? `, launched ${deficit} on the version it ran before to restore that capacity`
            : ''
        }`,
      );
    }
    await this.options.store.update(rollout.id, rollout.revision, {
      release: true,
      events: [
        { kind: 'cleaned-up', message: `Cleaned up: ${notes.join('; ')}` },
      ],
      audit: [this.audit(rollout, 'rollout.clean-up')],
    });
    await this.syncAfter(rollout);
  }

  private async syncAfter(rollout: RolloutRecord) {
    try {
      await this.options.syncEntity?.(rollout.entityRef);
    } catch (error) {
      this.options.logger.warn(
        `Fleet sync after rollout ${rollout.id} failed: ${
          (error as Error).message
        }`,
      );
    }
  }
}
