import { ROLLOUT_ID_TAG } from '@immutable-infra/backstage-plugin-common';
import { PRESENT } from './decide';
import {
  GateVerdict,
  RolloutInstance,
  RolloutProvider,
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

  private scale(name: string, desired: number) {
    const group = this.groups.get(name)!;
    group.desired = desired;
    const image = this.templates.get(group.template)![group.version - 1].image;
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

  async groupInstances({ group }: { group: string }) {
    this.calls.push('groupInstances');
    const answer = {
      instances: this.instances
        .filter(i => i.group === group && PRESENT.has(i.state ?? ''))
        .map(i => ({ ...i, tags: { ...i.tags } })),
      desiredCapacity: this.groups.get(group)!.desired,
    };
    if (this.pendingScaleIn.delete(group)) {
      this.scaleIn(group);
    }
    return answer;
  }

  async standaloneInstances({
    tags,
  }: {
    tags: { key: string; value: string }[];
  }) {
    this.calls.push('standaloneInstances');
    return this.alive(
      i => !i.group && tags.every(t => i.tags[t.key] === t.value),
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
  }) {
    this.calls.push('launchInstances');
    const image = this.templates.get(options.templateId)![options.version - 1]
      .image;
    const made = Array.from({ length: options.count }, () =>
      this.make(image, options.tags),
    );
    this.instances.push(...made);
    return made.map(i => i.instanceId);
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
