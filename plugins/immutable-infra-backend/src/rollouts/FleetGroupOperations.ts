import {
  ROLLOUT_ID_TAG,
  RolloutFleet,
  RolloutFleetStatus,
} from '@immutable-infra/backstage-plugin-common';
import { RolloutProvider, ScalingActivity } from '../providers/RolloutProvider';
import { FleetDecision, PRESENT } from './decide';
import { GroupSizes } from './observe';
import { ProbeFetch } from './probe';
import { RolloutRecord } from './RolloutStore';

/** A scaling activity's StatusCode once it is over. */
const ACTIVITY_ENDED = new Set(['Successful', 'Failed', 'Cancelled']);

/** What a fleet operator is handed. @internal */
export type FleetOperatorOptions = {
  provider: RolloutProvider;
  /** The HTTP probe of the gate: hosts it may reach beyond the instances', and how it asks. */
  probe?: { allowedHosts?: string[]; fetch?: ProbeFetch };
};

/**
 * The part of {@link FleetOperator} that acts on Auto Scaling groups and
 * launch templates: a group's sizes and scaling activities, preparing a
 * group for the rollout and putting it back, acting on a group's decision,
 * the rollout's scale-in protection. It keeps no state.
 *
 * @internal
 */
export class FleetGroupOperations {
  constructor(protected readonly options: FleetOperatorOptions) {}

  protected get provider() {
    return this.options.provider;
  }

  protected location(rollout: RolloutRecord, fleet: RolloutFleet) {
    return { region: fleet.region, account: rollout.plan.account };
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

  /**
   * What the group's scaling activities say, for its status, in AWS's
   * words: the last one since `since` that failed (its StatusMessage), and
   * for a group `rescaled` since the plan the last one since the rollout
   * began that the group's own scaling started (its Cause names
   * the policy or the scheduled action: "At … a monitor alarm … in state
   * ALARM triggered policy … changing the desired capacity from 1 to 2.",
   * https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-verify-scaling-activity.html;
   * fields of https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_Activity.html).
   */
  async groupActivities(
    rollout: RolloutRecord,
    fleet: RolloutFleet,
    { since, rescaled }: { since: string; rescaled: boolean },
  ): Promise<
    Pick<RolloutFleetStatus, 'activity' | 'failedActivity' | 'scaledBy'>
  > {
    if (fleet.kind !== 'autoscaling-group') {
      return {};
    }
    const activities = await this.provider.scalingActivities({
      ...this.location(rollout, fleet),
      group: fleet.name,
      since: rollout.createdAt < since ? rollout.createdAt : since,
    });
    // Newest first.
    const failed = activities.find(
      a => a.status === 'Failed' && a.startTime >= since,
    );
    const scaledBy =
      rescaled &&
      activities.find(a =>
        /triggered policy|scheduled action/.test(a.cause ?? ''),
      );
    const words = (a: ScalingActivity) => ({
      statusMessage: a.statusMessage,
      cause: a.cause,
      description: a.description,
      startTime: a.startTime,
    });
    return {
      ...(failed
        ? {
            activity:
              failed.statusMessage ??
              failed.description ??
              'a scaling activity failed',
            failedActivity: words(failed),
          }
        : {}),
      ...(scaledBy ? { scaledBy: words(scaledBy) } : {}),
    };
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
