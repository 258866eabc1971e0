import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import {
  CreateRolloutResponse,
  DriftResponse,
  FINISHED_ROLLOUT_STATES,
  immutableInfraChannelAssignPermission,
  immutableInfraRolloutControlPermission,
  immutableInfraRolloutCreatePermission,
  Rollout,
  RolloutAction,
  RolloutPage,
  RolloutSpec,
} from '@immutable-infra/backstage-plugin-common';
import { randomUUID } from 'node:crypto';
import { RolloutProvider } from '../providers/RolloutProvider';
import { Caller, principalRef } from '../audit/principalRef';
import { EntityAccess } from '../catalog/EntityAccess';
import { FleetStore } from '../fleet/FleetStore';
import { RegistryStores } from '../registry/RegistryStores';
import { RolloutNotify } from './notices';
import { RolloutPlanner } from './RolloutPlanner';
import {
  activeRolloutConflict,
  RolloutChange,
  NewRollout,
  RolloutRecord,
  RolloutStore,
  viewOf,
} from './RolloutStore';

/**
 * What callers ask of rollouts: a plan or a start, the controls, and reads.
 * Every mutation checks its permission on the rollout's entity and writes
 * an audit event with the change.
 *
 * @internal
 */
export class RolloutService {
  private readonly planner: RolloutPlanner;

  constructor(
    private readonly options: {
      store: RolloutStore;
      access: EntityAccess;
      stores: RegistryStores;
      fleet: FleetStore;
      environmentTag: string;
      /** Runs the engine now, so a start or a promote shows without waiting. */
      nudge?: () => void;
      /** Tells the owner when a rollout is aborted. */
      notify?: RolloutNotify;
      /** `immutableInfra.rollouts.probe.allowedHosts`. */
      probeAllowedHosts?: string[];
      /** The entity's drift as its Drift tab shows it (replace-drifted). */
      drift: (entityRef: string, credentials: Caller) => Promise<DriftResponse>;
      /** What planning reads from AWS: target groups, their deregistration delays, data volumes. */
      provider: Pick<
        RolloutProvider,
        'dataVolumes' | 'targetGroupArns' | 'deregistrationDelays'
      >;
    },
  ) {
    this.planner = new RolloutPlanner({
      stores: options.stores,
      fleet: options.fleet,
      history: options.store,
      probeAllowedHosts: options.probeAllowedHosts,
      drift: options.drift,
      provider: options.provider,
    });
  }

  /**
   * Plans a rollout (`RolloutPlanner`) and, unless `dryRun`, starts it: the
   * caller must be allowed to start rollouts of the entity, and to assign
   * its channel when the version is not the channel's; a plan is answered
   * only where it could start (no active rollout of the environment).
   */
  async create(options: {
    entityRef: string;
    environment: string;
    version?: number;
    spec?: RolloutSpec;
    dryRun: boolean;
    reason?: string;
    credentials: Caller;
    /**
     * A rollout the plugin starts itself (the remediation policy's): who
     * the rollout, its timeline and audit name, and what the audit adds.
     */
    startedBy?: { actor: string; payload?: Record<string, unknown> };
  }): Promise<CreateRolloutResponse> {
    const { entityRef, environment, credentials } = options;
    const entity = await this.options.access.requireEntity(
      entityRef,
      credentials,
    );
    await this.options.access.authorize({
      permission: immutableInfraRolloutCreatePermission,
      entityRef,
      credentials,
      message: `You may not start rollouts of ${entityRef}`,
    });
    const target = await this.planner.target({
      entity,
      entityRef,
      environment,
      version: options.version,
      spec: options.spec,
    });
    const { annotations, family, version, movesChannel } = target;
    if (movesChannel) {
      await this.options.access.authorize({
        permission: immutableInfraChannelAssignPermission,
        entityRef,
        credentials,
        message: `Rolling out ${version.id}, which is not the ${environment} channel version, moves the channel: you may not assign channels of ${family.name}`,
      });
    }
    // A plan is answered only where it could start: a dry run meets the
    // active rollout as a start does (the store's unique key still decides
    // between two starts at once).
    const active = await this.options.store.findActive(entityRef, environment);
    if (active) {
      throw activeRolloutConflict(entityRef, environment, active);
    }
    const planned = await this.planner.plan(target, credentials);
    if (!planned.plan) {
      throw new InputError(
        `Cannot roll out ${
          version.id
        } to ${environment}: ${planned.problems.join('; ')}`,
      );
    }
    const record: NewRollout = {
      id: randomUUID(),
      entityRef,
      environment,
      family: family.name,
      fromVersion: planned.fromVersion,
      toVersion: version.id,
      movesChannel,
      strategy: planned.plan.strategy,
      state: 'pending',
      currentStep: 0,
      promoted: false,
      reason: options.reason,
      createdBy: options.startedBy?.actor ?? principalRef(credentials),
      plan: {
        ...planned.plan,
        selector: annotations.fleetSelector,
        environmentTag: this.options.environmentTag,
        account: annotations.awsAccountId,
      },
    };
    if (options.dryRun) {
      const now = new Date().toISOString();
      return {
        dryRun: true,
        rollout: {
          ...viewOf({
            ...record,
            revision: 0,
            active: false,
            failedAttempts: 0,
            status: [],
            createdAt: now,
            updatedAt: now,
          }),
          events: [],
        },
      };
    }
    const created = await this.options.store.create({
      rollout: record,
      events: [
        {
          kind: 'created',
          actor: record.createdBy,
          message: `${record.createdBy} asked to roll ${environment} out to ${
            version.id
          }${movesChannel ? ` (the channel moves to it on success)` : ''}${
            options.reason ? `: ${options.reason}` : ''
          }`,
        },
      ],
      audit: [
        {
          actor: record.createdBy,
          action: 'rollout.create',
          entityRef,
          subject: record.id,
          payload: {
            environment,
            toVersion: version.id,
            movesChannel,
            ...options.startedBy?.payload,
          },
        },
      ],
    });
    this.options.nudge?.();
    return {
      dryRun: false,
      rollout: (await this.options.store.getView(created.id))!,
    };
  }

  /** The rollouts of an entity that have not ended, for its summary. */
  async activeOf(entityRef: string): Promise<Omit<Rollout, 'events'>[]> {
    return (await this.options.store.listActive(entityRef)).map(viewOf);
  }

  /** A rollout, if the caller may read its entity; else 404. */
  async get(id: string, credentials: Caller): Promise<Rollout> {
    const view = await this.options.store.getView(id);
    if (
      !view ||
      !(await this.options.access.readEntity(view.entityRef, credentials))
    ) {
      throw new NotFoundError(
        `No rollout ${id} found, or you may not read its entity`,
      );
    }
    return view;
  }

  async listByEntity(options: {
    entityRef: string;
    cursor?: string;
    limit: number;
    credentials: Caller;
  }): Promise<RolloutPage> {
    await this.options.access.requireEntity(
      options.entityRef,
      options.credentials,
    );
    return this.options.store.listByEntity(options);
  }

  /**
   * Pause, resume, promote, abort or retry. A promote ends one pause step:
   * `step`, else the step the rollout is at when asked; it is written only
   * while the rollout is still at that step and revision, so that of
   * promotes at once one applies and a promote never ends a later pause.
   */
  async control(options: {
    id: string;
    action: RolloutAction;
    reason?: string;
    /** The pause step a promote ends. */
    step?: number;
    credentials: Caller;
  }): Promise<Rollout> {
    const { id, action, credentials } = options;
    const view = await this.get(id, credentials);
    await this.options.access.authorize({
      permission: immutableInfraRolloutControlPermission,
      entityRef: view.entityRef,
      credentials,
      message: `You may not control rollouts of ${view.entityRef}`,
    });
    const rollout = (await this.options.store.get(id))!;
    const actor = principalRef(credentials);
    const promoteStep =
      action === 'promote' ? options.step ?? rollout.currentStep : undefined;
    const change = this.transition({
      rollout,
      action,
      actor,
      reason: options.reason,
      step: promoteStep,
    });
    const why = options.reason ? `: ${options.reason}` : '';
    const what =
      promoteStep === undefined ? action : `${action} step ${promoteStep}`;
    const applied = await this.options.store.update(
      id,
      rollout.revision,
      {
        ...change,
        events: [{ kind: action, actor, message: `${actor}: ${what}${why}` }],
        audit: [
          {
            actor,
            action: `rollout.${action}`,
            entityRef: rollout.entityRef,
            subject: id,
            payload: {
              reason: options.reason ?? null,
              state: rollout.state,
              ...(promoteStep === undefined ? {} : { step: promoteStep }),
            },
          },
        ],
      },
      promoteStep === undefined ? undefined : { currentStep: promoteStep },
    );
    if (!applied) {
      // Someone else changed it first: refused as it stands now where the
      // action no longer applies, else asked to look again.
      const now = await this.options.store.get(id);
      if (now) {
        this.transition({ rollout: now, action, actor, step: promoteStep });
      }
      throw new ConflictError(
        `Rollout ${id} changed while you asked (it is now ${now?.state}); look again and retry`,
      );
    }
    this.options.nudge?.();
    if (change.state === 'aborted') {
      await this.options.notify?.(rollout, 'aborted', change.reason!);
    }
    return (await this.options.store.getView(id))!;
  }

  /**
   * What an action does to a rollout in its state; 409 where it cannot. A
   * promote ends the pause at `step`, which must be the step the rollout is at.
   */
  private transition(options: {
    rollout: RolloutRecord;
    action: RolloutAction;
    actor: string;
    reason?: string;
    step?: number;
  }): RolloutChange {
    const { rollout, action, actor, reason } = options;
    const finished = FINISHED_ROLLOUT_STATES.includes(rollout.state);
    const refuse = (what: string) =>
      new ConflictError(`Rollout ${rollout.id} is ${rollout.state}: ${what}`);
    switch (action) {
      case 'pause':
        if (!['pending', 'running'].includes(rollout.state))
          throw refuse('only a pending or running rollout can be paused');
        return { state: 'paused' };
      case 'resume':
        if (rollout.state !== 'paused')
          throw refuse('only a paused rollout can be resumed');
        return {
          state: 'running',
          reason: null,
          stepStartedAt: new Date().toISOString(),
        };
      case 'promote': {
        const current = rollout.currentStep;
        if (options.step !== undefined && options.step !== current) {
          throw new ConflictError(
            `Rollout ${rollout.id} is at step ${current}, not step ${options.step}: a promote ends only the pause step it names; look again`,
          );
        }
        const step = rollout.plan.steps[current];
        if (rollout.state !== 'running' || step?.kind !== 'pause') {
          throw refuse('only a rollout paused at a pause step can be promoted');
        }
        if (rollout.promoted) {
          throw new ConflictError(
            `Rollout ${rollout.id}: step ${current} is already promoted; the rollout moves past it shortly`,
          );
        }
        return { promoted: true };
      }
      case 'abort':
        if (finished) throw refuse('it has already ended');
        return {
          state: 'aborted',
          reason: `aborted by ${actor}${reason ? `: ${reason}` : ''}`,
        };
      case 'retry':
        if (!['aborted', 'failed'].includes(rollout.state))
          throw refuse('only an aborted or failed rollout can be retried');
        if (rollout.active)
          throw refuse('it is still being cleaned up; retry in a moment');
        return {
          state: 'pending',
          currentStep: 0,
          promoted: false,
          reason: null,
          reacquire: true,
        };
      default:
        throw new InputError(`Unknown action ${action}`);
    }
  }
}
