import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import {
  CreateRolloutResponse,
  DriftResponse,
  FINISHED_ROLLOUT_STATES,
  immutableInfraChannelAssignPermission,
  immutableInfraRolloutControlPermission,
  immutableInfraRolloutCreatePermission,
  parseImmutableInfraAnnotations,
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
import { planRollout } from './plan';
import { probeHostRefusal } from './probe';
import { withTargetGroups } from './targetGroups';
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
      /** Lists the data volumes of a stateful entity's old instances. */
      provider: Pick<RolloutProvider, 'dataVolumes' | 'targetGroupArns'>;
    },
  ) {}

  /** Plans a rollout and, unless `dryRun`, starts it. */
  async create(options: {
    entityRef: string;
    environment: string;
    version?: number;
    spec?: RolloutSpec;
    dryRun: boolean;
    reason?: string;
    credentials: Caller;
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
    const { annotations, errors } = parseImmutableInfraAnnotations(entity);
    if (errors.length > 0) {
      throw new InputError(
        `${entityRef} has annotations that cannot be read: ${errors
          .map(e => `${e.annotation} ${e.message}`)
          .join('; ')}`,
      );
    }
    const familyName = annotations.imageFamily;
    const family = familyName
      ? await this.options.stores.families.getFamily(familyName)
      : undefined;
    if (!family || family.entityRef !== entityRef) {
      throw new InputError(
        `${entityRef} is not enrolled: no image family of its own is registered`,
      );
    }
    if (!annotations.environments.includes(environment)) {
      throw new InputError(
        `${entityRef} has no environment "${environment}": its environments are ${annotations.environments.join(
          ', ',
        )}`,
      );
    }
    const channel = (
      await this.options.stores.channels.listChannels(family.name)
    ).find(c => c.name === environment);
    const channelVersion = channel?.version
      ? Number(channel.version.split('@').pop())
      : undefined;
    const strategy =
      options.spec?.strategy ?? annotations.rolloutStrategy?.strategy;
    const number =
      options.version ??
      (strategy === 'rollback'
        ? await this.previousVersion(entityRef, environment, family.name)
        : channelVersion);
    if (number === undefined) {
      throw new InputError(
        `The ${environment} channel of ${family.name} points at no version: name one, or assign the channel first`,
      );
    }
    const version = await this.options.stores.versions.getVersion({
      family: family.name,
      version: number,
    });
    if (!version) {
      throw new InputError(`${family.name}@${number} is not registered`);
    }
    if (version.state !== 'active') {
      throw new InputError(
        `${version.id} is ${version.state}${
          version.revokeReason ? ` (${version.revokeReason})` : ''
        }: it cannot be rolled out`,
      );
    }
    const movesChannel = number !== channelVersion;
    if (movesChannel) {
      await this.options.access.authorize({
        permission: immutableInfraChannelAssignPermission,
        entityRef,
        credentials,
        message: `Rolling out ${version.id}, which is not the ${environment} channel version, moves the channel: you may not assign channels of ${family.name}`,
      });
    }

    const refusal =
      annotations.rolloutProbe &&
      probeHostRefusal(
        annotations.rolloutProbe,
        this.options.probeAllowedHosts ?? [],
      );
    if (refusal) {
      throw new InputError(`Cannot roll out ${version.id}: ${refusal}`);
    }
    // A plan is answered only where it could start: a dry run meets the
    // active rollout as a start does (the store's unique key still decides
    // between two starts at once).
    const active = await this.options.store.findActive(entityRef, environment);
    if (active) {
      throw activeRolloutConflict(entityRef, environment, active);
    }
    const inventory = await this.options.fleet.getInventory(entityRef);
    const planned = planRollout({
      environment,
      annotations,
      inventory,
      targetImages: new Map(version.artifacts.map(a => [a.region, a.imageId])),
      spec: options.spec,
      driftedInstanceIds:
        strategy === 'replaceDrifted'
          ? await this.drifted(
              entityRef,
              environment,
              options.spec?.rootCause,
              credentials,
            )
          : undefined,
    });
    if (!planned.plan) {
      throw new InputError(
        `Cannot roll out ${
          version.id
        } to ${environment}: ${planned.problems.join('; ')}`,
      );
    }
    if (planned.plan.stateful) {
      planned.plan.fleets = await Promise.all(
        planned.plan.fleets.map(async fleet => {
          // The list informs the plan; AWS out of reach says so in it.
          const volumes = await this.options.provider
            .dataVolumes({
              region: fleet.region,
              account: annotations.awsAccountId,
              instanceIds: fleet.oldInstanceIds,
            })
            .catch(
              (error: Error) =>
                new Map(
                  fleet.oldInstanceIds.map(id => [
                    id,
                    [`not listed: ${error.message.slice(0, 200)}`],
                  ]),
                ),
            );
          return {
            ...fleet,
            dataVolumes: Object.fromEntries(
              fleet.oldInstanceIds.map(id => [id, volumes.get(id) ?? []]),
            ),
          };
        }),
      );
    }
    planned.plan.fleets = await withTargetGroups({
      provider: this.options.provider,
      fleets: planned.plan.fleets,
      account: annotations.awsAccountId,
      targetGroups: annotations.targetGroups?.[environment] ?? [],
    });
    const running = inventory.instances.filter(
      i => i.environment === environment && i.imageId,
    );
    const from = running.length
      ? await this.options.stores.versions.getVersionsByImageIds([
          ...new Set(running.map(i => i.imageId!)),
        ])
      : undefined;
    const fromVersion = from
      ? [...from.values()].find(
          v => v.family === family.name && v.id !== version.id,
        )?.id
      : undefined;
    const record: NewRollout = {
      id: randomUUID(),
      entityRef,
      environment,
      family: family.name,
      fromVersion,
      toVersion: version.id,
      movesChannel,
      strategy: planned.plan.strategy,
      state: 'pending',
      currentStep: 0,
      promoted: false,
      reason: options.reason,
      createdBy: principalRef(credentials),
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
          payload: { environment, toVersion: version.id, movesChannel },
        },
      ],
    });
    this.options.nudge?.();
    return {
      dryRun: false,
      rollout: (await this.options.store.getView(created.id))!,
    };
  }

  /**
   * The version a rollback goes back to: the one the environment ran before
   * its last successful rollout.
   */
  private async previousVersion(
    entityRef: string,
    environment: string,
    family: string,
  ): Promise<number> {
    for (let cursor: string | undefined, pages = 0; pages < 20; pages++) {
      const page = await this.options.store.listByEntity({
        entityRef,
        cursor,
        limit: 50,
      });
      const last = page.items.find(
        r =>
          r.environment === environment &&
          r.state === 'succeeded' &&
          r.fromVersion,
      );
      if (last) {
        return Number(last.fromVersion!.split('@').pop());
      }
      if (!page.nextCursor) {
        break;
      }
      cursor = page.nextCursor;
    }
    throw new InputError(
      `No successful rollout of ${environment} records the version it replaced: name the version of ${family} to roll back to`,
    );
  }

  /** The instances a replace-drifted rollout replaces. */
  private async drifted(
    entityRef: string,
    environment: string,
    rootCause: string | undefined,
    credentials: Caller,
  ): Promise<Set<string>> {
    const drift = await this.options.drift(entityRef, credentials);
    const groups = rootCause
      ? drift.groups.filter(g => g.rootCause === rootCause)
      : drift.groups;
    if (rootCause && groups.length === 0) {
      throw new InputError(
        `${entityRef} has no drift with root cause "${rootCause}" now; its root causes are: ${
          drift.groups.map(g => g.rootCause).join(', ') || 'none'
        }`,
      );
    }
    return new Set(
      groups.flatMap(g =>
        g.findings
          .filter(f => f.instanceId && f.environment === environment)
          .map(f => f.instanceId!),
      ),
    );
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
