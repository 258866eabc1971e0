import { ROLLOUT_ID_TAG } from '@immutable-infra/backstage-plugin-common';
import { PRESENT } from './decide';
import {
  GateVerdict,
  GroupState,
  LaunchResult,
  RolloutInstance,
  RolloutProvider,
  ScalingActivity,
} from '../providers/RolloutProvider';

type FakeInstance = RolloutInstance & { group?: string };

/**
 * An in-memory cloud for engine tests: Auto Scaling groups that launch up
 * to their desired capacity from their template version and scale in to it
 * (choosing, of the instances not protected from scale-in, the running ones
 * first: the choice that costs the most healthy capacity), standalone
 * instances, and a gate that passes every running instance not marked
 * unhealthy. Every call is counted.
 */
export class FakeCloud implements RolloutProvider {
  instances: FakeInstance[] = [];
  templates = new Map<string, { image: string; description?: string }[]>();
  defaults = new Map<string, number>();
  groups = new Map<
    string,
    {
      template: string;
      version: number;
      min: number;
      max: number;
      desired: number;
      tags: Record<string, string>;
      protectNew: boolean;
    }
  >();
  /**
   * Set, a group terminates what a lower desired capacity retires only
   * after it was observed once more (as a group whose lifecycle hooks or
   * deregistration delay hold the instances a while).
   */
  scaleInLag = false;
  private pendingScaleIn = new Set<string>();
  unhealthy = new Set<string>();
  /** Alarm states by name; an alarm not here does not exist. */
  alarms = new Map<string, string>();
  /** Instances out of their target groups (a blue-green switch). */
  deregistered = new Set<string>();
  volumes = new Map<string, string[]>();
  /** Client tokens of launches and the instances each made (AWS keeps them a day). */
  tokens = new Map<string, string[]>();
  /** Groups whose launches fail, with AWS's words, as scaling activities. */
  failingLaunches = new Map<string, string>();
  activities = new Map<string, ScalingActivity[]>();
  /** Errors the next calls of a kind throw, first in first out. */
  faults = new Map<string, Error[]>();
  calls: string[] = [];
  private counter = 0;

  template(id: string, images: string[]) {
    this.templates.set(
      id,
      images.map(image => ({ image })),
    );
    this.defaults.set(id, 1);
  }

  group(
    name: string,
    template: string,
    version: number,
    count: number,
    tags: Record<string, string> = {},
    options: { protectNew?: boolean } = {},
  ) {
    this.groups.set(name, {
      template,
      version,
      min: count,
      max: count,
      desired: 0,
      tags,
      protectNew: options.protectNew ?? false,
    });
    this.scale(name, count);
  }

  standalone(image: string, count: number, tags: Record<string, string>) {
    for (let i = 0; i < count; i++) {
      this.instances.push(this.make(image, tags));
    }
  }

  alive(filter: (i: FakeInstance) => boolean = () => true) {
    return this.instances.filter(i => i.state === 'running' && filter(i));
  }

  private make(
    image: string,
    tags: Record<string, string>,
    group?: string,
  ): FakeInstance {
    this.counter += 1;
    return {
      instanceId: `i-${String(this.counter).padStart(4, '0')}`,
      imageId: image,
      state: 'running',
      launchTime: new Date(
        Date.UTC(2026, 0, 1, 0, 0, this.counter),
      ).toISOString(),
      tags: {
        ...tags,
        ...(group ? { 'aws:autoscaling:groupName': group } : {}),
      },
      group,
    };
  }

  /** A scaling policy (or a person) sets the group's desired capacity. */
  policyScale(name: string, desired: number) {
    const group = this.groups.get(name)!;
    const clamped = Math.max(group.min, Math.min(group.max, desired));
    if (clamped >= group.desired) {
      this.scale(name, clamped);
    } else {
      group.desired = clamped;
      this.scaleIn(name);
    }
  }

  /** An instance stops (as a person or a failed host stops it). */
  stop(instanceId: string) {
    this.instances.find(i => i.instanceId === instanceId)!.state = 'stopped';
  }

  private fault(call: string) {
    const error = this.faults.get(call)?.shift();
    if (error) {
      throw error;
    }
  }

  private scale(name: string, desired: number) {
    const group = this.groups.get(name)!;
    group.desired = desired;
    const image = this.templates.get(group.template)![group.version - 1].image;
    const failing = this.failingLaunches.get(name);
    if (failing && this.alive(i => i.group === name).length < desired) {
      this.activities.set(name, [
        {
          activityId: `activity-${this.counter++}`,
          status: 'Failed',
          statusMessage: failing,
          description: `Launching a new EC2 instance.  Status Reason: ${failing}`,
          startTime: new Date(Date.UTC(2026, 11, 1, 10)).toISOString(),
        },
        ...(this.activities.get(name) ?? []),
      ]);
      return;
    }
    while (this.alive(i => i.group === name).length < desired) {
      this.instances.push({
        ...this.make(image, group.tags, name),
        protectedFromScaleIn: group.protectNew,
      });
    }
  }

  private scaleIn(name: string) {
    const group = this.groups.get(name)!;
    const members = this.instances.filter(
      i => i.group === name && PRESENT.has(i.state ?? ''),
    );
    const chosen = members
      .filter(i => !i.protectedFromScaleIn)
      .sort(
        (a, b) =>
          Number(b.state === 'running') - Number(a.state === 'running') ||
          b.instanceId.localeCompare(a.instanceId),
      )
      .slice(0, Math.max(0, members.length - group.desired));
    for (const instance of chosen) {
      instance.state = 'terminated';
    }
  }

  async groupInstances({ group }: { group: string }): Promise<GroupState> {
    this.calls.push('groupInstances');
    this.fault('groupInstances');
    const found = this.groups.get(group)!;
    const answer = {
      instances: this.instances
        .filter(i => i.group === group && PRESENT.has(i.state ?? ''))
        .map(i => ({ ...i, tags: { ...i.tags } })),
      desiredCapacity: found.desired,
      minSize: found.min,
      maxSize: found.max,
      launchTemplate: { id: found.template, version: String(found.version) },
    };
    if (this.pendingScaleIn.delete(group)) {
      this.scaleIn(group);
    }
    return answer;
  }

  async scalingActivities({ group }: { group: string }) {
    this.calls.push('scalingActivities');
    return this.activities.get(group) ?? [];
  }

  async standaloneInstances({
    tags,
  }: {
    tags: { key: string; value: string }[];
  }) {
    this.calls.push('standaloneInstances');
    return this.instances.filter(
      i =>
        PRESENT.has(i.state ?? '') &&
        !i.group &&
        tags.every(t => i.tags[t.key] === t.value),
    );
  }

  async gate({ instanceIds }: { instanceIds: string[] }) {
    this.calls.push('gate');
    return new Map<string, GateVerdict>(
      instanceIds.map(id => [
        id,
        this.unhealthy.has(id)
          ? { healthy: false, waiting: 'target group web: unhealthy' }
          : { healthy: true },
      ]),
    );
  }

  async ensureTemplateVersion(options: {
    templateId: string;
    imageId: string;
    description: string;
  }) {
    this.calls.push('ensureTemplateVersion');
    const versions = this.templates.get(options.templateId)!;
    const found = versions.findIndex(
      v => v.description === options.description,
    );
    if (found >= 0) {
      return found + 1;
    }
    versions.push({ image: options.imageId, description: options.description });
    return versions.length;
  }

  async configureGroup(options: {
    group: string;
    version: number;
    minSize: number;
    maxSize: number;
    protectNewInstances?: boolean;
    rolloutId?: string;
  }) {
    this.calls.push('configureGroup');
    const group = this.groups.get(options.group)!;
    group.version = options.version;
    group.min = options.minSize;
    group.max = options.maxSize;
    // A maximum below the desired capacity lowers it, and the group scales
    // in (unprotected instances first).
    if (group.desired > group.max) {
      group.desired = group.max;
      this.scaleIn(options.group);
    }
    group.protectNew = options.protectNewInstances ?? group.protectNew;
    if (options.rolloutId) {
      group.tags[ROLLOUT_ID_TAG] = options.rolloutId;
    } else {
      delete group.tags[ROLLOUT_ID_TAG];
    }
  }

  async setGroupDesiredCapacity({
    group,
    desired,
  }: {
    group: string;
    desired: number;
  }) {
    this.calls.push('setGroupDesiredCapacity');
    const found = this.groups.get(group)!;
    if (desired > found.max) {
      throw new Error(`desired ${desired} over the maximum`);
    }
    if (desired < found.min) {
      throw new Error(
        `ValidationError: desired capacity ${desired} below the minimum ${found.min}`,
      );
    }
    if (desired > found.desired) {
      this.scale(group, desired);
    } else if (desired < found.desired) {
      found.desired = desired;
      if (this.scaleInLag) {
        this.pendingScaleIn.add(group);
      } else {
        this.scaleIn(group);
      }
    }
  }

  async unprotectInstances({ instanceIds }: { instanceIds: string[] }) {
    this.calls.push('unprotectInstances');
    for (const instance of this.instances) {
      if (instanceIds.includes(instance.instanceId)) {
        instance.protectedFromScaleIn = false;
      }
    }
  }

  async terminateInGroup({ instanceIds }: { instanceIds: string[] }) {
    this.calls.push('terminateInGroup');
    this.fault('terminateInGroup');
    for (const id of instanceIds) {
      const instance = this.instances.find(i => i.instanceId === id)!;
      const group = this.groups.get(instance.group!)!;
      if (group.desired - 1 < group.min) {
        // As Auto Scaling answers a decrement below the minimum.
        throw new Error(
          `ValidationError: desired capacity ${
            group.desired - 1
          } below the minimum ${group.min}`,
        );
      }
      if (instance.state === 'running') {
        instance.state = 'terminated';
        group.desired -= 1;
      }
    }
  }

  async launchInstances(options: {
    templateId: string;
    version: number;
    count: number;
    tags: Record<string, string>;
    clientToken: string;
  }): Promise<LaunchResult> {
    this.calls.push('launchInstances');
    this.fault('launchInstances');
    const answer = (ids: string[]) => ({
      instances: ids.map(id => ({
        instanceId: id,
        state: this.instances.find(i => i.instanceId === id)!.state!,
      })),
    });
    // The same token answers the first launch's reservation, launching
    // nothing, even once its instances terminated.
    const earlier = this.tokens.get(options.clientToken);
    if (earlier) {
      return answer(earlier);
    }
    const image = this.templates.get(options.templateId)![options.version - 1]
      .image;
    const made = Array.from({ length: options.count }, () =>
      this.make(image, options.tags),
    );
    this.instances.push(...made);
    this.tokens.set(
      options.clientToken,
      made.map(i => i.instanceId),
    );
    return answer(made.map(i => i.instanceId));
  }

  /** Kills an instance (terminated under the rollout, as a failed host). */
  kill(instanceId: string) {
    this.instances.find(i => i.instanceId === instanceId)!.state = 'terminated';
  }

  /** Deregistration delays by target group ARN; 300 s unless set. */
  readonly delays = new Map<string, number>();

  async deregistrationDelays({
    targetGroupArns,
  }: {
    targetGroupArns: string[];
  }) {
    this.calls.push('deregistrationDelays');
    return new Map(targetGroupArns.map(a => [a, this.delays.get(a) ?? 300]));
  }

  async terminateInstances({ instanceIds }: { instanceIds: string[] }) {
    this.calls.push('terminateInstances');
    for (const id of instanceIds) {
      this.instances.find(i => i.instanceId === id)!.state = 'terminated';
    }
  }

  async setDefaultTemplateVersion({
    templateId,
    version,
  }: {
    templateId: string;
    version: number;
  }) {
    this.calls.push('setDefaultTemplateVersion');
    this.defaults.set(templateId, version);
  }

  async alarmStates({ names }: { names: string[] }) {
    this.calls.push('alarmStates');
    this.fault('alarmStates');
    return new Map(
      names
        .filter(n => this.alarms.has(n))
        .map(n => [n, { state: this.alarms.get(n)!, reason: `${n} test` }]),
    );
  }

  /** Target groups by name, for the `immutable-infra.io/target-groups` annotation. */
  readonly targetGroups = new Map<string, string>();

  async targetGroupArns({ names }: { names: string[] }) {
    this.calls.push('targetGroupArns');
    return new Map(
      names
        .filter(n => this.targetGroups.has(n))
        .map(n => [n, this.targetGroups.get(n)!]),
    );
  }

  async setTargetMembership(options: {
    instanceIds: string[];
    registered: boolean;
  }) {
    this.calls.push('setTargetMembership');
    for (const id of options.instanceIds) {
      if (options.registered) {
        this.deregistered.delete(id);
      } else {
        this.deregistered.add(id);
      }
    }
  }

  async dataVolumes({ instanceIds }: { instanceIds: string[] }) {
    this.calls.push('dataVolumes');
    return new Map(instanceIds.map(id => [id, this.volumes.get(id) ?? []]));
  }
}
