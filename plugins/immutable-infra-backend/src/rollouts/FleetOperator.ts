import {
  ROLLOUT_ID_TAG,
  RolloutFleet,
} from '@immutable-infra/backstage-plugin-common';
import { RolloutProvider } from '../providers/RolloutProvider';
import { checkAlarms } from './alarms';
import { FleetDecision, PRESENT } from './decide';
import { LaunchOptions, launchStandalone } from './launches';
import { FleetObservation, GroupSizes, observeFleet } from './observe';
import { ProbeFetch } from './probe';
import { RolloutRecord } from './RolloutStore';

/** A scaling activity's StatusCode once it is over. */
const ACTIVITY_ENDED = new Set(['Successful', 'Failed', 'Cancelled']);

export type { FleetObservation, GroupSizes };

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
   * for a group its sizes (see {@link observeFleet}).
   */
  observe(
    rollout: RolloutRecord,
    fleet: RolloutFleet,
  ): Promise<FleetObservation> {
    return observeFleet(this.options, rollout, fleet);
  }

  /** Which of these instances are healthy in every target group of the fleet (and running). */
  async healthyInTargets(
    rollout: RolloutRecord,
    fleet: RolloutFleet,
    instanceIds: string[],
    targetGroupArns = fleet.targetGroupArns,
  ): Promise<Set<string>> {
    const verdicts = await this.provider.gate({
      ...this.location(rollout, fleet),
      instanceIds,
      targetGroupArns,
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
        /initializing|no status|: initial /.test(
          verdicts.get(id)?.waiting ?? '',
        ),
    );
  }

  /**
   * Whether a group is still launching (its instances, perhaps not visible
   * yet, may be the rollout's): below its desired capacity, or with a
   * launch activity under way. The second covers a launch the group began
   * before a policy lowered its desired capacity: the instance is not
   * listed for a while, yet it comes, with the protection it was launched
   * with. An activity's StatusCode ends at Successful, Failed or Cancelled,
   * https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_Activity.html
   */
  async groupLaunching(
    rollout: RolloutRecord,
    fleet: RolloutFleet,
  ): Promise<boolean> {
    const location = { ...this.location(rollout, fleet), group: fleet.name };
    const state = await this.provider.groupInstances(location);
    const present = state.instances.filter(i => PRESENT.has(i.state ?? ''));
    if (state.desiredCapacity > present.length) {
      return true;
    }
    const activities = await this.provider.scalingActivities({
      ...location,
      since: rollout.createdAt,
    });
    return activities.some(
      a =>
        /^Launching a new EC2 instance/.test(a.description ?? '') &&
        !ACTIVITY_ENDED.has(a.status),
    );
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

  /** Launches standalone instances into their slots (see {@link launchStandalone}). */
  async launchStandalone(
    rollout: RolloutRecord,
    fleet: RolloutFleet,
    options: LaunchOptions,
  ): Promise<{ spentToken: boolean; launched: string[] }> {
    return launchStandalone(
      this.provider,
      { ...this.location(rollout, fleet), rolloutId: rollout.id },
      fleet,
      options,
    );
  }

  async setMembership(
    rollout: RolloutRecord,
    fleet: RolloutFleet,
    instanceIds: string[],
    registered: boolean,
    targetGroupArns = fleet.targetGroupArns,
  ) {
    if (instanceIds.length === 0 || targetGroupArns.length === 0) {
      return;
    }
    await this.provider.setTargetMembership({
      ...this.location(rollout, fleet),
      targetGroupArns,
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
   * Retires standalone instances: out of the fleet's target groups first, so
   * that the load balancer stops sending them requests, and terminated once
   * their connections have drained. Answers which were terminated and which
   * still drain (a later call terminates those).
   */
  async retireStandalone(
    rollout: RolloutRecord,
    fleet: RolloutFleet,
    instanceIds: string[],
  ): Promise<{ terminated: string[]; draining: string[] }> {
    let done = instanceIds;
    let draining: string[] = [];
    const targetGroupArns = [
      ...fleet.targetGroupArns,
      ...(fleet.previewTargetGroupArns ?? []),
    ];
    if (targetGroupArns.length > 0) {
      // Deregistered first (again on a replay: a draining target stays
      // draining), then terminated only once no target group still drains
      // its connections: "Elastic Load Balancing waits for in-flight
      // requests to complete" for the deregistration delay,
      // https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-target-group-attributes.html#deregistration-delay
      await this.setMembership(
        rollout,
        fleet,
        instanceIds,
        false,
        targetGroupArns,
      );
      const verdicts = await this.provider.gate({
        ...this.location(rollout, fleet),
        instanceIds,
        targetGroupArns,
      });
      draining = instanceIds.filter(id => verdicts.get(id)?.draining);
      done = instanceIds.filter(id => !draining.includes(id));
    }
    if (done.length > 0) {
      await this.provider.terminateInstances({
        ...this.location(rollout, fleet),
        instanceIds: done,
      });
    }
    return { terminated: done, draining };
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
    await this.unprotect(
      rollout,
      fleet,
      await this.protectedByRollout(rollout, fleet),
    );
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
