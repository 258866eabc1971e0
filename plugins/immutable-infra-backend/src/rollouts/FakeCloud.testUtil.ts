import { ROLLOUT_ID_TAG } from '@immutable-infra/backstage-plugin-common';
import {
  GateVerdict,
  RolloutInstance,
  RolloutProvider,
} from '../providers/RolloutProvider';

type FakeInstance = RolloutInstance & { group?: string };

/**
 * An in-memory cloud for engine tests: Auto Scaling groups that launch up
 * to their desired capacity from their template version, standalone
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
    }
  >();
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
  ) {
    this.groups.set(name, {
      template,
      version,
      min: count,
      max: count,
      desired: 0,
      tags,
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
      this.instances.push(this.make(image, group.tags, name));
    }
  }

  async groupInstances({ group }: { group: string }) {
    this.calls.push('groupInstances');
    return {
      instances: this.alive(i => i.group === group),
      desiredCapacity: this.groups.get(group)!.desired,
    };
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
    rolloutId?: string;
  }) {
    this.calls.push('configureGroup');
    const group = this.groups.get(options.group)!;
    group.version = options.version;
    group.min = options.minSize;
    group.max = options.maxSize;
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
    if (desired > this.groups.get(group)!.max) {
      throw new Error(`desired ${desired} over the maximum`);
    }
    if (desired > this.groups.get(group)!.desired) {
      this.scale(group, desired);
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
