/*
 * A stateful, seeded, in-process model of the parts of EC2, Auto Scaling,
 * ELBv2 and CloudWatch that the rollout engine relies on, behind the
 * engine's one interface to the cloud (RolloutProvider). It fails the way
 * AWS fails: client tokens answer the original reservation,
 * reads lag writes, groups act asynchronously (launch activities that fail,
 * scale-in by the default termination policy, draining before termination),
 * a lower MaxSize lowers the desired capacity, calls are throttled.
 *
 * Time moves only through step() / advance(ms): no timer, no Date.now(), no
 * Math.random(). Every random choice comes from one generator seeded by the
 * constructor, so a seed and a history of calls give the same cloud.
 *
 * Every rule below cites the AWS page it follows. What is NOT modelled:
 * lifecycle hooks, warm pools, Standby, instance refresh, health check grace
 * periods, cooldowns, AZ rebalancing after a decrement, mixed instances,
 * Spot, launch configurations, ELB health check type on groups (a group
 * replaces instances on EC2 health only), CloudWatch metrics (alarm states are
 * set from outside), pagination and request batching limits, IAM (other than
 * an injected UnauthorizedOperation), several regions in one model (a call
 * for another region finds nothing). Messages marked "approximate" follow
 * AWS's error code but their wording could not be checked.
 */
import { ROLLOUT_ID_TAG } from '@immutable-infra/backstage-plugin-common';
import { ImageLocation } from '../providers/ImageProvider';
import {
  GateVerdict,
  GroupState,
  LaunchResult,
  RolloutInstance,
  RolloutProvider,
  ScalingActivity,
} from '../providers/RolloutProvider';

/** The tag Auto Scaling puts on the instances it launches. */
const GROUP_TAG = 'aws:autoscaling:groupName';

type InstanceState =
  | 'pending'
  | 'running'
  | 'stopping'
  | 'stopped'
  | 'shutting-down'
  | 'terminated';

type LifecycleState = 'Pending' | 'InService' | 'Terminating' | 'Terminated';

/** Launch failures the model can inject, by AWS error code. @internal */
export type LaunchFailureCode =
  | 'InsufficientInstanceCapacity'
  | 'InsufficientFreeAddressesInSubnet'
  | 'InvalidAMIID.NotFound'
  | 'UnauthorizedOperation'
  | 'InstanceLimitExceeded';

/** Failures that concern one Availability Zone or subnet, not the request. */
const ZONAL_FAILURES = new Set<LaunchFailureCode>([
  'InsufficientInstanceCapacity',
  'InsufficientFreeAddressesInSubnet',
]);

type ModelInstance = {
  instanceId: string;
  reservationId: string;
  imageId: string;
  instanceType: string;
  state: InstanceState;
  /** Tick the current state was entered. */
  stateTick: number;
  launchTick: number;
  /** Tick the instance turned running (status checks start then). */
  runningTick?: number;
  launchTime: string;
  subnetId: string;
  availabilityZone: string;
  privateIp: string;
  tags: Record<string, string>;
  templateId: string;
  templateVersion: number;
  /** First tick at which EC2 reads see it (eventual consistency). */
  visibleAtTick: number;
  impaired: boolean;
  /** Gone from DescribeInstances (terminated long enough ago). */
  vanished: boolean;
  volumes: string[];
  group?: string;
  lifecycleState?: LifecycleState;
  protectedFromScaleIn: boolean;
  /** While Terminating: when the group may terminate it (draining done). */
  drainUntil?: number;
  activityId?: string;
};

type TemplateVersion = {
  number: number;
  imageId: string;
  instanceType: string;
  subnetId?: string;
  description?: string;
  visibleAtTick: number;
};

type ModelTemplate = {
  id: string;
  name: string;
  versions: TemplateVersion[];
  defaultVersion: number;
};

/** An activity with its group and AWS's `Cause` (kept for inspection). */
type ModelActivity = ScalingActivity & {
  group: string;
  startTick: number;
  cause: string;
};

type ModelGroup = {
  name: string;
  templateId: string;
  /** As the group has it: a number, `$Latest` or `$Default`. */
  version: string;
  minSize: number;
  maxSize: number;
  desiredCapacity: number;
  protectNew: boolean;
  subnetIds: string[];
  targetGroupArns: string[];
  tags: Map<string, { value: string; propagateAtLaunch: boolean }>;
  /** Desired capacity for which the all-protected notice was recorded. */
  protectedNoticeFor?: number;
  /** The Cause of the scaling policy that last set the desired capacity. */
  scaleCause?: string;
};

type Target = { registeredTick: number; drainingUntil?: number };

type ModelTargetGroup = {
  arn: string;
  name: string;
  deregistrationDelaySeconds: number;
  /** Healthy threshold × interval, in ticks. */
  healthyTicks: number;
  targets: Map<string, Target>;
};

type Subnet = {
  subnetId: string;
  availabilityZone: string;
  /** Free addresses; undefined: never runs out. */
  freeAddresses?: number;
};

type LaunchFailure = {
  code: LaunchFailureCode;
  availabilityZone?: string;
  subnetId?: string;
  imageId?: string;
  /** Launch attempts still to fail; undefined: until cleared. */
  remaining?: number;
};

/** One AWS API call the model answered (or refused). @internal */
export type ModelCall = {
  tick: number;
  service: 'ec2' | 'autoscaling' | 'elbv2' | 'cloudwatch';
  action: string;
  /** The AWS error code thrown, if any. */
  error?: string;
};

/** Settings of the model; every one has a default. @internal */
export type AwsModelOptions = {
  seed?: number;
  region?: string;
  /** Model time of tick 0 (ms since the epoch). */
  start?: number;
  /** Model time one step() advances. */
  tickMs?: number;
  /** Ticks from pending to running. */
  pendingTicks?: number;
  /** Ticks a running instance reports `initializing` status checks. */
  statusInitTicks?: number;
  /** Ticks from shutting-down to terminated, and stopping to stopped. */
  transitionTicks?: number;
  /** Ticks a terminated instance stays visible to DescribeInstances. */
  terminatedVisibleTicks?: number;
  /** Eventual consistency: a new resource is invisible to reads for min..max ticks. */
  eventualConsistency?: { minTicks?: number; maxTicks: number };
  /** Probability that any call is throttled. */
  throttlingProbability?: number;
  /** Subnets (one per zone by default: us-east-1a/b/c). */
  subnets?: Subnet[];
  instanceType?: string;
};

/** A small seeded generator (mulberry32). */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * An error as the AWS SDK v3 throws it: `name` is the AWS error code.
 *
 * @internal
 */
export function awsError(
  code: string,
  message: string,
  options: { throttling?: boolean; status?: number } = {},
): Error {
  const error = new Error(message) as Error & Record<string, unknown>;
  error.name = code;
  error.$fault = 'client';
  error.$metadata = { httpStatusCode: options.status ?? 400 };
  if (options.throttling) {
    error.$retryable = { throttling: true };
  }
  return error;
}

function hex(n: number, width: number) {
  return n.toString(16).padStart(width, '0');
}

/**
 * The model. Implements {@link RolloutProvider} exactly; the other public
 * methods are fixtures (create groups, templates, target groups), external
 * actors (a scaling policy, a dying instance, injected failures) and
 * inspection helpers for invariants.
 *
 * @internal
 */
export class AwsModel implements RolloutProvider {
  readonly region: string;
  /** Every AWS call answered or refused, in order. */
  readonly calls: ModelCall[] = [];

  private readonly random: () => number;
  private readonly tickMs: number;
  private readonly start: number;
  private readonly pendingTicks: number;
  private readonly statusInitTicks: number;
  private readonly transitionTicks: number;
  private readonly terminatedVisibleTicks: number;
  private readonly instanceType: string;
  private consistency: { minTicks: number; maxTicks: number };
  private throttlingProbability: number;
  /** Calls still to throttle: any call, or only calls of one action. */
  private throttles: { action?: string; remaining: number }[] = [];
  private tick = 0;
  private counter = 0;

  private readonly instances = new Map<string, ModelInstance>();
  private readonly templates = new Map<string, ModelTemplate>();
  private readonly groups = new Map<string, ModelGroup>();
  private readonly targetGroups = new Map<string, ModelTargetGroup>();
  private readonly alarms = new Map<
    string,
    { state: string; reason: string }
  >();
  private readonly subnets: Subnet[];
  private readonly deregisteredImages = new Set<string>();
  /** Failing health checks, with the HTTP code they answer (none: no connection). */
  private readonly unhealthyImages = new Map<string, number | undefined>();
  private readonly unhealthyInstances = new Map<string, number | undefined>();
  private failures: LaunchFailure[] = [];
  private readonly activities: ModelActivity[] = [];
  /** Client token → the request it came with and its reservation. */
  private readonly tokens = new Map<
    string,
    { fingerprint: string; instanceIds: string[] }
  >();

  constructor(options: AwsModelOptions = {}) {
    this.random = generator(options.seed ?? 1);
    this.region = options.region ?? 'us-east-1';
    this.start = options.start ?? Date.UTC(2026, 0, 1);
    this.tickMs = options.tickMs ?? 10_000;
    this.pendingTicks = options.pendingTicks ?? 2;
    this.statusInitTicks = options.statusInitTicks ?? 1;
    this.transitionTicks = options.transitionTicks ?? 1;
    this.terminatedVisibleTicks = options.terminatedVisibleTicks ?? 360;
    this.instanceType = options.instanceType ?? 't3.micro';
    this.consistency = {
      minTicks: options.eventualConsistency?.minTicks ?? 0,
      maxTicks: options.eventualConsistency?.maxTicks ?? 2,
    };
    this.throttlingProbability = options.throttlingProbability ?? 0;
    this.subnets = (
      options.subnets ??
      ['a', 'b', 'c'].map(zone => ({
        subnetId: `subnet-${zone}`,
        availabilityZone: `${this.region}${zone}`,
      }))
    ).map(s => ({ ...s }));
  }

  // ---------------------------------------------------------------- clock

  /** Model time in ms since the epoch. */
  now(): number {
    return this.start + this.tick * this.tickMs;
  }

  /** Ticks since the start. */
  ticks(): number {
    return this.tick;
  }

  /** Advances one tick and runs the asynchronous work of the cloud. */
  step(): void {
    this.tick += 1;
    this.advanceInstances();
    this.advanceTargets();
    for (const group of this.groups.values()) {
      this.advanceGroup(group);
    }
  }

  /** Advances at least `ms` of model time, tick by tick. */
  advance(ms: number): void {
    const steps = Math.ceil(ms / this.tickMs);
    for (let i = 0; i < steps; i++) {
      this.step();
    }
  }

  /**
   * Steps until every group holds its desired capacity, InService and
   * healthy in its target groups, nothing pending, terminating or draining;
   * answers the ticks it took.
   */
  settle(maxTicks = 500): number {
    for (let i = 0; i <= maxTicks; i++) {
      if (this.stable()) {
        return i;
      }
      this.step();
    }
    throw new Error(`the model did not settle in ${maxTicks} ticks`);
  }

  private stable(): boolean {
    if (
      [...this.instances.values()].some(
        i =>
          ['pending', 'stopping', 'shutting-down'].includes(i.state) ||
          (i.state === 'running' && this.statusOf(i) === 'initializing') ||
          (!i.vanished && !this.visible(i)),
      )
    ) {
      return false;
    }
    if (
      [...this.targetGroups.values()].some(tg =>
        [...tg.targets.keys()].some(id =>
          ['initial', 'draining'].includes(
            this.healthOf(tg, this.get(id)).state,
          ),
        ),
      )
    ) {
      return false;
    }
    for (const group of this.groups.values()) {
      const members = this.members(group.name);
      if (
        members.some(i => i.lifecycleState !== 'InService') ||
        this.healthyInService(group.name).length !== group.desiredCapacity ||
        members.length !== group.desiredCapacity
      ) {
        return false;
      }
    }
    return true;
  }

  // ------------------------------------------------------------- fixtures

  /** A launch template whose version 1 launches `imageId`; its id. */
  createLaunchTemplate(options: {
    name?: string;
    imageId: string;
    subnetId?: string;
    instanceType?: string;
  }): string {
    this.counter += 1;
    const id = `lt-${hex(this.counter, 17)}`;
    this.templates.set(id, {
      id,
      name: options.name ?? id,
      versions: [
        {
          number: 1,
          imageId: options.imageId,
          instanceType: options.instanceType ?? this.instanceType,
          subnetId: options.subnetId,
          visibleAtTick: 0,
        },
      ],
      defaultVersion: 1,
    });
    return id;
  }

  /** A target group; its ARN. */
  createTargetGroup(options: {
    name: string;
    /** `deregistration_delay.timeout_seconds`; AWS's default is 300. */
    deregistrationDelaySeconds?: number;
    /** Healthy threshold × interval, in ticks (default 2). */
    healthyTicks?: number;
  }): string {
    this.counter += 1;
    const arn = `arn:aws:elasticloadbalancing:${
      this.region
    }:123456789012:targetgroup/${options.name}/${hex(this.counter, 16)}`;
    this.targetGroups.set(arn, {
      arn,
      name: options.name,
      // https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-target-group-attributes.html#deregistration-delay
      // "The default value is 300 seconds."
      deregistrationDelaySeconds: options.deregistrationDelaySeconds ?? 300,
      healthyTicks: options.healthyTicks ?? 2,
      targets: new Map(),
    });
    return arn;
  }

  /**
   * An Auto Scaling group from a launch template. It launches toward its
   * desired capacity from the next step() on (settle() to wait).
   */
  createGroup(options: {
    name: string;
    templateId: string;
    version?: number | '$Latest' | '$Default';
    minSize: number;
    maxSize: number;
    desiredCapacity: number;
    subnetIds?: string[];
    targetGroupArns?: string[];
    /** Tags propagated at launch. */
    tags?: Record<string, string>;
    protectNewInstances?: boolean;
  }): void {
    if (!this.templates.has(options.templateId)) {
      throw new Error(`no launch template ${options.templateId}`);
    }
    if (
      options.desiredCapacity < options.minSize ||
      options.desiredCapacity > options.maxSize
    ) {
      throw new Error('desired capacity outside min and max');
    }
    this.groups.set(options.name, {
      name: options.name,
      templateId: options.templateId,
      version: String(options.version ?? 1),
      minSize: options.minSize,
      maxSize: options.maxSize,
      desiredCapacity: options.desiredCapacity,
      protectNew: options.protectNewInstances ?? false,
      subnetIds: options.subnetIds ?? this.subnets.map(s => s.subnetId),
      targetGroupArns: options.targetGroupArns ?? [],
      tags: new Map(
        Object.entries(options.tags ?? {}).map(([key, value]) => [
          key,
          { value, propagateAtLaunch: true },
        ]),
      ),
    });
  }

  /** An EBS data volume on an instance (for `dataVolumes`). */
  attachVolume(instanceId: string, volume: string): void {
    this.get(instanceId).volumes.push(volume);
  }

  // -------------------------------------------------------- external actors

  /**
   * A scaling policy (or a person) sets a group's desired capacity at any
   * moment, clamped to its limits as AWS clamps a policy's adjustment.
   */
  policyScale(groupName: string, desired: number, policy = 'cpu-target'): void {
    const group = this.requireGroup(groupName);
    const from = group.desiredCapacity;
    // https://docs.aws.amazon.com/autoscaling/ec2/userguide/asg-capacity-limits.html
    // "When scaling policies are set, they cannot decrease the group's desired
    // capacity lower than the minimum capacity" / "... higher than the maximum".
    group.desiredCapacity = Math.min(
      group.maxSize,
      Math.max(group.minSize, desired),
    );
    // The activities that follow carry the policy in their Cause, before
    // their own, as DescribeScalingActivities shows them: "At … a monitor
    // alarm … in state ALARM triggered policy … changing the desired
    // capacity from 1 to 2. At … an instance was started in response to a
    // difference between desired and actual capacity, …",
    // https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-verify-scaling-activity.html
    group.scaleCause =
      group.desiredCapacity === from
        ? group.scaleCause
        : `At ${this.iso()} a monitor alarm TargetTracking-${groupName}-Alarm${
            group.desiredCapacity > from ? 'High' : 'Low'
          } in state ALARM triggered policy ${policy} changing the desired capacity from ${from} to ${
            group.desiredCapacity
          }.`;
  }

  /**
   * An instance dies: terminated (hardware loss, a person in the console) or
   * impaired (failing its EC2 status checks while still running).
   */
  killInstance(
    instanceId: string,
    how: 'terminated' | 'impaired' = 'terminated',
  ): void {
    const instance = this.get(instanceId);
    if (how === 'impaired') {
      instance.impaired = true;
    } else if (instance.state !== 'terminated') {
      this.setState(instance, 'terminated');
    }
  }

  /** Someone stops an instance (StopInstances from outside the engine). */
  stopInstance(instanceId: string): void {
    const instance = this.get(instanceId);
    if (['pending', 'running'].includes(instance.state)) {
      this.setState(instance, 'stopping');
    }
  }

  /** Someone starts a stopped instance again. */
  startInstance(instanceId: string): void {
    const instance = this.get(instanceId);
    if (instance.state === 'stopped') {
      this.setState(instance, 'pending');
    }
  }

  /**
   * Launches fail with `code` (in a zone or subnet, or of an image, when
   * given), for the next `count` attempts or until cleared.
   */
  failLaunches(failure: {
    code: LaunchFailureCode;
    az?: string;
    subnetId?: string;
    imageId?: string;
    count?: number;
  }): void {
    this.failures.push({
      code: failure.code,
      availabilityZone: failure.az,
      subnetId: failure.subnetId,
      imageId: failure.imageId,
      remaining: failure.count,
    });
  }

  clearLaunchFailures(): void {
    this.failures = [];
  }

  /** The AMI is deregistered: launches from it fail with InvalidAMIID.NotFound. */
  deregisterImage(imageId: string): void {
    this.deregisteredImages.add(imageId);
  }

  /**
   * Instances of this AMI (or this instance) fail their target groups'
   * health checks: with `httpCode`, the health check path answers that
   * code; without, the load balancer cannot connect.
   */
  failHealthChecks(
    target: { imageId?: string; instanceId?: string },
    failing = true,
    httpCode?: number,
  ): void {
    const set = target.imageId ? this.unhealthyImages : this.unhealthyInstances;
    const key = target.imageId ?? target.instanceId!;
    if (failing) {
      set.set(key, httpCode);
    } else {
      set.delete(key);
    }
  }

  /** A subnet has this many free addresses left. */
  setSubnetFreeAddresses(subnetId: string, freeAddresses?: number): void {
    const subnet = this.subnets.find(s => s.subnetId === subnetId);
    if (!subnet) {
      throw new Error(`no subnet ${subnetId}`);
    }
    subnet.freeAddresses = freeAddresses;
  }

  /** Creates the alarm if needed and sets its state (SetAlarmState). */
  setAlarm(
    name: string,
    state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA',
    reason = `set by the model at tick ${this.tick}`,
  ): void {
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
    // "A metric alarm has the following possible states: OK, ALARM,
    // INSUFFICIENT_DATA". A new alarm starts INSUFFICIENT_DATA.
    this.alarms.set(name, { state, reason });
  }

  deleteAlarm(name: string): void {
    this.alarms.delete(name);
  }

  /**
   * The next `n` AWS calls (or the next `n` calls of `action`, e.g.
   * `CreateOrUpdateTags`) are throttled.
   */
  throttle(n: number, action?: string): void {
    this.throttles.push({ action, remaining: n });
  }

  /** Any call is throttled with this probability (seeded). */
  setThrottlingProbability(p: number): void {
    this.throttlingProbability = p;
  }

  /** New resources are invisible to reads for `minTicks`..`maxTicks` ticks (seeded). */
  setEventualConsistency(maxTicks: number, minTicks = 0): void {
    this.consistency = { minTicks, maxTicks };
  }

  // ----------------------------------------------------------- inspection

  /**
   * The group's instances that serve: running, status checks ok, InService,
   * healthy in every target group of the group, not draining.
   */
  healthyInService(groupName: string): string[] {
    const group = this.requireGroup(groupName);
    return this.members(groupName)
      .filter(
        i =>
          i.lifecycleState === 'InService' &&
          i.state === 'running' &&
          this.statusOf(i) === 'ok' &&
          group.targetGroupArns.every(
            arn =>
              this.healthOf(this.targetGroups.get(arn)!, i).state === 'healthy',
          ),
      )
      .map(i => i.instanceId);
  }

  /**
   * Which of these instances serve: running, status checks ok, and healthy
   * (not draining) in every target group given.
   */
  serving(instanceIds: string[], targetGroupArns: string[] = []): string[] {
    return instanceIds.filter(id => {
      const i = this.get(id);
      return (
        i.state === 'running' &&
        this.statusOf(i) === 'ok' &&
        targetGroupArns.every(
          arn =>
            this.healthOf(this.targetGroups.get(arn)!, i).state === 'healthy',
        )
      );
    });
  }

  /** The group as it is, Terminating instances included. */
  groupSnapshot(groupName: string) {
    const group = this.requireGroup(groupName);
    return {
      name: group.name,
      minSize: group.minSize,
      maxSize: group.maxSize,
      desiredCapacity: group.desiredCapacity,
      launchTemplate: { id: group.templateId, version: group.version },
      protectNewInstances: group.protectNew,
      tags: Object.fromEntries(
        [...group.tags].map(([key, tag]) => [key, tag.value]),
      ),
      targetGroupArns: [...group.targetGroupArns],
      instances: [...this.instances.values()]
        .filter(i => i.group === groupName && i.lifecycleState !== 'Terminated')
        .map(i => ({
          instanceId: i.instanceId,
          lifecycleState: i.lifecycleState!,
          state: i.state,
          imageId: i.imageId,
          templateVersion: i.templateVersion,
          protectedFromScaleIn: i.protectedFromScaleIn,
          availabilityZone: i.availabilityZone,
          subnetId: i.subnetId,
        })),
    };
  }

  /** One instance as the model holds it (whatever EC2 would show). */
  instance(instanceId: string) {
    const i = this.get(instanceId);
    return {
      instanceId: i.instanceId,
      state: i.state,
      imageId: i.imageId,
      tags: { ...i.tags },
      group: i.group,
      lifecycleState: i.lifecycleState,
      impaired: i.impaired,
      visible: this.visible(i),
      subnetId: i.subnetId,
      availabilityZone: i.availabilityZone,
    };
  }

  /** Every instance ever launched with this rollout's tag, terminated ones included. */
  launchedByRollout(rolloutId: string): string[] {
    return [...this.instances.values()]
      .filter(i => i.tags[ROLLOUT_ID_TAG] === rolloutId)
      .map(i => i.instanceId);
  }

  /** Instances not terminated (shutting-down counts as leaving). */
  liveInstances(
    filter: (tags: Record<string, string>) => boolean = () => true,
  ) {
    return [...this.instances.values()]
      .filter(
        i =>
          ['pending', 'running', 'stopping', 'stopped'].includes(i.state) &&
          filter(i.tags),
      )
      .map(i => i.instanceId);
  }

  /** The target health of an instance in a target group, as DescribeTargetHealth says. */
  targetHealth(arn: string, instanceId: string) {
    const tg = this.targetGroups.get(arn);
    if (!tg) {
      throw new Error(`no target group ${arn}`);
    }
    return this.healthOf(tg, this.get(instanceId));
  }

  /** A template's versions: number, AMI, description; and its default. */
  template(templateId: string) {
    const template = this.templates.get(templateId);
    if (!template) {
      throw new Error(`no launch template ${templateId}`);
    }
    return {
      defaultVersion: template.defaultVersion,
      versions: template.versions.map(v => ({
        number: v.number,
        imageId: v.imageId,
        description: v.description,
      })),
    };
  }

  // -------------------------------------------------- RolloutProvider: reads

  async groupInstances(
    location: ImageLocation & { group: string },
  ): Promise<GroupState> {
    const group = this.aws('autoscaling', 'DescribeAutoScalingGroups', () =>
      this.inRegion(location) ? this.groups.get(location.group) : undefined,
    );
    if (!group) {
      // What Ec2RolloutProvider throws when DescribeAutoScalingGroups answers no group.
      throw new Error(
        `Auto Scaling group ${location.group} no longer exists in ${location.region}`,
      );
    }
    // GroupState.instances holds the instances not terminated: members
    // Terminating are left out, as Ec2RolloutProvider leaves out every
    // lifecycle state matching /Terminat/.
    const members = this.members(group.name).filter(
      i => i.lifecycleState === 'Pending' || i.lifecycleState === 'InService',
    );
    const instances = members.length
      ? this.aws('ec2', 'DescribeInstances', () =>
          // https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html
          // A resource just created "might not be immediately visible to all
          // subsequent commands": an instance the group launched a moment
          // ago is not in the answer yet.
          members
            .filter(i => this.visible(i) && i.state !== 'terminated')
            .map(i => this.toRolloutInstance(i)),
        )
      : [];
    return {
      instances,
      desiredCapacity: group.desiredCapacity,
      minSize: group.minSize,
      maxSize: group.maxSize,
      launchTemplate: { id: group.templateId, version: group.version },
    };
  }

  async scalingActivities(
    location: ImageLocation & { group: string; since: string },
  ): Promise<ScalingActivity[]> {
    return this.aws('autoscaling', 'DescribeScalingActivities', () => {
      const since = Date.parse(location.since);
      // https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DescribeScalingActivities.html
      // Activities of the group, most recent first; a failed launch is
      // StatusCode Failed with the cause in StatusMessage.
      return this.activities
        .filter(
          a =>
            this.inRegion(location) &&
            a.group === location.group &&
            Date.parse(a.startTime) >= since,
        )
        .slice()
        .reverse()
        .slice(0, 100)
        .map(a => ({
          activityId: a.activityId,
          status: a.status,
          statusMessage: a.statusMessage,
          cause: a.cause,
          description: a.description,
          startTime: a.startTime,
        }));
    });
  }

  async standaloneInstances(
    location: ImageLocation & { tags: { key: string; value: string }[] },
  ): Promise<RolloutInstance[]> {
    return this.aws('ec2', 'DescribeInstances', () =>
      [...this.instances.values()]
        .filter(
          i =>
            this.inRegion(location) &&
            // Eventual consistency (see groupInstances).
            this.visible(i) &&
            ['pending', 'running', 'stopping', 'stopped'].includes(i.state) &&
            !i.tags[GROUP_TAG] &&
            location.tags.every(t => i.tags[t.key] === t.value),
        )
        .map(i => this.toRolloutInstance(i)),
    );
  }

  async gate(
    location: ImageLocation & {
      instanceIds: string[];
      targetGroupArns: string[];
    },
  ): Promise<Map<string, GateVerdict>> {
    const verdicts = new Map<string, GateVerdict>();
    if (location.instanceIds.length === 0) {
      return verdicts;
    }
    this.aws('ec2', 'DescribeInstanceStatus', () => {
      this.requireVisible(location, location.instanceIds);
      for (const id of location.instanceIds) {
        const instance = this.get(id);
        const status = this.statusOf(instance);
        // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_InstanceStatusSummary.html
        if (instance.state !== 'running') {
          verdicts.set(id, {
            healthy: false,
            waiting: `instance is ${instance.state}`,
            hold: { check: 'instance-state', instanceState: instance.state },
          });
        } else if (status !== 'ok') {
          const systemStatus =
            status === 'initializing' ? 'initializing' : 'ok';
          verdicts.set(id, {
            healthy: false,
            waiting: `EC2 status checks: instance ${status}, system ${systemStatus}`,
            hold: {
              check: 'status-checks',
              instanceStatus: status,
              systemStatus,
            },
          });
        } else {
          verdicts.set(id, { healthy: true });
        }
      }
    });
    for (const arn of location.targetGroupArns) {
      const tg = this.aws('elbv2', 'DescribeTargetHealth', () =>
        this.requireTargetGroup(arn),
      );
      for (const id of location.instanceIds) {
        const verdict = verdicts.get(id)!;
        const health = this.healthOf(tg, this.get(id));
        if (health.state === 'draining') {
          verdict.draining = true;
        }
        if (!verdict.healthy) {
          continue;
        }
        // https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetHealth.html
        const hold = {
          check: 'target-health' as const,
          targetGroup: tg.name,
          targetState: health.state,
          reason: health.reason,
          description: health.description,
        };
        if (health.state === 'unused' || health.state === 'draining') {
          verdicts.set(id, {
            ...verdict,
            healthy: false,
            unregistered: true,
            waiting:
              health.state === 'draining'
                ? `target group ${tg.name}: draining (${health.reason})`
                : `not registered in target group ${tg.name}`,
            hold:
              health.state === 'draining'
                ? hold
                : { check: 'not-registered', targetGroup: tg.name },
          });
        } else if (health.state !== 'healthy') {
          verdicts.set(id, {
            ...verdict,
            healthy: false,
            waiting: `target group ${tg.name}: ${health.state} (${health.reason})`,
            hold,
          });
        }
      }
    }
    return verdicts;
  }

  async alarmStates(
    location: ImageLocation & { names: string[] },
  ): Promise<Map<string, { state: string; reason?: string }>> {
    return this.aws('cloudwatch', 'DescribeAlarms', () => {
      // https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html
      // Alarms named that do not exist are simply absent from the answer.
      const states = new Map<string, { state: string; reason?: string }>();
      for (const name of location.names) {
        const alarm = this.inRegion(location) && this.alarms.get(name);
        if (alarm) {
          states.set(name, { state: alarm.state, reason: alarm.reason });
        }
      }
      return states;
    });
  }

  async targetGroupArns(
    location: ImageLocation & { names: string[] },
  ): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    if (location.names.length === 0) {
      return found;
    }
    return this.aws('elbv2', 'DescribeTargetGroups', () => {
      for (const tg of this.targetGroups.values()) {
        if (this.inRegion(location) && location.names.includes(tg.name)) {
          found.set(tg.name, tg.arn);
        }
      }
      return found;
    });
  }

  async deregistrationDelays(
    location: ImageLocation & { targetGroupArns: string[] },
  ): Promise<Map<string, number>> {
    const delays = new Map<string, number>();
    for (const arn of location.targetGroupArns) {
      const tg = this.aws('elbv2', 'DescribeTargetGroupAttributes', () =>
        this.requireTargetGroup(arn),
      );
      delays.set(arn, tg.deregistrationDelaySeconds);
    }
    return delays;
  }

  async dataVolumes(
    location: ImageLocation & { instanceIds: string[] },
  ): Promise<Map<string, string[]>> {
    return this.aws('ec2', 'DescribeInstances', () => {
      this.requireVisible(location, location.instanceIds);
      return new Map(
        location.instanceIds.map(id => [id, [...this.get(id).volumes]]),
      );
    });
  }

  // ------------------------------------------------- RolloutProvider: writes

  async ensureTemplateVersion(
    location: ImageLocation & {
      templateId: string;
      sourceVersion: number;
      imageId: string;
      description: string;
    },
  ): Promise<number> {
    const template = this.aws('ec2', 'DescribeLaunchTemplateVersions', () =>
      this.requireTemplate(location, location.templateId),
    );
    // https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html
    // A version made a moment ago may not be listed yet: a replay that looks
    // it up by description can make a second one.
    const visible = template.versions.filter(v => v.visibleAtTick <= this.tick);
    const made = visible.find(v => v.description === location.description);
    if (made) {
      return made.number;
    }
    const source = visible.find(v => v.number === location.sourceVersion);
    if (!source) {
      // What Ec2RolloutProvider throws when the source version is not listed.
      throw new Error(
        `launch template ${location.templateId} has no version ${location.sourceVersion}`,
      );
    }
    return this.aws('ec2', 'CreateLaunchTemplateVersion', () => {
      // https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/manage-launch-template-versions.html
      // Versions are numbered in the order they are created.
      const version: TemplateVersion = {
        ...source,
        number: Math.max(...template.versions.map(v => v.number)) + 1,
        imageId: location.imageId,
        description: location.description,
        visibleAtTick: this.tick + this.consistencyDelay(),
      };
      template.versions.push(version);
      return version.number;
    });
  }

  async setDefaultTemplateVersion(
    location: ImageLocation & { templateId: string; version: number },
  ): Promise<void> {
    this.aws('ec2', 'ModifyLaunchTemplate', () => {
      const template = this.requireTemplate(location, location.templateId);
      this.requireVersion(template, location.version);
      template.defaultVersion = location.version;
    });
  }

  async configureGroup(
    location: ImageLocation & {
      group: string;
      templateId: string;
      version: number;
      minSize: number;
      maxSize: number;
      protectNewInstances?: boolean;
      rolloutId?: string;
    },
  ): Promise<void> {
    const group = this.aws('autoscaling', 'UpdateAutoScalingGroup', () => {
      const found = this.requireGroupForUpdate(location, location.group);
      if (location.minSize > location.maxSize) {
        // https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_UpdateAutoScalingGroup.html
        // (MinSize ≤ MaxSize; message approximate.)
        throw awsError(
          'ValidationError',
          `Max bound, ${location.maxSize}, must be greater than or equal to min bound, ${location.minSize}`,
        );
      }
      const template = this.templates.get(location.templateId);
      if (
        !template ||
        !template.versions.some(v => v.number === location.version)
      ) {
        // (Message approximate.)
        throw awsError(
          'ValidationError',
          `You must use a valid fully-formed launch template. The specified launch template version ${location.version} of ${location.templateId} does not exist.`,
        );
      }
      found.templateId = location.templateId;
      found.version = String(location.version);
      found.minSize = location.minSize;
      found.maxSize = location.maxSize;
      if (location.protectNewInstances !== undefined) {
        found.protectNew = location.protectNewInstances;
      }
      // https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_UpdateAutoScalingGroup.html
      // "If you specify a new value for MinSize without specifying a value
      // for DesiredCapacity, and the new MinSize is larger than the current
      // size of the group, this sets the group's DesiredCapacity to the new
      // MinSize value. If you specify a new value for MaxSize without
      // specifying a value for DesiredCapacity, and the new MaxSize is
      // smaller than the current size of the group, this sets the group's
      // DesiredCapacity to the new MaxSize value." (The model reads "current
      // size" as the desired capacity.) The scale-in that follows is carried
      // out by the next step(), by the termination policy.
      const clamped = Math.min(
        found.maxSize,
        Math.max(found.minSize, found.desiredCapacity),
      );
      if (clamped !== found.desiredCapacity) {
        found.scaleCause = undefined;
      }
      found.desiredCapacity = clamped;
      return found;
    });
    // A second call: it can be throttled after the first took effect.
    if (location.rolloutId) {
      this.aws('autoscaling', 'CreateOrUpdateTags', () => {
        // https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-tagging.html
        // A tag with PropagateAtLaunch goes on the instances launched after
        // it was put, not on those already running.
        group.tags.set(ROLLOUT_ID_TAG, {
          value: location.rolloutId!,
          propagateAtLaunch: true,
        });
      });
    } else {
      this.aws('autoscaling', 'DeleteTags', () => {
        group.tags.delete(ROLLOUT_ID_TAG);
      });
    }
  }

  async unprotectInstances(
    location: ImageLocation & { group: string; instanceIds: string[] },
  ): Promise<void> {
    // SetInstanceProtection takes at most 50 instances a call.
    for (let i = 0; i < location.instanceIds.length; i += 50) {
      const batch = location.instanceIds.slice(i, i + 50);
      this.aws('autoscaling', 'SetInstanceProtection', () => {
        const group = this.requireGroupForUpdate(location, location.group);
        for (const id of batch) {
          const instance = this.instances.get(id);
          if (
            !instance ||
            instance.group !== group.name ||
            instance.lifecycleState === 'Terminated'
          ) {
            // https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_SetInstanceProtection.html
            // The instances must be members of the group. (Message approximate.)
            throw awsError(
              'ValidationError',
              `The instance ${id} is not part of Auto Scaling group ${group.name}.`,
            );
          }
        }
        for (const id of batch) {
          this.get(id).protectedFromScaleIn = false;
        }
      });
    }
  }

  async setGroupDesiredCapacity(
    location: ImageLocation & { group: string; desired: number },
  ): Promise<void> {
    this.aws('autoscaling', 'SetDesiredCapacity', () => {
      const group = this.requireGroupForUpdate(location, location.group);
      // https://docs.aws.amazon.com/autoscaling/ec2/userguide/asg-capacity-limits.html
      // "The desired capacity must be equal to or greater than the minimum
      // group size, and equal to or less than the maximum group size."
      // Messages as AWS words them (e.g. kubernetes/autoscaler#943).
      if (location.desired > group.maxSize) {
        throw awsError(
          'ValidationError',
          `New SetDesiredCapacity value ${location.desired} is above max value ${group.maxSize} for the AutoScalingGroup.`,
        );
      }
      if (location.desired < group.minSize) {
        throw awsError(
          'ValidationError',
          `New SetDesiredCapacity value ${location.desired} is below min value ${group.minSize} for the AutoScalingGroup.`,
        );
      }
      // https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_SetDesiredCapacity.html
      // The group then launches or (by its termination policy) terminates,
      // asynchronously: the next step().
      if (group.desiredCapacity !== location.desired) {
        // A request's own activities name the request, not a policy.
        group.scaleCause = undefined;
      }
      group.desiredCapacity = location.desired;
    });
  }

  async terminateInGroup(
    location: ImageLocation & { instanceIds: string[] },
  ): Promise<void> {
    for (const id of location.instanceIds) {
      try {
        this.terminateInstanceInAutoScalingGroup(location, id, true);
      } catch (error) {
        // The provider's contract: an instance no longer in a group (a
        // replay) is skipped; every other refusal is thrown.
        if (
          !(error as Error).message.startsWith(
            'Instance Id not found - No managed instance found',
          )
        ) {
          throw error;
        }
      }
    }
  }

  /**
   * TerminateInstanceInAutoScalingGroup as AWS answers it (the provider's
   * terminateInGroup skips the not-found refusal).
   */
  terminateInstanceInAutoScalingGroup(
    location: ImageLocation,
    instanceId: string,
    decrement: boolean,
  ): void {
    this.aws('autoscaling', 'TerminateInstanceInAutoScalingGroup', () => {
      const instance = this.instances.get(instanceId);
      const group =
        instance?.group && this.inRegion(location)
          ? this.groups.get(instance.group)
          : undefined;
      if (
        !instance ||
        !group ||
        !['Pending', 'InService'].includes(instance.lifecycleState ?? '')
      ) {
        // As AWS answers for an instance no group manages (yaybu/touchdown#51).
        // A member already Terminating counts as no longer managed (model choice).
        throw awsError(
          'ValidationError',
          `Instance Id not found - No managed instance found for instance ID ${instanceId}`,
        );
      }
      if (decrement && group.desiredCapacity - 1 < group.minSize) {
        // https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_TerminateInstanceInAutoScalingGroup.html
        // The desired capacity stays within the group's limits; AWS's words
        // (buildkite/elastic-ci-stack-for-aws#1261, aws/aws-cli#47):
        throw awsError(
          'ValidationError',
          `Currently, desiredSize equals minSize (${group.minSize}). Terminating instance without replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.`,
        );
      }
      const before = group.desiredCapacity;
      if (decrement) {
        group.desiredCapacity -= 1;
        group.scaleCause = undefined;
      }
      // https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-instance-protection.html
      // Scale-in protection does not protect from
      // TerminateInstanceInAutoScalingGroup.
      this.beginTermination(
        group,
        instance,
        `At ${this.iso()} instance ${instanceId} was taken out of service in response to a user request${
          decrement
            ? `, shrinking the capacity from ${before} to ${group.desiredCapacity}`
            : ''
        }.`,
      );
    });
  }

  async launchInstances(
    location: ImageLocation & {
      templateId: string;
      version: number;
      count: number;
      tags: Record<string, string>;
      clientToken: string;
      subnetId?: string;
    },
  ): Promise<LaunchResult> {
    return this.aws('ec2', 'RunInstances', () => {
      const fingerprint = JSON.stringify([
        location.region,
        location.account ?? '',
        location.templateId,
        location.version,
        location.count,
        location.subnetId ?? '',
        Object.entries(location.tags).sort(([a], [b]) => a.localeCompare(b)),
      ]);
      const previous = this.tokens.get(location.clientToken);
      if (previous) {
        // https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html
        // The same token with the same parameters answers the original
        // reservation and launches nothing, "the result might contain
        // updated information": the instances' current states, terminated
        // ones included (AWS keeps a token for at least 24 hours; the model
        // keeps it for the whole run). With other parameters:
        // IdempotentParameterMismatch.
        if (previous.fingerprint !== fingerprint) {
          throw awsError(
            'IdempotentParameterMismatch',
            'Arguments on this idempotent request are inconsistent with arguments used in previous request(s).',
          );
        }
        return {
          instances: previous.instanceIds.map(id => ({
            instanceId: id,
            state: this.get(id).state,
          })),
        };
      }
      const template = this.requireTemplate(location, location.templateId);
      const version = this.requireVersion(template, location.version);
      const subnet = this.subnetFor(location.subnetId ?? version.subnetId);
      // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RunInstances.html
      // With MinCount = MaxCount all or nothing launches; the error is thrown.
      const failure = this.launchFailure(
        version.imageId,
        subnet,
        location.count,
      );
      if (failure) {
        throw awsError(failure.code, failure.message);
      }
      const reservationId = `r-${hex(++this.counter, 17)}`;
      const made = Array.from({ length: location.count }, () =>
        this.makeInstance({
          reservationId,
          template,
          version,
          subnet,
          tags: { ...location.tags },
        }),
      );
      // Only a request that succeeded keeps its token.
      this.tokens.set(location.clientToken, {
        fingerprint,
        instanceIds: made.map(i => i.instanceId),
      });
      return {
        instances: made.map(i => ({
          instanceId: i.instanceId,
          state: i.state,
        })),
      };
    });
  }

  async terminateInstances(
    location: ImageLocation & { instanceIds: string[] },
  ): Promise<void> {
    this.aws('ec2', 'TerminateInstances', () => {
      // https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html
      // Right after RunInstances, TerminateInstances may answer
      // InvalidInstanceID.NotFound ("this doesn't mean the instance has or
      // will be terminated"): the whole call fails.
      this.requireVisible(location, location.instanceIds);
      // https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html
      // TerminateInstances is idempotent: a terminated instance stays so.
      for (const id of location.instanceIds) {
        const instance = this.get(id);
        if (!['shutting-down', 'terminated'].includes(instance.state)) {
          this.setState(instance, 'shutting-down');
        }
      }
    });
  }

  async setTargetMembership(
    location: ImageLocation & {
      targetGroupArns: string[];
      instanceIds: string[];
      registered: boolean;
    },
  ): Promise<void> {
    for (const arn of location.targetGroupArns) {
      this.aws(
        'elbv2',
        location.registered ? 'RegisterTargets' : 'DeregisterTargets',
        () => {
          const tg = this.requireTargetGroup(arn);
          if (location.registered) {
            for (const id of location.instanceIds) {
              const instance = this.instances.get(id);
              if (
                !instance ||
                !this.visible(instance) ||
                ['shutting-down', 'terminated'].includes(instance.state)
              ) {
                // https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_RegisterTargets.html
                // InvalidTarget: "The specified target does not exist, is not
                // in the same VPC as the target group, or has an unsupported
                // instance type."
                throw awsError(
                  'InvalidTarget',
                  'The specified target does not exist, is not in the same VPC as the target group, or has an unsupported instance type.',
                );
              }
            }
            for (const id of location.instanceIds) {
              this.register(tg, id);
            }
          } else {
            for (const id of location.instanceIds) {
              this.deregister(tg, id);
            }
          }
        },
      );
    }
  }

  // ------------------------------------------------------- the asynchronous cloud

  private advanceInstances() {
    for (const instance of this.instances.values()) {
      const age = this.tick - instance.stateTick;
      // https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-instance-lifecycle.html
      // pending → running; stopping → stopped; shutting-down → terminated.
      if (instance.state === 'pending' && age >= this.pendingTicks) {
        this.setState(instance, 'running');
      } else if (instance.state === 'stopping' && age >= this.transitionTicks) {
        this.setState(instance, 'stopped');
      } else if (
        instance.state === 'shutting-down' &&
        age >= this.transitionTicks
      ) {
        this.setState(instance, 'terminated');
      } else if (
        instance.state === 'terminated' &&
        !instance.vanished &&
        age >= this.terminatedVisibleTicks
      ) {
        // https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/terminating-instances.html
        // A terminated instance stays visible for a while (about an hour),
        // then DescribeInstances no longer lists it.
        instance.vanished = true;
        for (const tg of this.targetGroups.values()) {
          tg.targets.delete(instance.instanceId);
        }
      }
    }
  }

  private advanceTargets() {
    for (const tg of this.targetGroups.values()) {
      for (const [id, target] of tg.targets) {
        // https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-target-group-attributes.html#deregistration-delay
        // "The initial state of a deregistering target is draining. After
        // the deregistration delay elapses, the deregistration process
        // completes": the target is no longer listed.
        if (
          target.drainingUntil !== undefined &&
          target.drainingUntil <= this.now()
        ) {
          tg.targets.delete(id);
        }
      }
    }
  }

  private advanceGroup(group: ModelGroup) {
    for (const instance of this.members(group.name)) {
      this.advanceMember(group, instance);
    }
    const live = this.members(group.name).filter(
      i => i.lifecycleState === 'Pending' || i.lifecycleState === 'InService',
    );
    // https://docs.aws.amazon.com/autoscaling/ec2/userguide/asg-capacity-limits.html
    // "An Auto Scaling group always tries to maintain its desired capacity."
    if (live.length < group.desiredCapacity) {
      this.scaleOut(group, group.desiredCapacity - live.length, live);
    } else if (live.length > group.desiredCapacity) {
      this.scaleIn(group, live.length - group.desiredCapacity, live);
    }
  }

  private advanceMember(group: ModelGroup, instance: ModelInstance) {
    const lifecycle = instance.lifecycleState;
    if (lifecycle === 'Pending' || lifecycle === 'InService') {
      if (['shutting-down', 'terminated'].includes(instance.state)) {
        // https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-health-checks.html
        // An instance terminated from outside the group is unhealthy: the
        // group replaces it (the desired capacity is unchanged).
        this.beginTermination(
          group,
          instance,
          `At ${this.iso()} an instance was taken out of service in response to an EC2 health check indicating it has been terminated or stopped.`,
        );
        return;
      }
      if (
        lifecycle === 'InService' &&
        (['stopping', 'stopped'].includes(instance.state) || instance.impaired)
      ) {
        // https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-health-checks.html
        // An instance in any state other than running, or with impaired
        // status checks, is unhealthy; the group terminates and replaces it.
        this.beginTermination(
          group,
          instance,
          instance.impaired
            ? `At ${this.iso()} an instance was taken out of service in response to an EC2 instance status checks failure.`
            : `At ${this.iso()} an instance was taken out of service in response to an EC2 health check indicating it has been terminated or stopped.`,
        );
        return;
      }
      if (lifecycle === 'Pending' && instance.state === 'running') {
        // https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-lifecycle.html
        // Pending → InService. https://docs.aws.amazon.com/autoscaling/ec2/userguide/autoscaling-load-balancer.html
        // The group registers its instances with its target groups (the
        // model registers them as they enter InService).
        instance.lifecycleState = 'InService';
        for (const arn of group.targetGroupArns) {
          this.register(this.targetGroups.get(arn)!, instance.instanceId);
        }
        this.finishActivity(instance);
      }
      return;
    }
    if (lifecycle === 'Terminating') {
      if (
        instance.drainUntil !== undefined &&
        instance.drainUntil <= this.now() &&
        !['shutting-down', 'terminated'].includes(instance.state)
      ) {
        this.setState(instance, 'shutting-down');
      }
      if (instance.state === 'terminated') {
        instance.lifecycleState = 'Terminated';
        this.finishActivity(instance);
      }
    }
  }

  /**
   * Takes a member out of service: deregistered from the group's target
   * groups, terminated once they have drained it.
   */
  private beginTermination(
    group: ModelGroup,
    instance: ModelInstance,
    cause: string,
  ) {
    // https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-lifecycle.html
    // InService → Terminating → Terminated.
    instance.lifecycleState = 'Terminating';
    let drain = 0;
    for (const arn of group.targetGroupArns) {
      const tg = this.targetGroups.get(arn)!;
      // https://docs.aws.amazon.com/autoscaling/ec2/userguide/autoscaling-load-balancer.html
      // The group deregisters a terminating instance and waits for the
      // deregistration delay before terminating it.
      if (this.deregister(tg, instance.instanceId)) {
        drain = Math.max(drain, tg.deregistrationDelaySeconds * 1000);
      }
    }
    instance.drainUntil = this.now() + drain;
    if (
      drain === 0 &&
      !['shutting-down', 'terminated'].includes(instance.state)
    ) {
      this.setState(instance, 'shutting-down');
    }
    instance.activityId = this.record(group, {
      status: 'InProgress',
      description: `Terminating EC2 instance: ${instance.instanceId}`,
      cause,
    });
  }

  private scaleOut(group: ModelGroup, needed: number, live: ModelInstance[]) {
    const template = this.templates.get(group.templateId)!;
    const version = this.resolveVersion(template, group.version);
    const perZone = new Map<string, number>();
    for (const instance of live) {
      perZone.set(
        instance.availabilityZone,
        (perZone.get(instance.availabilityZone) ?? 0) + 1,
      );
    }
    const subnets = group.subnetIds.map(id => this.subnetFor(id));
    for (let n = 0; n < needed; n++) {
      // https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-availability-zone-balanced.html
      // The group launches in the zone with the fewest instances (ties at
      // random); when a launch fails in one zone it tries another.
      const order = this.shuffle(subnets).sort(
        (a, b) =>
          (perZone.get(a.availabilityZone) ?? 0) -
          (perZone.get(b.availabilityZone) ?? 0),
      );
      let launched: ModelInstance | undefined;
      for (const subnet of order) {
        const failure = this.launchFailure(version.imageId, subnet, 1);
        if (!failure) {
          launched = this.makeInstance({
            reservationId: `r-${hex(++this.counter, 17)}`,
            template,
            version,
            subnet,
            tags: {
              ...Object.fromEntries(
                [...group.tags]
                  .filter(([, tag]) => tag.propagateAtLaunch)
                  .map(([key, tag]) => [key, tag.value]),
              ),
              [GROUP_TAG]: group.name,
            },
            group,
          });
          break;
        }
        const reason = failure.message.endsWith('.')
          ? failure.message
          : `${failure.message}.`;
        // https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DescribeScalingActivities.html
        // A failed launch is an activity with StatusCode Failed and AWS's
        // reason in StatusMessage (ts-as-capacity.html, ts-as-ami.html,
        // ts-as-instancelaunchfailure.html under /autoscaling/ec2/userguide/).
        this.record(group, {
          status: 'Failed',
          statusMessage: `${reason} Launching EC2 instance failed.`,
          description: `Launching a new EC2 instance.  Status Reason: ${reason} Launching EC2 instance failed.`,
          cause: `At ${this.iso()} an instance was started in response to a difference between desired and actual capacity, increasing the capacity from ${
            live.length
          } to ${group.desiredCapacity}.`,
        });
        if (!ZONAL_FAILURES.has(failure.code)) {
          // The image or the account is at fault: no zone can do better.
          return;
        }
      }
      if (!launched) {
        return;
      }
      perZone.set(
        launched.availabilityZone,
        (perZone.get(launched.availabilityZone) ?? 0) + 1,
      );
      live.push(launched);
    }
  }

  private scaleIn(group: ModelGroup, excess: number, live: ModelInstance[]) {
    const remaining = [...live];
    for (let n = 0; n < excess; n++) {
      // https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-instance-protection.html
      // Protection starts when the instance is InService: a Pending one can
      // be chosen whatever its flag.
      const unprotected = (i: ModelInstance) =>
        !(i.protectedFromScaleIn && i.lifecycleState === 'InService');
      const candidates = remaining.filter(unprotected);
      if (candidates.length === 0) {
        // https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-instance-protection.html
        // "its desired capacity is decremented. However, the Auto Scaling
        // group can't terminate the required number of instances until their
        // instance scale in protection settings are disabled." The activity
        // history says so (recorded once per desired capacity; its StatusCode
        // is the model's choice).
        if (group.protectedNoticeFor !== group.desiredCapacity) {
          group.protectedNoticeFor = group.desiredCapacity;
          this.record(group, {
            status: 'Failed',
            statusMessage:
              'Could not scale to desired capacity because all remaining instances are protected from scale in.',
            description: 'Terminating EC2 instance',
            cause: `At ${this.iso()} a difference between desired and actual capacity called for terminating an instance.`,
          });
        }
        return;
      }
      const victim = this.chooseVictim(candidates, remaining, group);
      remaining.splice(remaining.indexOf(victim), 1);
      this.beginTermination(
        group,
        victim,
        `At ${this.iso()} an instance was taken out of service in response to a difference between desired and actual capacity, shrinking the capacity from ${
          live.length
        } to ${group.desiredCapacity}.`,
      );
    }
  }

  /**
   * The default termination policy, as far as the model goes:
   * https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-termination-policies.html
   * 1. the Availability Zone(s) with the most instances and at least one
   *    not protected from scale in (zonal balance first);
   * 2. among the unprotected ones there, outdated configurations first:
   *    another launch template than the group's, then the oldest version of
   *    the group's template;
   * 3. then "closest to the next billing hour", modelled as the oldest
   *    launch (per-second billing makes the hour moot);
   * 4. ties at random (seeded), as AWS says.
   * Not modelled: launch configurations, allocation strategies, custom
   * policies, the Spot/On-Demand split.
   */
  private chooseVictim(
    candidates: ModelInstance[],
    remaining: ModelInstance[],
    group: ModelGroup,
  ): ModelInstance {
    const perZone = new Map<string, number>();
    for (const instance of remaining) {
      perZone.set(
        instance.availabilityZone,
        (perZone.get(instance.availabilityZone) ?? 0) + 1,
      );
    }
    const most = Math.max(
      ...candidates.map(i => perZone.get(i.availabilityZone)!),
    );
    const inZone = candidates.filter(
      i => perZone.get(i.availabilityZone) === most,
    );
    const outdated = (i: ModelInstance) =>
      i.templateId !== group.templateId ? -1 : i.templateVersion;
    // Sorting is stable: after the shuffle, equal ranks stay in random order.
    return this.shuffle(inZone).sort(
      (a, b) => outdated(a) - outdated(b) || a.launchTick - b.launchTick,
    )[0];
  }

  // ----------------------------------------------------------------- helpers

  /**
   * One AWS call: logged, throttled when injected, its error code logged.
   */
  private aws<T>(
    service: ModelCall['service'],
    action: string,
    body: () => T,
  ): T {
    const call: ModelCall = { tick: this.tick, service, action };
    this.calls.push(call);
    const budget = this.throttles.find(
      t => t.remaining > 0 && (!t.action || t.action === action),
    );
    if (
      budget ||
      (this.throttlingProbability > 0 &&
        this.random() < this.throttlingProbability)
    ) {
      if (budget) {
        budget.remaining -= 1;
      }
      // https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html
      // "If you exceed an API throttling limit, you get the
      // RequestLimitExceeded error code." Auto Scaling, ELB and CloudWatch
      // answer `Throttling` ("Rate exceeded"):
      // https://docs.aws.amazon.com/autoscaling/ec2/APIReference/CommonErrors.html
      call.error = service === 'ec2' ? 'RequestLimitExceeded' : 'Throttling';
      throw service === 'ec2'
        ? awsError('RequestLimitExceeded', 'Request limit exceeded.', {
            throttling: true,
          })
        : awsError('Throttling', 'Rate exceeded', {
            throttling: true,
            status: 400,
          });
    }
    try {
      return body();
    } catch (error) {
      call.error = (error as Error).name;
      throw error;
    }
  }

  private inRegion(location: ImageLocation) {
    return location.region === this.region;
  }

  private iso() {
    return new Date(this.now()).toISOString();
  }

  private get(instanceId: string): ModelInstance {
    const instance = this.instances.get(instanceId);
    if (!instance) {
      throw new Error(`no instance ${instanceId} in the model`);
    }
    return instance;
  }

  private visible(instance: ModelInstance) {
    return instance.visibleAtTick <= this.tick && !instance.vanished;
  }

  /** InvalidInstanceID.NotFound for ids EC2 does not show (yet, or any more). */
  private requireVisible(location: ImageLocation, ids: string[]) {
    const missing = ids.filter(id => {
      const instance = this.instances.get(id);
      return !instance || !this.inRegion(location) || !this.visible(instance);
    });
    if (missing.length > 0) {
      // https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html
      // (InvalidInstanceID.NotFound); wording per
      // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
      throw awsError(
        'InvalidInstanceID.NotFound',
        missing.length === 1
          ? `The instance ID '${missing[0]}' does not exist`
          : `The instance IDs '${missing.join(', ')}' do not exist`,
      );
    }
  }

  private members(groupName: string) {
    return [...this.instances.values()].filter(
      i => i.group === groupName && i.lifecycleState !== 'Terminated',
    );
  }

  private requireGroup(name: string) {
    const group = this.groups.get(name);
    if (!group) {
      throw new Error(`no Auto Scaling group ${name} in the model`);
    }
    return group;
  }

  private requireGroupForUpdate(location: ImageLocation, name: string) {
    const group = this.inRegion(location) ? this.groups.get(name) : undefined;
    if (!group) {
      // (Message approximate; moto answers the same for UpdateAutoScalingGroup.)
      throw awsError(
        'ValidationError',
        'AutoScalingGroup name not found - null',
      );
    }
    return group;
  }

  private requireTemplate(location: ImageLocation, id: string) {
    const template = this.inRegion(location)
      ? this.templates.get(id)
      : undefined;
    if (!template) {
      // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
      throw awsError(
        'InvalidLaunchTemplateId.NotFound',
        `The specified launch template, with template ID ${id}, does not exist.`,
      );
    }
    return template;
  }

  private requireVersion(template: ModelTemplate, number: number) {
    const version = template.versions.find(v => v.number === number);
    if (!version) {
      // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
      // (InvalidLaunchTemplateId.VersionNotFound; message approximate.)
      throw awsError(
        'InvalidLaunchTemplateId.VersionNotFound',
        `Could not find launch template version ${number} for launch template ${template.id}.`,
      );
    }
    return version;
  }

  private resolveVersion(template: ModelTemplate, version: string) {
    // https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/manage-launch-template-versions.html
    // `$Latest` is the highest version, `$Default` the default one.
    if (version === '$Latest') {
      return this.requireVersion(
        template,
        Math.max(...template.versions.map(v => v.number)),
      );
    }
    if (version === '$Default') {
      return this.requireVersion(template, template.defaultVersion);
    }
    return this.requireVersion(template, Number(version));
  }

  private requireTargetGroup(arn: string) {
    const tg = this.targetGroups.get(arn);
    if (!tg) {
      // https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeTargetHealth.html
      throw awsError(
        'TargetGroupNotFoundException',
        `Target groups '${arn}' not found`,
      );
    }
    return tg;
  }

  private subnetFor(subnetId?: string): Subnet {
    if (subnetId) {
      const subnet = this.subnets.find(s => s.subnetId === subnetId);
      if (!subnet) {
        throw awsError(
          'InvalidSubnetID.NotFound',
          `The subnet ID '${subnetId}' does not exist`,
        );
      }
      return subnet;
    }
    // Neither the request nor the template names a subnet: EC2 picks a
    // default subnet (here: at random, seeded).
    return this.subnets[Math.floor(this.random() * this.subnets.length)];
  }

  private consistencyDelay() {
    const { minTicks, maxTicks } = this.consistency;
    return minTicks + Math.floor(this.random() * (maxTicks - minTicks + 1));
  }

  private shuffle<T>(items: T[]): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [copy[i], copy[j]] = [copy[j], copy[i]];
    }
    return copy;
  }

  /** The injected (or natural) failure of a launch of `count` here, if any; consumes it. */
  private launchFailure(
    imageId: string,
    subnet: Subnet,
    count: number,
  ): { code: LaunchFailureCode; message: string } | undefined {
    if (this.deregisteredImages.has(imageId)) {
      return {
        code: 'InvalidAMIID.NotFound',
        message: this.failureMessage(
          'InvalidAMIID.NotFound',
          imageId,
          subnet,
          count,
        ),
      };
    }
    const rule = this.failures.find(
      f =>
        (f.remaining === undefined || f.remaining > 0) &&
        (!f.availabilityZone ||
          f.availabilityZone === subnet.availabilityZone) &&
        (!f.subnetId || f.subnetId === subnet.subnetId) &&
        (!f.imageId || f.imageId === imageId),
    );
    if (rule) {
      if (rule.remaining !== undefined) {
        rule.remaining -= 1;
      }
      return {
        code: rule.code,
        message: this.failureMessage(rule.code, imageId, subnet, count),
      };
    }
    if (subnet.freeAddresses !== undefined && subnet.freeAddresses < count) {
      return {
        code: 'InsufficientFreeAddressesInSubnet',
        message: this.failureMessage(
          'InsufficientFreeAddressesInSubnet',
          imageId,
          subnet,
          count,
        ),
      };
    }
    return undefined;
  }

  private failureMessage(
    code: LaunchFailureCode,
    imageId: string,
    subnet: Subnet,
    count: number,
  ): string {
    const others = this.subnets
      .map(s => s.availabilityZone)
      .filter(z => z !== subnet.availabilityZone);
    switch (code) {
      case 'InsufficientInstanceCapacity':
        // https://docs.aws.amazon.com/autoscaling/ec2/userguide/ts-as-capacity.html
        return `We currently do not have sufficient ${
          this.instanceType
        } capacity in the Availability Zone you requested (${
          subnet.availabilityZone
        }). Our system will be working on provisioning additional capacity. You can currently get ${
          this.instanceType
        } capacity by not specifying an Availability Zone in your request or choosing ${others.join(
          ', ',
        )}.`;
      case 'InsufficientFreeAddressesInSubnet':
        // https://docs.aws.amazon.com/autoscaling/ec2/userguide/ts-as-instancelaunchfailure.html
        return `There are not enough free addresses in subnet '${subnet.subnetId}' to satisfy the requested number of instances.`;
      case 'InvalidAMIID.NotFound':
        // https://docs.aws.amazon.com/autoscaling/ec2/userguide/ts-as-ami.html
        return `The image id '[${imageId}]' does not exist`;
      case 'UnauthorizedOperation':
        // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
        return 'You are not authorized to perform this operation.';
      case 'InstanceLimitExceeded':
        // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
        return `You have requested more instances (${count}) than your current instance limit allows for the specified instance type.`;
      default:
        return code;
    }
  }

  private makeInstance(options: {
    reservationId: string;
    template: ModelTemplate;
    version: TemplateVersion;
    subnet: Subnet;
    tags: Record<string, string>;
    group?: ModelGroup;
  }): ModelInstance {
    this.counter += 1;
    const { subnet, group } = options;
    if (subnet.freeAddresses !== undefined) {
      subnet.freeAddresses -= 1;
    }
    const zoneIndex = this.subnets.indexOf(subnet);
    const instance: ModelInstance = {
      instanceId: `i-${hex(this.counter, 17)}`,
      reservationId: options.reservationId,
      imageId: options.version.imageId,
      instanceType: options.version.instanceType,
      state: 'pending',
      stateTick: this.tick,
      launchTick: this.tick,
      launchTime: this.iso(),
      subnetId: subnet.subnetId,
      availabilityZone: subnet.availabilityZone,
      privateIp: `10.0.${zoneIndex}.${this.counter % 250}`,
      tags: options.tags,
      templateId: options.template.id,
      templateVersion: options.version.number,
      visibleAtTick: this.tick + this.consistencyDelay(),
      impaired: false,
      vanished: false,
      volumes: [],
      protectedFromScaleIn: group?.protectNew ?? false,
    };
    if (group) {
      instance.group = group.name;
      instance.lifecycleState = 'Pending';
      instance.activityId = this.record(group, {
        status: 'InProgress',
        description: `Launching a new EC2 instance: ${instance.instanceId}`,
        cause: `At ${this.iso()} an instance was started in response to a difference between desired and actual capacity.`,
      });
    }
    this.instances.set(instance.instanceId, instance);
    return instance;
  }

  private setState(instance: ModelInstance, state: InstanceState) {
    instance.state = state;
    instance.stateTick = this.tick;
    if (state === 'running') {
      instance.runningTick = this.tick;
    }
    if (state === 'terminated') {
      const subnet = this.subnets.find(s => s.subnetId === instance.subnetId);
      if (subnet?.freeAddresses !== undefined) {
        subnet.freeAddresses += 1;
      }
    }
  }

  /**
   * EC2 status checks: `initializing` for a while after the instance turns
   * running, then `ok`, or `impaired`.
   * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/monitoring-system-instance-status-check.html
   */
  private statusOf(
    instance: ModelInstance,
  ): 'ok' | 'initializing' | 'impaired' {
    if (instance.impaired) {
      return 'impaired';
    }
    if (
      instance.runningTick === undefined ||
      this.tick - instance.runningTick < this.statusInitTicks
    ) {
      return 'initializing';
    }
    return 'ok';
  }

  /**
   * A target's health, as DescribeTargetHealth answers it:
   * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetHealth.html
   * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
   */
  private healthOf(
    tg: ModelTargetGroup,
    instance: ModelInstance,
  ): { state: string; reason?: string; description?: string } {
    // Each answer with the Description that comes with its reason code
    // ("If the state is healthy, a description is not provided"); the
    // sentences are those the console and the CLI show.
    const target = tg.targets.get(instance.instanceId);
    if (!target) {
      return {
        state: 'unused',
        reason: 'Target.NotRegistered',
        description: 'Target is not registered to the target group',
      };
    }
    if (target.drainingUntil !== undefined) {
      // "draining: Target.DeregistrationInProgress - The target is in the
      // process of being deregistered and the deregistration delay period
      // has not expired."
      return {
        state: 'draining',
        reason: 'Target.DeregistrationInProgress',
        description: 'Target deregistration is in progress',
      };
    }
    if (instance.state !== 'running') {
      // "unused: Target.InvalidState - The target is in the stopped or
      // terminated state." A pending instance is still being registered.
      return instance.state === 'pending'
        ? {
            state: 'initial',
            reason: 'Elb.RegistrationInProgress',
            description: 'Target registration is in progress',
          }
        : {
            state: 'unused',
            reason: 'Target.InvalidState',
            description: `Target is in the ${instance.state} state`,
          };
    }
    const failing = this.unhealthyInstances.has(instance.instanceId)
      ? { code: this.unhealthyInstances.get(instance.instanceId) }
      : this.unhealthyImages.has(instance.imageId) && {
          code: this.unhealthyImages.get(instance.imageId),
        };
    if (failing && failing.code !== undefined) {
      // "Target.ResponseCodeMismatch - The health checks did not return an
      // expected HTTP code."
      return {
        state: 'unhealthy',
        reason: 'Target.ResponseCodeMismatch',
        description: `Health checks failed with these codes: [${failing.code}]`,
      };
    }
    if (instance.impaired || failing) {
      // "Target.FailedHealthChecks - The load balancer received an error
      // while establishing a connection to the target or the target
      // response was malformed."
      return {
        state: 'unhealthy',
        reason: 'Target.FailedHealthChecks',
        description: 'Health checks failed',
      };
    }
    // "initial: Elb.InitialHealthChecking - The load balancer is still
    // sending the target the minimum number of health checks required to
    // determine its health status" (healthy threshold × interval).
    const since = Math.max(target.registeredTick, instance.runningTick ?? 0);
    if (this.tick - since < tg.healthyTicks) {
      return {
        state: 'initial',
        reason: 'Elb.InitialHealthChecking',
        description: 'Initial health checks in progress',
      };
    }
    return { state: 'healthy' };
  }

  private register(tg: ModelTargetGroup, instanceId: string) {
    // https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_RegisterTargets.html
    // Registering a registered target changes nothing (the call is
    // idempotent); a draining target registered again starts over, its
    // health checks from `initial`.
    const target = tg.targets.get(instanceId);
    if (target && target.drainingUntil === undefined) {
      return;
    }
    tg.targets.set(instanceId, { registeredTick: this.tick });
  }

  /** Starts draining; false when the target was not registered (or already draining). */
  private deregister(tg: ModelTargetGroup, instanceId: string): boolean {
    const target = tg.targets.get(instanceId);
    if (!target || target.drainingUntil !== undefined) {
      return false;
    }
    if (tg.deregistrationDelaySeconds === 0) {
      tg.targets.delete(instanceId);
      return false;
    }
    target.drainingUntil = this.now() + tg.deregistrationDelaySeconds * 1000;
    return true;
  }

  private record(
    group: ModelGroup,
    activity: {
      status: string;
      statusMessage?: string;
      description: string;
      cause: string;
    },
  ): string {
    this.counter += 1;
    const activityId = `${hex(this.counter, 8)}-0000-4000-8000-${hex(
      this.tick,
      12,
    )}`;
    this.activities.push({
      activityId,
      status: activity.status,
      statusMessage: activity.statusMessage,
      description: activity.description,
      startTime: this.iso(),
      group: group.name,
      startTick: this.tick,
      // What a policy's desired capacity set off says so first.
      cause:
        group.scaleCause &&
        /difference between desired and actual capacity/.test(activity.cause)
          ? `${group.scaleCause} ${activity.cause}`
          : activity.cause,
    });
    return activityId;
  }

  private finishActivity(instance: ModelInstance) {
    const activity = this.activities.find(
      a => a.activityId === instance.activityId,
    );
    if (activity) {
      activity.status = 'Successful';
    }
  }

  private toRolloutInstance(i: ModelInstance): RolloutInstance {
    return {
      instanceId: i.instanceId,
      imageId: i.imageId,
      state: i.state,
      launchTime: i.launchTime,
      privateIp: i.privateIp,
      privateDns: `ip-${i.privateIp.replace(/\./g, '-')}.ec2.internal`,
      tags: { ...i.tags },
      subnetId: i.subnetId,
      availabilityZone: i.availabilityZone,
      ...(i.group
        ? {
            protectedFromScaleIn: i.protectedFromScaleIn,
            lifecycleState: i.lifecycleState,
          }
        : {}),
    };
  }
}
