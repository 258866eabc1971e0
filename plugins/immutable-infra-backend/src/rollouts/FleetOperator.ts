import {
  IMAGE_VERSION_TAG,
  ROLLOUT_ID_TAG,
  RolloutFleet,
} from '@immutable-infra/backstage-plugin-common';
import { createHash } from 'node:crypto';
import { RolloutInstance, RolloutProvider } from '../providers/RolloutProvider';
import { checkAlarms } from './alarms';
import { FleetDecision, ObservedInstance, PRESENT, replacedBy } from './decide';
import { fetchProbe, ProbeFetch, probeInstances } from './probe';
import { RolloutRecord } from './RolloutStore';

/** An Auto Scaling group's sizes as read this tick. @internal */
export type GroupSizes = {
  desiredCapacity: number;
  minSize: number;
  maxSize: number;
};

/** A fleet as observed this tick. @internal */
export type FleetObservation = {
  instances: ObservedInstance[];
  /** For an Auto Scaling group: its sizes now. */
  group?: GroupSizes;
};

/** The tags that make an instance part of the rollout's fleet. @internal */
export function fleetTags(rollout: RolloutRecord): Record<string, string> {
  return {
    ...Object.fromEntries(rollout.plan.selector.map(t => [t.key, t.value])),
    [rollout.plan.environmentTag]: rollout.environment,
  };
}

/** A launch's client token: the same launch asked again carries the same. @internal */
export function clientToken(...parts: (string | number)[]): string {
  return createHash('sha256')
    .update(parts.join('/'))
    .digest('hex')
    .slice(0, 64);
}

/**
 * The tag naming the launch slot a standalone instance fills: the same
 * slot asked again carries the same client token, and a slot filled by an
 * instance in sight is never asked again.
 *
 * @internal
 */
export const SLOT_TAG = 'immutable-infra:rollout-slot';

/** Launch errors of one Availability Zone or subnet: another may have room. */
const ZONAL_LAUNCH_ERRORS = new Set([
  'InsufficientInstanceCapacity',
  'InsufficientFreeAddressesInSubnet',
  'Unsupported',
]);

/**
 * Every call the rollout engine makes to AWS goes through here: observing a
 * fleet (the gate, the probe, standalone instances into their target
 * groups), acting on a decision, preparing and restoring groups, alarms.
 * The engine keeps the rollout's state; this keeps none.
 *
 * @internal
 */
export class FleetOperator {
  constructor(
    private readonly options: {
      provider: RolloutProvider;
      /** The HTTP probe of the gate: hosts it may reach beyond the instances', and how it asks. */
      probe?: { allowedHosts?: string[]; fetch?: ProbeFetch };
    },
  ) {}

  private get provider() {
    return this.options.provider;
  }

  private location(rollout: RolloutRecord, fleet: RolloutFleet) {
    return { region: fleet.region, account: rollout.plan.account };
  }

  /**
   * A fleet now: its instances with the gate's verdict on the new ones, and
   * for a group its sizes (read every tick: a scaling policy or a person
   * may have changed them).
   */
  async observe(
    rollout: RolloutRecord,
    fleet: RolloutFleet,
  ): Promise<FleetObservation> {
    const { plan } = rollout;
    const location = this.location(rollout, fleet);
    let instances: RolloutInstance[];
    let group: GroupSizes | undefined;
    if (fleet.kind === 'autoscaling-group') {
      const state = await this.provider.groupInstances({
        ...location,
        group: fleet.name,
      });
      instances = state.instances;
      group = {
        desiredCapacity: state.desiredCapacity,
        minSize: state.minSize,
        maxSize: state.maxSize,
      };
    } else {
      instances = await this.provider.standaloneInstances({
        ...location,
        tags: [
          ...plan.selector,
          { key: plan.environmentTag, value: rollout.environment },
        ],
      });
    }
    const isOld = replacedBy(fleet);
    const onTarget = instances.filter(
      i => PRESENT.has(i.state ?? '') && !isOld(i),
    );
    const verdicts = await this.provider.gate({
      ...location,
      instanceIds: onTarget.map(i => i.instanceId),
      targetGroupArns: fleet.targetGroupArns,
    });
    if (plan.probe && rollout.state === 'running') {
      const probed = await probeInstances({
        template: plan.probe,
        instances: onTarget.filter(
          i => i.state === 'running' && verdicts.get(i.instanceId)?.healthy,
        ),
        allowedHosts: this.options.probe?.allowedHosts ?? [],
        fetch: this.options.probe?.fetch ?? fetchProbe,
      });
      for (const [id, why] of probed) {
        verdicts.set(id, { healthy: false, waiting: why });
      }
    }
    if (
      fleet.kind === 'instances' &&
      fleet.targetGroupArns.length > 0 &&
      rollout.state === 'running'
    ) {
      // A group registers what it launches; standalone instances this
      // rollout launched are registered here, once running (again on a
      // replay: registering twice changes nothing).
      const unregistered = onTarget.filter(
        i =>
          i.state === 'running' &&
          i.tags[ROLLOUT_ID_TAG] === rollout.id &&
          verdicts.get(i.instanceId)?.unregistered,
      );
      if (unregistered.length > 0) {
        await this.setMembership(
          rollout,
          fleet,
          unregistered.map(i => i.instanceId),
          true,
        );
      }
    }
    return {
      group,
      instances: instances.map(i => ({
        instanceId: i.instanceId,
        imageId: i.imageId,
        state: i.state,
        launchTime: i.launchTime,
        subnetId: i.subnetId,
        launchedByRollout: i.tags[ROLLOUT_ID_TAG] === rollout.id,
        slot: i.tags[SLOT_TAG],
        protectedFromScaleIn: i.protectedFromScaleIn,
        healthy: verdicts.get(i.instanceId)?.healthy,
        waiting: verdicts.get(i.instanceId)?.waiting,
      })),
    };
  }

  /** Which of these instances are healthy in every target group of the fleet (and running). */
  async healthyInTargets(
    rollout: RolloutRecord,
    fleet: RolloutFleet,
    instanceIds: string[],
  ): Promise<Set<string>> {
    const verdicts = await this.provider.gate({
      ...this.location(rollout, fleet),
      instanceIds,
      targetGroupArns: fleet.targetGroupArns,
    });
    return new Set(instanceIds.filter(id => verdicts.get(id)?.healthy));
  }

  /**
   * Registers those of these instances that are missing from a target group
   * of the fleet; answers whether any is not settled yet (just registered,
   * or its status checks still initializing, before which the target
   * groups are not asked).
   */
  async registerMissing(
    rollout: RolloutRecord,
    fleet: RolloutFleet,
    instanceIds: string[],
  ): Promise<boolean> {
    if (instanceIds.length === 0 || fleet.targetGroupArns.length === 0) {
      return false;
    }
    const verdicts = await this.provider.gate({
      ...this.location(rollout, fleet),
      instanceIds,
      targetGroupArns: fleet.targetGroupArns,
    });
    const missing = instanceIds.filter(id => verdicts.get(id)?.unregistered);
    if (missing.length > 0) {
      await this.setMembership(rollout, fleet, missing, true);
    }
    return instanceIds.some(
      id =>
        verdicts.get(id)?.unregistered ||
        /initializing|no status/.test(verdicts.get(id)?.waiting ?? ''),
    );
  }

  /**
   * Whether a group is still launching towards its desired capacity (its
   * instances, perhaps not visible yet, may be the rollout's).
   */
  async groupLaunching(
    rollout: RolloutRecord,
    fleet: RolloutFleet,
  ): Promise<boolean> {
    const state = await this.provider.groupInstances({
      ...this.location(rollout, fleet),
      group: fleet.name,
    });
    const present = state.instances.filter(i => PRESENT.has(i.state ?? ''));
    return state.desiredCapacity > present.length;
  }

  /** The group's last scaling activity since `since` that failed, in AWS's words. */
  async failedActivity(
    rollout: RolloutRecord,
    fleet: RolloutFleet,
    since: string,
  ): Promise<string | undefined> {
    if (fleet.kind !== 'autoscaling-group') {
      return undefined;
    }
    const activities = await this.provider.scalingActivities({
      ...this.location(rollout, fleet),
      group: fleet.name,
      since,
    });
    const failed = activities.find(a => a.status === 'Failed');
    return failed
      ? failed.statusMessage ??
          failed.description ??
          'a scaling activity failed'
      : undefined;
  }

  /** The alarms' verdict (see {@link checkAlarms}). */
  alarms(rollout: RolloutRecord, refs: string[]) {
    return checkAlarms(this.provider, rollout, refs);
  }

  /** A group's sizes now, before the rollout changes them. */
  async groupSizes(
    rollout: RolloutRecord,
    fleet: RolloutFleet,
  ): Promise<GroupSizes> {
    const state = await this.provider.groupInstances({
      ...this.location(rollout, fleet),
      group: fleet.name,
    });
    return {
      desiredCapacity: state.desiredCapacity,
      minSize: state.minSize,
      maxSize: state.maxSize,
    };
  }

  /**
   * Makes the fleet's template version with the new AMI and points a group
   * at it with the sizes given (room for the surge, the minimum down to
   * what must stay healthy), the rollout's tag and scale-in protection on
   * what it launches. Answers the version.
   */
  async prepare(
    rollout: RolloutRecord,
    fleet: RolloutFleet,
    sizes?: { minSize: number; maxSize: number },
  ): Promise<number> {
    const location = this.location(rollout, fleet);
    const version = await this.provider.ensureTemplateVersion({
      ...location,
      templateId: fleet.launchTemplate!.id,
      sourceVersion: fleet.launchTemplate!.version,
      imageId: fleet.targetImageId,
      description: `immutable-infra rollout ${rollout.id}`,
    });
    if (fleet.kind === 'autoscaling-group' && sizes) {
      await this.provider.configureGroup({
        ...location,
        group: fleet.name,
        templateId: fleet.launchTemplate!.id,
        version,
        ...sizes,
        protectNewInstances: true,
        rolloutId: rollout.id,
      });
    }
    return version;
  }

  /**
   * Puts a group back as the rollout found it: first its template version
   * and its own protection of new instances (what it launches from now on
   * is the group's again), then the rollout's protection released, and only
   * then its sizes (a maximum below the desired capacity makes AWS scale in
   * unprotected instances, which would be the old ones while the new are
   * still protected). Answers false when an instance the rollout launched
   * is still protected (launched by the group meanwhile): asked again.
   */
  async restoreGroup(
    rollout: RolloutRecord,
    fleet: RolloutFleet,
    version: number,
  ): Promise<boolean> {
    const location = { ...this.location(rollout, fleet), group: fleet.name };
    const original = rollout.plan.runtime?.[fleet.key]?.original ?? {
      minSize: fleet.minSize ?? 0,
      maxSize: Math.max(fleet.maxSize ?? 0, fleet.capacity),
    };
    const now = await this.provider.groupInstances(location);
    const configure = (sizes: { minSize: number; maxSize: number }) =>
      this.provider.configureGroup({
        ...location,
        templateId: fleet.launchTemplate!.id,
        version,
        ...sizes,
        protectNewInstances: fleet.newInstancesProtected,
      });
    await configure({ minSize: now.minSize, maxSize: now.maxSize });
    await this.releaseProtection(rollout, fleet);
    await configure(original);
    return (await this.protectedByRollout(rollout, fleet)).length === 0;
  }

  async setDefaultTemplateVersion(
    rollout: RolloutRecord,
    fleet: RolloutFleet,
    version: number,
  ) {
    await this.provider.setDefaultTemplateVersion({
      ...this.location(rollout, fleet),
      templateId: fleet.launchTemplate!.id,
      version,
    });
  }

  /**
   * Acts on a group's decision: its desired capacity to `desired` (raising
   * the maximum first when the group's own scaling grew it), or the old
   * instances terminated with the desired capacity lowered by each.
   */
  async actOnGroup(
    rollout: RolloutRecord,
    fleet: RolloutFleet,
    decision: FleetDecision,
    group: GroupSizes,
    raiseTo: number | undefined,
  ) {
    const location = this.location(rollout, fleet);
    if (raiseTo !== undefined && raiseTo > group.maxSize) {
      await this.provider.configureGroup({
        ...location,
        group: fleet.name,
        templateId: fleet.launchTemplate!.id,
        version: fleet.newTemplateVersion!,
        minSize: group.minSize,
        maxSize: raiseTo,
        rolloutId: rollout.id,
      });
    }
    if (decision.scaleIn) {
      // Absolute and from what the group wants now: a replay asks for the
      // same capacity, and launches the group has under way are kept.
      await this.provider.setGroupDesiredCapacity({
        ...location,
        group: fleet.name,
        desired: group.desiredCapacity - decision.terminate.length,
      });
      return;
    }
    if (raiseTo !== undefined && raiseTo > group.desiredCapacity) {
      await this.provider.setGroupDesiredCapacity({
        ...location,
        group: fleet.name,
        desired: raiseTo,
      });
    }
    if (decision.terminate.length > 0) {
      await this.provider.terminateInGroup({
        ...location,
        instanceIds: decision.terminate,
      });
    }
  }

  /**
   * Launches standalone instances one by one, slot after slot from
   * `firstSlot`: the slot's subnet is fixed (`subnets` in turn, the fleet's
   * own, so that launches spread over its zones), and a subnet without
   * capacity or addresses hands the launch to the next. The slot's token is
   * `token(slot)`: the same launch asked again carries the same one, and AWS
   * answers it with the first reservation. Answers whether a token could not
   * launch again: its reservation's instances stopped or terminated since,
   * or are all already counted (seen), or it was spent in another subnet
   * (`IdempotentParameterMismatch`); the next launch then needs new tokens.
   */
  async launchStandalone(
    rollout: RolloutRecord,
    fleet: RolloutFleet,
    options: {
      version: number;
      /** The slots to fill: `<prefix><n>`, `n` also picking the subnet. */
      prefix: string;
      slots: number[];
      subnets: string[];
      tags: Record<string, string>;
    },
  ): Promise<{ spentToken: boolean; launched: string[] }> {
    let spentToken = false;
    const launched: string[] = [];
    const { subnets } = options;
    for (const slot of options.slots) {
      const name = `${options.prefix}${slot}`;
      const tries = subnets.length
        ? subnets.map((_, k) => subnets[(slot + k) % subnets.length])
        : [undefined];
      let lastError: unknown;
      for (const subnetId of tries) {
        try {
          const result = await this.provider.launchInstances({
            ...this.location(rollout, fleet),
            templateId: fleet.launchTemplate!.id,
            version: options.version,
            count: 1,
            tags: { ...options.tags, [SLOT_TAG]: name },
            clientToken: clientToken(rollout.id, fleet.key, name),
            ...(subnetId ? { subnetId } : {}),
          });
          // Asked again, a token answers its first reservation as it is
          // now: an instance that no longer runs launched nothing now.
          spentToken ||= result.instances.some(
            i => !['pending', 'running'].includes(i.state),
          );
          launched.push(...result.instances.map(i => i.instanceId));
          lastError = undefined;
          break;
        } catch (error) {
          const code = (error as Error).name;
          if (code === 'IdempotentParameterMismatch') {
            spentToken = true;
            lastError = undefined;
            break;
          }
          lastError = error;
          if (!ZONAL_LAUNCH_ERRORS.has(code)) {
            throw error;
          }
        }
      }
      if (lastError) {
        throw lastError;
      }
    }
    return { spentToken, launched };
  }

  /**
   * The `count` lowest slots of `prefix` that no instance in sight fills
   * (a slot whose instance is not visible yet is asked again, and AWS
   * answers its first reservation).
   */
  freeSlots(
    instances: ObservedInstance[],
    prefix: string,
    count: number,
  ): number[] {
    const taken = new Set(
      instances
        .filter(i => i.slot?.startsWith(prefix))
        .map(i => Number(i.slot!.slice(prefix.length))),
    );
    const slots: number[] = [];
    for (let n = 0; slots.length < count; n++) {
      if (!taken.has(n)) {
        slots.push(n);
      }
    }
    return slots;
  }

  /** The subnets a standalone fleet's instances run in, in a fixed order. */
  subnetsOf(instances: ObservedInstance[]): string[] {
    return [
      ...new Set(
        instances
          .filter(i => i.subnetId && PRESENT.has(i.state ?? ''))
          .map(i => i.subnetId!),
      ),
    ].sort();
  }

  /** The new instances' tags: the fleet's, the rollout's id and version, the step. */
  launchTags(rollout: RolloutRecord): Record<string, string> {
    return {
      ...fleetTags(rollout),
      [ROLLOUT_ID_TAG]: rollout.id,
      [IMAGE_VERSION_TAG]: rollout.toVersion,
      'immutable-infra:rollout-step': String(rollout.currentStep),
    };
  }

  async setMembership(
    rollout: RolloutRecord,
    fleet: RolloutFleet,
    instanceIds: string[],
    registered: boolean,
  ) {
    await this.provider.setTargetMembership({
      ...this.location(rollout, fleet),
      targetGroupArns: fleet.targetGroupArns,
      instanceIds,
      registered,
    });
  }

  /** Terminates group instances, lowering its desired capacity with each. */
  async terminateInGroup(
    rollout: RolloutRecord,
    fleet: RolloutFleet,
    instanceIds: string[],
  ) {
    await this.provider.terminateInGroup({
      ...this.location(rollout, fleet),
      instanceIds,
    });
  }

  async setDesiredCapacity(
    rollout: RolloutRecord,
    fleet: RolloutFleet,
    desired: number,
  ) {
    await this.provider.setGroupDesiredCapacity({
      ...this.location(rollout, fleet),
      group: fleet.name,
      desired,
    });
  }

  /**
   * Terminates standalone instances, out of the fleet's target groups first
   * so that the load balancer stops sending them requests.
   */
  async retireStandalone(
    rollout: RolloutRecord,
    fleet: RolloutFleet,
    instanceIds: string[],
  ) {
    if (fleet.targetGroupArns.length > 0) {
      await this.setMembership(rollout, fleet, instanceIds, false);
    }
    await this.provider.terminateInstances({
      ...this.location(rollout, fleet),
      instanceIds,
    });
  }

  /** Lets the group's scale-in choose these instances of it. */
  async unprotect(
    rollout: RolloutRecord,
    fleet: RolloutFleet,
    instanceIds: string[],
  ) {
    if (instanceIds.length > 0) {
      await this.provider.unprotectInstances({
        ...this.location(rollout, fleet),
        group: fleet.name,
        instanceIds,
      });
    }
  }

  /**
   * The group's instances this rollout launched were protected from
   * scale-in for the rollout's sake only: the group's own scaling may
   * choose them again (unless the group protected new instances before).
   */
  async releaseProtection(rollout: RolloutRecord, fleet: RolloutFleet) {
    const instanceIds = await this.protectedByRollout(rollout, fleet);
    if (instanceIds.length > 0) {
      await this.provider.unprotectInstances({
        ...this.location(rollout, fleet),
        group: fleet.name,
        instanceIds,
      });
    }
  }

  /**
   * The group's instances this rollout launched that are still protected
   * for its sake (none when the group protected new instances itself).
   */
  private async protectedByRollout(
    rollout: RolloutRecord,
    fleet: RolloutFleet,
  ): Promise<string[]> {
    if (fleet.newInstancesProtected !== false) {
      // Protected before the rollout, or planned by a version that did not
      // protect: left as it is.
      return [];
    }
    const { instances } = await this.provider.groupInstances({
      ...this.location(rollout, fleet),
      group: fleet.name,
    });
    return instances
      .filter(
        i => i.protectedFromScaleIn && i.tags[ROLLOUT_ID_TAG] === rollout.id,
      )
      .map(i => i.instanceId);
  }
}
