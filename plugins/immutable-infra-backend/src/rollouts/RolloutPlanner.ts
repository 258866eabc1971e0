import { Entity } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import {
  DriftResponse,
  ImageFamily,
  ImageVersion,
  ImmutableInfraAnnotations,
  parseImmutableInfraAnnotations,
  RolloutFleet,
  RolloutSpec,
} from '@immutable-infra/backstage-plugin-common';
import { Caller } from '../audit/principalRef';
import { Inventory } from '../drift/types';
import { FleetStore } from '../fleet/FleetStore';
import { RolloutProvider } from '../providers/RolloutProvider';
import { RegistryStores } from '../registry/RegistryStores';
import { planRollout, RolloutPlan } from './plan';
import { probeHostRefusal } from './probe';
import { RolloutStore } from './RolloutStore';
import { RolloutStrategy, strategyOf } from './strategies';
import {
  withDeregistrationDelays,
  withPreviewTargetGroups,
  withTargetGroups,
} from './targetGroups';

/**
 * What a rollout goes to: the entity's annotations, family and
 * environment, the version and whether its success moves the channel.
 *
 * @internal
 */
export type RolloutTarget = {
  entityRef: string;
  environment: string;
  annotations: ImmutableInfraAnnotations;
  family: ImageFamily;
  version: ImageVersion;
  movesChannel: boolean;
  strategy: RolloutStrategy;
  spec?: RolloutSpec;
};

/**
 * Plans rollouts from what planning needs: the entity's annotations, the
 * registry (family, channel, version), the rollout history (a rollback's
 * version), the fleets of the last sync, the entity's drift
 * (replace-drifted) and, through the provider, AWS's target groups, their
 * deregistration delays and a stateful entity's data volumes. It changes
 * nothing; the service checks permissions and starts what it plans.
 *
 * @internal
 */
export class RolloutPlanner {
  constructor(
    private readonly options: {
      stores: RegistryStores;
      fleet: Pick<FleetStore, 'getInventory'>;
      history: Pick<RolloutStore, 'listByEntity'>;
      /** `immutableInfra.rollouts.probe.allowedHosts`. */
      probeAllowedHosts?: string[];
      /** The entity's drift as its Drift tab shows it (replace-drifted). */
      drift: (entityRef: string, credentials: Caller) => Promise<DriftResponse>;
      provider: Pick<
        RolloutProvider,
        'dataVolumes' | 'targetGroupArns' | 'deregistrationDelays'
      >;
    },
  ) {}

  /**
   * The version a rollout of the entity's environment goes to: the one
   * named, else the strategy's (the channel's, or a rollback's previous
   * one). Throws an `InputError` naming what stops it: annotations that
   * cannot be read, no family, no such environment, no version, a version
   * not active, a probe the backend may not reach.
   */
  async target(options: {
    entity: Entity;
    entityRef: string;
    environment: string;
    version?: number;
    spec?: RolloutSpec;
  }): Promise<RolloutTarget> {
    const { entity, entityRef, environment, spec } = options;
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
    const strategy = strategyOf(spec, annotations);
    const number =
      options.version ??
      (await strategy.pickVersion({
        channel: channelVersion,
        previous: () => this.previousVersion(entityRef, environment, family),
      }));
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
    const refusal =
      annotations.rolloutProbe &&
      probeHostRefusal(
        annotations.rolloutProbe,
        this.options.probeAllowedHosts ?? [],
      );
    if (refusal) {
      throw new InputError(`Cannot roll out ${version.id}: ${refusal}`);
    }
    return {
      entityRef,
      environment,
      annotations,
      family,
      version,
      movesChannel: number !== channelVersion,
      strategy,
      spec,
    };
  }

  /**
   * The plan of a rollout to its target, from the last sync's fleets and
   * AWS's target groups, or the problems that stop it. Target groups that
   * cannot be checked (AWS out of reach, 503) or that
   * `immutable-infra.io/target-groups` names but do not exist (400) are
   * thrown.
   */
  async plan(
    target: RolloutTarget,
    credentials: Caller,
  ): Promise<
    | { plan: RolloutPlan; fromVersion?: string; problems: [] }
    | { plan?: undefined; problems: string[] }
  > {
    const { entityRef, environment, annotations, spec, strategy } = target;
    const inventory = await this.options.fleet.getInventory(entityRef);
    const input = {
      environment,
      annotations,
      inventory,
      targetImages: new Map(
        target.version.artifacts.map(a => [a.region, a.imageId]),
      ),
      spec,
      driftedInstanceIds: strategy.replacesOnlyDrifted
        ? await this.drifted(target, credentials)
        : undefined,
    };
    // Planned once from the last sync alone, so that what the strategy
    // refuses is said before AWS is asked anything.
    const first = planRollout(input);
    if (!first.plan) {
      return first;
    }
    const { fleets, problems } = await this.read(target, first.plan.fleets);
    if (problems.length > 0) {
      return { problems: [...new Set(problems)] };
    }
    const result = planRollout({ ...input, fleets });
    if (!result.plan) {
      return result;
    }
    return {
      plan: result.plan,
      fromVersion: await this.fromVersion(target, inventory),
      problems: [],
    };
  }

  /**
   * What the fleets need from AWS: the target groups of standalone
   * instances, blue-green's preview target groups (ignored by the other
   * strategies), every fleet's deregistration delay, and a stateful
   * entity's data volumes.
   */
  private async read(
    target: RolloutTarget,
    planned: RolloutFleet[],
  ): Promise<{ fleets: RolloutFleet[]; problems: string[] }> {
    const { annotations, environment, strategy } = target;
    const { provider } = this.options;
    const account = annotations.awsAccountId;
    let fleets = annotations.stateful
      ? await this.withDataVolumes(planned, account)
      : planned;
    fleets = await withTargetGroups({
      provider,
      fleets,
      account,
      targetGroups: annotations.targetGroups?.[environment] ?? [],
    });
    let problems: string[] = [];
    if (strategy.usesPreviewTargetGroups) {
      ({ fleets, problems } = await withPreviewTargetGroups({
        provider,
        fleets,
        account,
        previewTargetGroups:
          annotations.previewTargetGroups?.[environment] ?? [],
      }));
    }
    if (problems.length > 0) {
      return { fleets, problems };
    }
    fleets = await withDeregistrationDelays({ provider, fleets, account });
    return { fleets, problems };
  }

  /** A stateful entity's fleets with each old instance's data volumes. */
  private async withDataVolumes(
    fleets: RolloutFleet[],
    account?: string,
  ): Promise<RolloutFleet[]> {
    return Promise.all(
      fleets.map(async fleet => {
        // The list informs the plan; AWS out of reach says so in it.
        const volumes = await this.options.provider
          .dataVolumes({
            region: fleet.region,
            account,
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

  /** The version of the family the environment runs now, other than the target. */
  private async fromVersion(
    target: RolloutTarget,
    inventory: Inventory,
  ): Promise<string | undefined> {
    const running = inventory.instances.filter(
      i => i.environment === target.environment && i.imageId,
    );
    if (running.length === 0) {
      return undefined;
    }
    const from = await this.options.stores.versions.getVersionsByImageIds([
      ...new Set(running.map(i => i.imageId!)),
    ]);
    return [...from.values()].find(
      v => v.family === target.family.name && v.id !== target.version.id,
    )?.id;
  }

  /**
   * The version a rollback goes back to: the one the environment ran before
   * its last successful rollout.
   */
  private async previousVersion(
    entityRef: string,
    environment: string,
    family: ImageFamily,
  ): Promise<number> {
    for (let cursor: string | undefined, pages = 0; pages < 20; pages++) {
      const page = await this.options.history.listByEntity({
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
      `No successful rollout of ${environment} records the version it replaced: name the version of ${family.name} to roll back to`,
    );
  }

  /** The instances a replace-drifted rollout replaces. */
  private async drifted(
    target: RolloutTarget,
    credentials: Caller,
  ): Promise<Set<string>> {
    const { entityRef, environment } = target;
    const rootCause = target.spec?.rootCause;
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
}
