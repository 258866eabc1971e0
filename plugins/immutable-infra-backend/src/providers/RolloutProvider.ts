import { RolloutGateHold } from '@immutable-infra/backstage-plugin-common';
import { ImageLocation } from './ImageProvider';

/** An instance as a rollout observes it, with the gate's verdict. @internal */
export type RolloutInstance = {
  instanceId: string;
  imageId?: string;
  state?: string;
  launchTime?: string;
  privateIp?: string;
  publicIp?: string;
  privateDns?: string;
  tags: Record<string, string>;
  /** For an instance of an Auto Scaling group: whether scale-in skips it. */
  protectedFromScaleIn?: boolean;
  /** For an instance of an Auto Scaling group: its lifecycle state (`InService`, `Pending`, `Standby`, …). */
  lifecycleState?: string;
  subnetId?: string;
  availabilityZone?: string;
};

/**
 * An Auto Scaling group as it is now: read on every tick, never taken from
 * the last sync (a scaling policy or a person may have changed it).
 *
 * @internal
 */
export type GroupState = {
  /** The instances (not terminated) of the group. */
  instances: RolloutInstance[];
  desiredCapacity: number;
  minSize: number;
  maxSize: number;
  /** The template and version the group launches from now. */
  launchTemplate?: { id: string; version: string };
};

/**
 * One scaling activity of a group (`DescribeScalingActivities`): what the
 * group did or failed to do, asynchronously, after a change of its desired
 * capacity.
 *
 * @internal
 */
export type ScalingActivity = {
  activityId: string;
  /** `Successful`, `Failed`, `Cancelled`, `InProgress`, … (AWS's `StatusCode`). */
  status: string;
  /** AWS's words for a failure, e.g. an `InsufficientInstanceCapacity` message. */
  statusMessage?: string;
  /**
   * What started it, e.g. "At … a monitor alarm … in state ALARM triggered
   * policy … changing the desired capacity from 4 to 10."
   */
  cause?: string;
  description?: string;
  startTime: string;
};

/**
 * The answer to a launch: the instances of the reservation. A client token
 * that was used before answers the original reservation, whose instances
 * may have terminated since (AWS keeps a token at least a day): such an
 * answer launched nothing.
 *
 * @internal
 */
export type LaunchResult = {
  instances: { instanceId: string; state: string }[];
};

/** Where one new instance stands at the gate. @internal */
export type GateVerdict = {
  healthy: boolean;
  waiting?: string;
  /** What holds it, as AWS reported it (with `waiting`, its words). */
  hold?: RolloutGateHold;
  /**
   * Absent from one of the target groups, or leaving it (draining after a
   * deregistration): not merely unhealthy there. Registering it again is
   * what brings it back.
   */
  unregistered?: boolean;
  /**
   * Draining in one of the target groups, whatever its health: connections
   * are still being finished, and the instance must not be terminated yet.
   */
  draining?: boolean;
};

/**
 * Every call the rollout engine makes to the cloud. Each is idempotent on
 * replay: counts are absolute, versions are found by their description
 * before one is made, launches carry the rollout's tags and a
 * deterministic client token.
 *
 * @internal
 */
export interface RolloutProvider {
  /** An Auto Scaling group now: its instances (not terminated), sizes and template. */
  groupInstances(
    location: ImageLocation & { group: string },
  ): Promise<GroupState>;

  /**
   * The group's scaling activities that started at or after `since`,
   * newest first (at most the last 100).
   */
  scalingActivities(
    location: ImageLocation & { group: string; since: string },
  ): Promise<ScalingActivity[]>;

  /** Instances with every tag given, in no Auto Scaling group. */
  standaloneInstances(
    location: ImageLocation & { tags: { key: string; value: string }[] },
  ): Promise<RolloutInstance[]>;

  /**
   * The gate for each instance: running, EC2 status checks ok, healthy in
   * every target group given.
   */
  gate(
    location: ImageLocation & {
      instanceIds: string[];
      targetGroupArns: string[];
    },
  ): Promise<Map<string, GateVerdict>>;

  /**
   * The template version described as `description`, made from `source`
   * with the new AMI when there is none yet; answers its number.
   */
  ensureTemplateVersion(
    location: ImageLocation & {
      templateId: string;
      sourceVersion: number;
      imageId: string;
      description: string;
    },
  ): Promise<number>;

  /**
   * Points a group at a template version, sets its size limits and whether
   * the instances it launches start protected from scale-in, and puts (or,
   * with `rolloutId` undefined, removes) the rollout tag they get.
   */
  configureGroup(
    location: ImageLocation & {
      group: string;
      templateId: string;
      version: number;
      minSize: number;
      maxSize: number;
      /** Left as the group has it when undefined. */
      protectNewInstances?: boolean;
      rolloutId?: string;
    },
  ): Promise<void>;

  /** Lets scale-in choose these instances of a group again. */
  unprotectInstances(
    location: ImageLocation & { group: string; instanceIds: string[] },
  ): Promise<void>;

  /**
   * Sets a group's desired capacity: an absolute number, safe to replay.
   * Lower than the group's instances, the group terminates instances not
   * protected from scale-in, through its termination lifecycle hooks.
   */
  setGroupDesiredCapacity(
    location: ImageLocation & { group: string; desired: number },
  ): Promise<void>;

  /**
   * Terminates group instances, lowering the desired capacity with each.
   * An instance no longer in the group (a replay) is skipped; every other
   * refusal (access denied, the minimum size) is thrown.
   */
  terminateInGroup(
    location: ImageLocation & { instanceIds: string[] },
  ): Promise<void>;

  /**
   * Launches instances from a template version, tagged as given, in the
   * subnet given (else the template's). Throws AWS's error (its `name` the
   * error code, e.g. `InsufficientInstanceCapacity`) when nothing launched.
   */
  launchInstances(
    location: ImageLocation & {
      templateId: string;
      version: number;
      count: number;
      tags: Record<string, string>;
      clientToken: string;
      subnetId?: string;
    },
  ): Promise<LaunchResult>;

  terminateInstances(
    location: ImageLocation & { instanceIds: string[] },
  ): Promise<void>;

  /**
   * The state (`OK`, `ALARM`, `INSUFFICIENT_DATA`) of each CloudWatch alarm
   * named; an alarm that does not exist is absent from the answer.
   */
  alarmStates(
    location: ImageLocation & { names: string[] },
  ): Promise<Map<string, { state: string; reason?: string }>>;

  /** The ARN of each target group named that exists in the region. */
  targetGroupArns(
    location: ImageLocation & { names: string[] },
  ): Promise<Map<string, string>>;

  /**
   * Each target group's deregistration delay in seconds
   * (`deregistration_delay.timeout_seconds`): how long a deregistered
   * target keeps draining its connections.
   */
  deregistrationDelays(
    location: ImageLocation & { targetGroupArns: string[] },
  ): Promise<Map<string, number>>;

  /** Registers instances in (or deregisters them from) target groups. */
  setTargetMembership(
    location: ImageLocation & {
      targetGroupArns: string[];
      instanceIds: string[];
      registered: boolean;
    },
  ): Promise<void>;

  /** The non-root EBS volumes attached to each instance. */
  dataVolumes(
    location: ImageLocation & { instanceIds: string[] },
  ): Promise<Map<string, string[]>>;

  /** Makes a version the template's default. */
  setDefaultTemplateVersion(
    location: ImageLocation & { templateId: string; version: number },
  ): Promise<void>;
}
