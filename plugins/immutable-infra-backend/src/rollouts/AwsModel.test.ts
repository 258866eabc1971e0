import { ROLLOUT_ID_TAG } from '@immutable-infra/backstage-plugin-common';
import { AwsModel, AwsModelOptions } from './AwsModel.testUtil';

const at = { region: 'us-east-1' };

/** A model whose reads see writes at once, unless a test says otherwise. */
function model(options: AwsModelOptions = {}) {
  return new AwsModel({
    seed: 7,
    eventualConsistency: { maxTicks: 0 },
    ...options,
  });
}

/** A template launching ami-1 in subnet-a, and a launch helper. */
function standalone(m: AwsModel) {
  const templateId = m.createLaunchTemplate({
    imageId: 'ami-1',
    subnetId: 'subnet-a',
  });
  const launch = (
    clientToken: string,
    extra: { count?: number; subnetId?: string; version?: number } = {},
  ) =>
    m.launchInstances({
      ...at,
      templateId,
      version: extra.version ?? 1,
      count: extra.count ?? 1,
      tags: { app: 'web' },
      clientToken,
      subnetId: extra.subnetId,
    });
  return { templateId, launch };
}

/** A group `web` of `desired` instances from ami-1 (tagged app=web), settled. */
function group(
  m: AwsModel,
  options: {
    desired?: number;
    min?: number;
    max?: number;
    protect?: boolean;
    subnetIds?: string[];
    targetGroupArns?: string[];
    /** false: return at once, the group launching from the next step. */
    settle?: boolean;
  } = {},
) {
  const templateId = m.createLaunchTemplate({ imageId: 'ami-1' });
  const desired = options.desired ?? 2;
  m.createGroup({
    name: 'web',
    templateId,
    minSize: options.min ?? 0,
    maxSize: options.max ?? 6,
    desiredCapacity: desired,
    subnetIds: options.subnetIds,
    targetGroupArns: options.targetGroupArns,
    tags: { app: 'web' },
    protectNewInstances: options.protect,
  });
  if (options.settle !== false) {
    m.settle();
  }
  return templateId;
}

/** A new version of the template from version 1, launching `imageId`. */
function newVersion(m: AwsModel, templateId: string, imageId: string) {
  return m.ensureTemplateVersion({
    ...at,
    templateId,
    sourceVersion: 1,
    imageId,
    description: imageId,
  });
}

/** UpdateAutoScalingGroup (and the rollout tag) of the group `web`. */
function configure(
  m: AwsModel,
  options: {
    templateId: string;
    version?: number;
    minSize?: number;
    maxSize?: number;
    protectNewInstances?: boolean;
    rolloutId?: string;
  },
) {
  return m.configureGroup({
    ...at,
    group: 'web',
    version: 1,
    minSize: 0,
    maxSize: 6,
    ...options,
  });
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('AwsModel', () => {
  describe('EC2 instances', () => {
    it('go pending → running, report initializing status checks, and vanish a while after termination', async () => {
      const m = model({ pendingTicks: 2, terminatedVisibleTicks: 3 });
      const { launch } = standalone(m);
      const { instances } = await launch('t1');
      const id = instances[0].instanceId;
      expect(instances[0].state).toBe('pending');
      const gate = async () =>
        (await m.gate({ ...at, instanceIds: [id], targetGroupArns: [] })).get(
          id,
        );
      expect(await gate()).toEqual({
        healthy: false,
        waiting: 'instance is pending',
        hold: { check: 'instance-state', instanceState: 'pending' },
      });
      m.step();
      m.step();
      expect(m.instance(id).state).toBe('running');
      expect(await gate()).toEqual({
        healthy: false,
        waiting:
          'EC2 status checks: instance initializing, system initializing',
        hold: {
          check: 'status-checks',
          instanceStatus: 'initializing',
          systemStatus: 'initializing',
        },
      });
      m.step();
      expect(await gate()).toEqual({ healthy: true });

      await m.terminateInstances({ ...at, instanceIds: [id] });
      expect(m.instance(id).state).toBe('shutting-down');
      m.step();
      expect(m.instance(id).state).toBe('terminated');
      expect(await m.standaloneInstances({ ...at, tags: [] })).toEqual([]);
      expect(await gate()).toEqual({
        healthy: false,
        waiting: 'instance is terminated',
        hold: { check: 'instance-state', instanceState: 'terminated' },
      });
      m.advance(30_000);
      expect(m.instance(id).visible).toBe(false);
      const gone = await rejection(gate());
      expect(gone.name).toBe('InvalidInstanceID.NotFound');
      expect(gone.message).toBe(`The instance ID '${id}' does not exist`);
    });

    it('carry the subnet given, else the template’s', async () => {
      const m = model();
      const { launch } = standalone(m);
      const own = (await launch('t1')).instances[0].instanceId;
      const given = (await launch('t2', { subnetId: 'subnet-b' })).instances[0]
        .instanceId;
      expect(m.instance(own)).toMatchObject({
        subnetId: 'subnet-a',
        availabilityZone: 'us-east-1a',
      });
      expect(m.instance(given)).toMatchObject({
        subnetId: 'subnet-b',
        availabilityZone: 'us-east-1b',
      });
      const found = await m.standaloneInstances({
        ...at,
        tags: [{ key: 'app', value: 'web' }],
      });
      expect(found.map(i => i.availabilityZone).sort()).toEqual([
        'us-east-1a',
        'us-east-1b',
      ]);
      expect(
        (await rejection(launch('t3', { subnetId: 'subnet-z' }))).name,
      ).toBe('InvalidSubnetID.NotFound');
    });

    it('stay stopped when standalone', async () => {
      const m = model();
      const { launch } = standalone(m);
      const id = (await launch('t1')).instances[0].instanceId;
      m.settle();
      m.stopInstance(id);
      m.advance(600_000);
      const [found] = await m.standaloneInstances({ ...at, tags: [] });
      expect(found).toMatchObject({ instanceId: id, state: 'stopped' });
    });
  });

  describe('RunInstances client tokens', () => {
    it('answer the original reservation with current states, terminated ones included, launching nothing', async () => {
      const m = model({ terminatedVisibleTicks: 2 });
      const { launch } = standalone(m);
      const first = await launch('token-1', { count: 2 });
      const ids = first.instances.map(i => i.instanceId);
      m.settle();
      const again = await launch('token-1', { count: 2 });
      expect(again.instances).toEqual(
        ids.map(instanceId => ({ instanceId, state: 'running' })),
      );
      expect(m.liveInstances()).toHaveLength(2);

      await m.terminateInstances({ ...at, instanceIds: ids });
      m.advance(100_000);
      // Gone from DescribeInstances, still answered by the token.
      expect(m.instance(ids[0]).visible).toBe(false);
      expect((await launch('token-1', { count: 2 })).instances).toEqual(
        ids.map(instanceId => ({ instanceId, state: 'terminated' })),
      );
      expect(m.liveInstances()).toHaveLength(0);
    });

    it('refuse other parameters with IdempotentParameterMismatch', async () => {
      const m = model();
      const { launch } = standalone(m);
      await launch('token-1', { count: 2 });
      const error = await rejection(launch('token-1', { count: 3 }));
      expect(error.name).toBe('IdempotentParameterMismatch');
      expect(m.liveInstances()).toHaveLength(2);
    });

    it('are not kept by a launch that failed', async () => {
      const m = model();
      const { launch } = standalone(m);
      m.failLaunches({ code: 'InsufficientInstanceCapacity', count: 1 });
      expect((await rejection(launch('token-1'))).name).toBe(
        'InsufficientInstanceCapacity',
      );
      expect(m.liveInstances()).toHaveLength(0);
      expect((await launch('token-1')).instances).toHaveLength(1);
    });
  });

  describe('launch failures', () => {
    it('throw AWS’s error, named by its code, and launch nothing', async () => {
      const m = model();
      const { launch } = standalone(m);
      m.failLaunches({
        code: 'InsufficientInstanceCapacity',
        az: 'us-east-1a',
      });
      const ice = await rejection(launch('t1'));
      expect(ice).toBeInstanceOf(Error);
      expect(ice.name).toBe('InsufficientInstanceCapacity');
      expect(ice.message).toMatch(
        /^We currently do not have sufficient t3\.micro capacity in the Availability Zone you requested \(us-east-1a\)\./,
      );
      // Another zone launches.
      expect(
        (await launch('t2', { subnetId: 'subnet-b' })).instances,
      ).toHaveLength(1);
      m.clearLaunchFailures();

      m.failLaunches({ code: 'UnauthorizedOperation', count: 1 });
      expect((await rejection(launch('t3'))).name).toBe(
        'UnauthorizedOperation',
      );

      m.setSubnetFreeAddresses('subnet-a', 1);
      const full = await rejection(launch('t4', { count: 2 }));
      expect(full.name).toBe('InsufficientFreeAddressesInSubnet');
      expect(full.message).toBe(
        "There are not enough free addresses in subnet 'subnet-a' to satisfy the requested number of instances.",
      );

      m.deregisterImage('ami-1');
      const ami = await rejection(launch('t5'));
      expect(ami.name).toBe('InvalidAMIID.NotFound');
      expect(ami.message).toBe("The image id '[ami-1]' does not exist");
      expect(m.liveInstances()).toHaveLength(1);
    });
  });

  describe('eventual consistency', () => {
    it('hides a new instance from reads for a while, then shows it', async () => {
      const m = model();
      m.setEventualConsistency(2, 2);
      const { launch } = standalone(m);
      const id = (await launch('t1')).instances[0].instanceId;
      const read = () =>
        m.standaloneInstances({ ...at, tags: [{ key: 'app', value: 'web' }] });
      expect(await read()).toEqual([]);
      expect(
        (
          await rejection(
            m.gate({ ...at, instanceIds: [id], targetGroupArns: [] }),
          )
        ).name,
      ).toBe('InvalidInstanceID.NotFound');
      // TerminateInstances right after RunInstances: not found, nothing done.
      expect(
        (await rejection(m.terminateInstances({ ...at, instanceIds: [id] })))
          .name,
      ).toBe('InvalidInstanceID.NotFound');
      m.step();
      expect(await read()).toEqual([]);
      m.step();
      expect((await read()).map(i => i.instanceId)).toEqual([id]);
    });

    it('hides new group instances from groupInstances', async () => {
      const m = model();
      m.setEventualConsistency(1, 1);
      group(m, { max: 2, desired: 1, settle: false });
      m.step();
      expect(m.groupSnapshot('web').instances).toHaveLength(1);
      expect(
        (await m.groupInstances({ ...at, group: 'web' })).instances,
      ).toEqual([]);
      m.step();
      expect(
        (await m.groupInstances({ ...at, group: 'web' })).instances,
      ).toHaveLength(1);
    });

    it('draws each delay from the seed, between the bounds', async () => {
      const delays = async (seed: number) => {
        const m = new AwsModel({ seed, eventualConsistency: { maxTicks: 2 } });
        const { launch } = standalone(m);
        const ids = (await launch('t', { count: 6 })).instances.map(
          i => i.instanceId,
        );
        const seen = ids.map(() => -1);
        for (let tick = 0; tick <= 3; tick++) {
          ids.forEach((id, n) => {
            if (seen[n] < 0 && m.instance(id).visible) {
              seen[n] = tick;
            }
          });
          m.step();
        }
        return seen;
      };
      const first = await delays(11);
      expect(await delays(11)).toEqual(first);
      expect(Math.min(...first)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...first)).toBeLessThanOrEqual(2);
    });
  });

  describe('launch templates', () => {
    it('make a described version from a source once, and set the default', async () => {
      const m = model();
      const { templateId } = standalone(m);
      const ensure = (description: string, imageId = 'ami-2') =>
        m.ensureTemplateVersion({
          ...at,
          templateId,
          sourceVersion: 1,
          imageId,
          description,
        });
      expect(await ensure('web@2')).toBe(2);
      expect(await ensure('web@2')).toBe(2);
      expect(await ensure('web@3', 'ami-3')).toBe(3);
      await m.setDefaultTemplateVersion({ ...at, templateId, version: 3 });
      expect(m.template(templateId)).toEqual({
        defaultVersion: 3,
        versions: [
          { number: 1, imageId: 'ami-1', description: undefined },
          { number: 2, imageId: 'ami-2', description: 'web@2' },
          { number: 3, imageId: 'ami-3', description: 'web@3' },
        ],
      });
      expect(
        (
          await rejection(
            m.setDefaultTemplateVersion({ ...at, templateId, version: 9 }),
          )
        ).name,
      ).toBe('InvalidLaunchTemplateId.VersionNotFound');
      expect(
        (
          await rejection(
            m.ensureTemplateVersion({
              ...at,
              templateId: 'lt-missing',
              sourceVersion: 1,
              imageId: 'ami-2',
              description: 'x',
            }),
          )
        ).name,
      ).toBe('InvalidLaunchTemplateId.NotFound');
    });

    it('can make a second version on a replay before the first is listed (eventual consistency)', async () => {
      const m = model();
      m.setEventualConsistency(1, 1);
      const { templateId } = standalone(m);
      const ensure = () =>
        m.ensureTemplateVersion({
          ...at,
          templateId,
          sourceVersion: 1,
          imageId: 'ami-2',
          description: 'web@2',
        });
      expect(await ensure()).toBe(2);
      expect(await ensure()).toBe(3);
      m.step();
      expect(await ensure()).toBe(2);
    });
  });

  describe('Auto Scaling groups', () => {
    it('launch asynchronously, tag instances with the group and its propagated tags (the rollout tag while it is set)', async () => {
      const m = model();
      const templateId = group(m, { desired: 2, settle: false });
      const before = await m.groupInstances({ ...at, group: 'web' });
      expect(before).toMatchObject({
        instances: [],
        desiredCapacity: 2,
        minSize: 0,
        maxSize: 6,
        launchTemplate: { id: templateId, version: '1' },
      });
      m.step();
      const pending = await m.groupInstances({ ...at, group: 'web' });
      expect(pending.instances.map(i => i.lifecycleState)).toEqual([
        'Pending',
        'Pending',
      ]);
      expect(pending.instances[0].tags).toEqual({
        app: 'web',
        'aws:autoscaling:groupName': 'web',
      });
      m.settle();
      expect(m.healthyInService('web')).toHaveLength(2);
      // Group instances are not standalone.
      expect(await m.standaloneInstances({ ...at, tags: [] })).toEqual([]);

      const version = await newVersion(m, templateId, 'ami-2');
      await configure(m, { templateId, version, rolloutId: 'r1' });
      await m.setGroupDesiredCapacity({ ...at, group: 'web', desired: 3 });
      m.settle();
      const tagged = m.launchedByRollout('r1');
      expect(tagged).toHaveLength(1);
      expect(m.instance(tagged[0])).toMatchObject({
        imageId: 'ami-2',
        tags: { app: 'web', [ROLLOUT_ID_TAG]: 'r1' },
      });
      const state = await m.groupInstances({ ...at, group: 'web' });
      expect(state.launchTemplate).toEqual({ id: templateId, version: '2' });
      expect(state.instances.filter(i => i.tags[ROLLOUT_ID_TAG])).toHaveLength(
        1,
      );

      await configure(m, { templateId, version });
      await m.setGroupDesiredCapacity({ ...at, group: 'web', desired: 4 });
      m.settle();
      expect(m.launchedByRollout('r1')).toEqual(tagged);
    });

    it('refuse a desired capacity outside min and max with AWS’s ValidationError', async () => {
      const m = model();
      group(m, { desired: 2, min: 1, max: 3 });
      const above = await rejection(
        m.setGroupDesiredCapacity({ ...at, group: 'web', desired: 4 }),
      );
      expect(above.name).toBe('ValidationError');
      expect(above.message).toBe(
        'New SetDesiredCapacity value 4 is above max value 3 for the AutoScalingGroup.',
      );
      const below = await rejection(
        m.setGroupDesiredCapacity({ ...at, group: 'web', desired: 0 }),
      );
      expect(below.message).toBe(
        'New SetDesiredCapacity value 0 is below min value 1 for the AutoScalingGroup.',
      );
      expect(m.groupSnapshot('web').desiredCapacity).toBe(2);
      expect(
        (
          await rejection(
            m.setGroupDesiredCapacity({ ...at, group: 'nope', desired: 1 }),
          )
        ).name,
      ).toBe('ValidationError');
      await expect(m.groupInstances({ ...at, group: 'nope' })).rejects.toThrow(
        'Auto Scaling group nope no longer exists in us-east-1',
      );
    });

    it('lower the desired capacity to a MaxSize below it, scaling in the unprotected instances; a MinSize above raises it', async () => {
      const m = model();
      const templateId = group(m, { desired: 2, max: 4 });
      const old = m.groupSnapshot('web').instances.map(i => i.instanceId);
      await configure(m, { templateId, maxSize: 4, protectNewInstances: true });
      await m.setGroupDesiredCapacity({ ...at, group: 'web', desired: 4 });
      m.settle();
      const fresh = m
        .groupSnapshot('web')
        .instances.filter(i => !old.includes(i.instanceId))
        .map(i => i.instanceId);
      expect(fresh).toHaveLength(2);

      await configure(m, { templateId, maxSize: 2 });
      // At once: the call lowers the desired capacity...
      expect(
        (await m.groupInstances({ ...at, group: 'web' })).desiredCapacity,
      ).toBe(2);
      // ... and the group scales in on its next step, sparing the protected.
      m.step();
      expect(
        (await m.groupInstances({ ...at, group: 'web' })).instances
          .map(i => i.instanceId)
          .sort(),
      ).toEqual([...fresh].sort());
      m.settle();
      expect(m.liveInstances().sort()).toEqual([...fresh].sort());

      await configure(m, { templateId, minSize: 3, maxSize: 4 });
      expect(m.groupSnapshot('web').desiredCapacity).toBe(3);
      const bounds = await rejection(
        configure(m, { templateId, minSize: 5, maxSize: 4 }),
      );
      expect(bounds.name).toBe('ValidationError');
    });

    it('never scale in protected instances: the desired capacity drops, the activity history says why', async () => {
      const m = model();
      group(m, { desired: 2, protect: true });
      const ids = m.groupSnapshot('web').instances.map(i => i.instanceId);
      await m.setGroupDesiredCapacity({ ...at, group: 'web', desired: 1 });
      m.step();
      m.step();
      const state = await m.groupInstances({ ...at, group: 'web' });
      expect(state.desiredCapacity).toBe(1);
      expect(state.instances).toHaveLength(2);
      const [notice] = await m.scalingActivities({
        ...at,
        group: 'web',
        since: new Date(0).toISOString(),
      });
      expect(notice).toMatchObject({
        status: 'Failed',
        statusMessage:
          'Could not scale to desired capacity because all remaining instances are protected from scale in.',
      });

      await m.unprotectInstances({
        ...at,
        group: 'web',
        instanceIds: [ids[1]],
      });
      m.step();
      expect(m.groupSnapshot('web').instances).toEqual([
        expect.objectContaining({
          instanceId: ids[0],
          lifecycleState: 'InService',
        }),
        expect.objectContaining({
          instanceId: ids[1],
          lifecycleState: 'Terminating',
        }),
      ]);
      expect(
        (
          await rejection(
            m.unprotectInstances({
              ...at,
              group: 'web',
              instanceIds: ['i-none'],
            }),
          )
        ).name,
      ).toBe('ValidationError');
    });

    it('scale in by the default termination policy: zonal balance first, then the oldest template version', async () => {
      const m = model();
      const templateId = group(m, {
        desired: 1,
        subnetIds: ['subnet-a', 'subnet-b'],
        settle: false,
      });
      // The first instance (version 1) in zone b.
      m.failLaunches({
        code: 'InsufficientInstanceCapacity',
        az: 'us-east-1a',
      });
      m.settle();
      m.clearLaunchFailures();
      const [inB] = m.groupSnapshot('web').instances;
      expect(inB.availabilityZone).toBe('us-east-1b');
      // Three more on version 2, all in zone a.
      const v2 = await newVersion(m, templateId, 'ami-2');
      await configure(m, { templateId, version: v2 });
      m.failLaunches({
        code: 'InsufficientInstanceCapacity',
        az: 'us-east-1b',
      });
      await m.setGroupDesiredCapacity({ ...at, group: 'web', desired: 4 });
      m.settle();
      m.clearLaunchFailures();
      // Zone a has 3, zone b 1: zone a loses one, though zone b runs the
      // older version.
      await m.setGroupDesiredCapacity({ ...at, group: 'web', desired: 3 });
      m.step();
      const leaving = m
        .groupSnapshot('web')
        .instances.filter(i => i.lifecycleState === 'Terminating');
      expect(leaving).toHaveLength(1);
      expect(leaving[0].availabilityZone).toBe('us-east-1a');
      m.settle();
      // Balanced (2 and 1 → the zone with 2 gives one): zone a again, then
      // with 1 and 1 the oldest version (zone b's) goes first.
      await m.setGroupDesiredCapacity({ ...at, group: 'web', desired: 1 });
      m.step();
      const remaining = m
        .groupSnapshot('web')
        .instances.filter(i => i.lifecycleState !== 'Terminating');
      expect(remaining).toHaveLength(1);
      expect(remaining[0].templateVersion).toBe(2);
    });

    it('try other zones when a zone lacks capacity, and report each failed launch as an activity', async () => {
      const m = model();
      m.failLaunches({
        code: 'InsufficientInstanceCapacity',
        az: 'us-east-1a',
      });
      group(m, { desired: 3 });
      const zones = m
        .groupSnapshot('web')
        .instances.map(i => i.availabilityZone);
      expect(zones).toHaveLength(3);
      expect(zones).not.toContain('us-east-1a');
      const activities = await m.scalingActivities({
        ...at,
        group: 'web',
        since: new Date(0).toISOString(),
      });
      const failed = activities.filter(a => a.status === 'Failed');
      expect(failed.length).toBeGreaterThan(0);
      expect(failed[0].statusMessage).toMatch(
        /^We currently do not have sufficient t3\.micro capacity in the Availability Zone you requested \(us-east-1a\)\..* Launching EC2 instance failed\.$/,
      );
      expect(activities.filter(a => a.status === 'Successful')).toHaveLength(3);
      // Newest first.
      const times = activities.map(a => Date.parse(a.startTime));
      expect([...times].sort((a, b) => b - a)).toEqual(times);
      // `since` leaves older ones out.
      expect(
        await m.scalingActivities({
          ...at,
          group: 'web',
          since: new Date(m.now() + 1).toISOString(),
        }),
      ).toEqual([]);
    });

    it('fail the activity with AWS’s words for a missing AMI or a full subnet, and retry each tick', async () => {
      const m = model();
      m.deregisterImage('ami-1');
      const templateId = group(m, {
        max: 2,
        desired: 1,
        subnetIds: ['subnet-a'],
        settle: false,
      });
      m.step();
      const since = new Date(0).toISOString();
      const [ami] = await m.scalingActivities({ ...at, group: 'web', since });
      expect(ami).toMatchObject({
        status: 'Failed',
        statusMessage:
          "The image id '[ami-1]' does not exist. Launching EC2 instance failed.",
      });
      expect(m.groupSnapshot('web').instances).toEqual([]);

      const fixed = await newVersion(m, templateId, 'ami-2');
      await configure(m, { templateId, version: fixed, maxSize: 2 });
      m.setSubnetFreeAddresses('subnet-a', 0);
      m.step();
      const [full] = await m.scalingActivities({ ...at, group: 'web', since });
      expect(full.statusMessage).toBe(
        "There are not enough free addresses in subnet 'subnet-a' to satisfy the requested number of instances. Launching EC2 instance failed.",
      );
      m.setSubnetFreeAddresses('subnet-a', 1);
      m.settle();
      expect(m.healthyInService('web')).toHaveLength(1);
    });

    it('replace members that die, stop or fail their status checks; a scaling policy moves the desired capacity within the limits', async () => {
      const m = model();
      group(m, { desired: 3, min: 1, max: 4 });
      const [a, b, c] = m.groupSnapshot('web').instances.map(i => i.instanceId);
      m.killInstance(a);
      m.stopInstance(b);
      m.killInstance(c, 'impaired');
      m.settle();
      const now = m.groupSnapshot('web');
      expect(now.desiredCapacity).toBe(3);
      expect(now.instances.map(i => i.instanceId)).not.toContain(a);
      expect(now.instances.map(i => i.instanceId)).not.toContain(b);
      expect(now.instances.map(i => i.instanceId)).not.toContain(c);
      expect(m.healthyInService('web')).toHaveLength(3);

      m.policyScale('web', 10);
      expect(m.groupSnapshot('web').desiredCapacity).toBe(4);
      m.policyScale('web', 0);
      expect(m.groupSnapshot('web').desiredCapacity).toBe(1);
    });
  });

  describe('TerminateInstanceInAutoScalingGroup', () => {
    it('lowers the desired capacity with each, protected or not; refuses to go below the minimum', async () => {
      const m = model();
      group(m, { desired: 3, min: 2, protect: true });
      const [a, b] = m.groupSnapshot('web').instances.map(i => i.instanceId);
      await m.terminateInGroup({ ...at, instanceIds: [a] });
      const state = await m.groupInstances({ ...at, group: 'web' });
      expect(state.desiredCapacity).toBe(2);
      expect(state.instances.map(i => i.instanceId)).not.toContain(a);
      const error = await rejection(
        m.terminateInGroup({ ...at, instanceIds: [b] }),
      );
      expect(error.name).toBe('ValidationError');
      expect(error.message).toBe(
        "Currently, desiredSize equals minSize (2). Terminating instance without replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.",
      );
      m.settle();
      expect(m.groupSnapshot('web').instances).toHaveLength(2);
    });

    it('answers “Instance Id not found” for an instance no group manages, which terminateInGroup skips', async () => {
      const m = model();
      group(m, { desired: 2 });
      const { launch } = standalone(m);
      const loose = (await launch('t1')).instances[0].instanceId;
      const [gone] = m.groupSnapshot('web').instances.map(i => i.instanceId);
      await m.terminateInGroup({ ...at, instanceIds: [gone] });
      m.settle();
      for (const id of [gone, loose]) {
        expect(() =>
          m.terminateInstanceInAutoScalingGroup(at, id, true),
        ).toThrow(
          `Instance Id not found - No managed instance found for instance ID ${id}`,
        );
      }
      await m.terminateInGroup({ ...at, instanceIds: [gone, loose] });
      expect(m.groupSnapshot('web').desiredCapacity).toBe(1);
    });
  });

  describe('target groups', () => {
    it('register group instances as they go InService, initial then healthy', async () => {
      const m = model();
      const arn = m.createTargetGroup({ name: 'web-tg', healthyTicks: 2 });
      group(m, {
        max: 2,
        desired: 1,
        targetGroupArns: [arn],
        settle: false,
      });
      m.step();
      const [id] = m.groupSnapshot('web').instances.map(i => i.instanceId);
      expect(m.targetHealth(arn, id)).toEqual({
        state: 'unused',
        reason: 'Target.NotRegistered',
        description: 'Target is not registered to the target group',
      });
      m.step();
      m.step();
      expect(m.instance(id).lifecycleState).toBe('InService');
      expect(m.targetHealth(arn, id)).toEqual({
        state: 'initial',
        reason: 'Elb.InitialHealthChecking',
        description: 'Initial health checks in progress',
      });
      m.step();
      m.step();
      expect(m.targetHealth(arn, id)).toEqual({ state: 'healthy' });
      expect(
        (
          await m.gate({ ...at, instanceIds: [id], targetGroupArns: [arn] })
        ).get(id),
      ).toEqual({ healthy: true });
    });

    it('drain a terminating member for the deregistration delay, then let it terminate', async () => {
      const m = model({ tickMs: 10_000 });
      const arn = m.createTargetGroup({
        name: 'web-tg',
        deregistrationDelaySeconds: 30,
      });
      group(m, { desired: 2, targetGroupArns: [arn] });
      expect(
        await m.deregistrationDelays({ ...at, targetGroupArns: [arn] }),
      ).toEqual(new Map([[arn, 30]]));
      const [id] = m.groupSnapshot('web').instances.map(i => i.instanceId);
      await m.terminateInGroup({ ...at, instanceIds: [id] });
      for (let i = 0; i < 2; i++) {
        expect(m.targetHealth(arn, id)).toEqual({
          state: 'draining',
          reason: 'Target.DeregistrationInProgress',
          description: 'Target deregistration is in progress',
        });
        expect(m.instance(id).state).toBe('running');
        m.step();
      }
      expect(
        (
          await m.gate({ ...at, instanceIds: [id], targetGroupArns: [arn] })
        ).get(id),
      ).toEqual({
        healthy: false,
        draining: true,
        unregistered: true,
        waiting:
          'target group web-tg: draining (Target.DeregistrationInProgress)',
        hold: {
          check: 'target-health',
          targetGroup: 'web-tg',
          targetState: 'draining',
          reason: 'Target.DeregistrationInProgress',
          description: 'Target deregistration is in progress',
        },
      });
      m.step();
      expect(m.targetHealth(arn, id).state).toBe('unused');
      expect(m.instance(id).state).toBe('shutting-down');
      m.step();
      expect(m.instance(id).state).toBe('terminated');
      expect(m.healthyInService('web')).toHaveLength(1);
    });

    it('answer unused for a stopped target, unregistered when absent, unhealthy when health checks fail', async () => {
      const m = model();
      const arn = m.createTargetGroup({
        name: 'web-tg',
        deregistrationDelaySeconds: 20,
      });
      const other = m.createTargetGroup({ name: 'other-tg' });
      const { launch } = standalone(m);
      const [a, b] = (await launch('t1', { count: 2 })).instances.map(
        i => i.instanceId,
      );
      await m.setTargetMembership({
        ...at,
        targetGroupArns: [arn],
        instanceIds: [a, b],
        registered: true,
      });
      expect(m.targetHealth(arn, a)).toEqual({
        state: 'initial',
        reason: 'Elb.RegistrationInProgress',
        description: 'Target registration is in progress',
      });
      m.settle();
      const gate = async (arns: string[]) =>
        m.gate({ ...at, instanceIds: [a, b], targetGroupArns: arns });
      expect((await gate([arn])).get(a)).toEqual({ healthy: true });
      expect((await gate([arn, other])).get(a)).toEqual({
        healthy: false,
        unregistered: true,
        waiting: 'not registered in target group other-tg',
        hold: { check: 'not-registered', targetGroup: 'other-tg' },
      });

      m.failHealthChecks({ instanceId: b });
      expect((await gate([arn])).get(b)).toEqual({
        healthy: false,
        waiting: 'target group web-tg: unhealthy (Target.FailedHealthChecks)',
        hold: {
          check: 'target-health',
          targetGroup: 'web-tg',
          targetState: 'unhealthy',
          reason: 'Target.FailedHealthChecks',
          description: 'Health checks failed',
        },
      });
      // A health check path that answers an HTTP code the target group
      // does not accept.
      m.failHealthChecks({ instanceId: b }, true, 503);
      expect(m.targetHealth(arn, b)).toEqual({
        state: 'unhealthy',
        reason: 'Target.ResponseCodeMismatch',
        description: 'Health checks failed with these codes: [503]',
      });
      m.failHealthChecks({ instanceId: b });
      m.stopInstance(a);
      m.step();
      expect(m.targetHealth(arn, a)).toEqual({
        state: 'unused',
        reason: 'Target.InvalidState',
        description: 'Target is in the stopped state',
      });
      expect((await gate([arn])).get(a)?.waiting).toBe('instance is stopped');

      await m.setTargetMembership({
        ...at,
        targetGroupArns: [arn],
        instanceIds: [b],
        registered: false,
      });
      expect(m.targetHealth(arn, b).state).toBe('draining');
      m.advance(20_000);
      expect(m.targetHealth(arn, b)).toEqual({
        state: 'unused',
        reason: 'Target.NotRegistered',
        description: 'Target is not registered to the target group',
      });

      await m.terminateInstances({ ...at, instanceIds: [b] });
      m.settle();
      expect(
        (
          await rejection(
            m.setTargetMembership({
              ...at,
              targetGroupArns: [arn],
              instanceIds: [b],
              registered: true,
            }),
          )
        ).name,
      ).toBe('InvalidTarget');
      expect(
        (
          await rejection(
            m.deregistrationDelays({ ...at, targetGroupArns: ['arn:none'] }),
          )
        ).name,
      ).toBe('TargetGroupNotFoundException');
      expect(
        await m.targetGroupArns({ ...at, names: ['web-tg', 'nope'] }),
      ).toEqual(new Map([['web-tg', arn]]));
    });
  });

  describe('CloudWatch alarms', () => {
    it('answer the states of the alarms that exist only', async () => {
      const m = model();
      m.setAlarm('errors', 'OK');
      m.setAlarm('latency', 'INSUFFICIENT_DATA');
      expect(
        await m.alarmStates({ ...at, names: ['errors', 'latency', 'nope'] }),
      ).toEqual(
        new Map([
          ['errors', { state: 'OK', reason: expect.any(String) }],
          [
            'latency',
            { state: 'INSUFFICIENT_DATA', reason: expect.any(String) },
          ],
        ]),
      );
      m.setAlarm('errors', 'ALARM', 'Threshold Crossed');
      expect(
        (await m.alarmStates({ ...at, names: ['errors'] })).get('errors'),
      ).toEqual({ state: 'ALARM', reason: 'Threshold Crossed' });
    });
  });

  describe('throttling', () => {
    it('throws RequestLimitExceeded from EC2 and Throttling from Auto Scaling for the calls injected', async () => {
      const m = model();
      group(m, { desired: 1 });
      m.throttle(2);
      const ec2 = await rejection(m.standaloneInstances({ ...at, tags: [] }));
      expect(ec2.name).toBe('RequestLimitExceeded');
      const asg = await rejection(
        m.setGroupDesiredCapacity({ ...at, group: 'web', desired: 2 }),
      );
      expect(asg.name).toBe('Throttling');
      expect(m.groupSnapshot('web').desiredCapacity).toBe(1);
      await m.setGroupDesiredCapacity({ ...at, group: 'web', desired: 2 });
      expect(m.calls.slice(-3)).toEqual([
        expect.objectContaining({
          action: 'DescribeInstances',
          error: 'RequestLimitExceeded',
        }),
        expect.objectContaining({
          action: 'SetDesiredCapacity',
          error: 'Throttling',
        }),
        {
          tick: m.ticks(),
          service: 'autoscaling',
          action: 'SetDesiredCapacity',
        },
      ]);
    });

    it('can throttle the second call of configureGroup after the first took effect', async () => {
      const m = model();
      const templateId = group(m, { desired: 1 });
      m.throttle(1, 'CreateOrUpdateTags');
      const error = await rejection(
        configure(m, { templateId, maxSize: 3, rolloutId: 'r1' }),
      );
      expect(error.name).toBe('Throttling');
      expect(m.groupSnapshot('web')).toMatchObject({
        maxSize: 3,
        tags: { app: 'web' },
      });
    });
  });

  describe('data volumes', () => {
    it('are answered per instance', async () => {
      const m = model();
      const { launch } = standalone(m);
      const id = (await launch('t1')).instances[0].instanceId;
      m.attachVolume(id, 'vol-1 (/dev/sdf)');
      expect(await m.dataVolumes({ ...at, instanceIds: [id] })).toEqual(
        new Map([[id, ['vol-1 (/dev/sdf)']]]),
      );
    });
  });

  describe('determinism', () => {
    async function history(seed: number) {
      const m = new AwsModel({
        seed,
        eventualConsistency: { maxTicks: 2 },
        throttlingProbability: 0.2,
      });
      const arn = m.createTargetGroup({
        name: 'tg',
        deregistrationDelaySeconds: 20,
      });
      group(m, {
        max: 8,
        desired: 4,
        targetGroupArns: [arn],
        settle: false,
      });
      m.failLaunches({
        code: 'InsufficientInstanceCapacity',
        az: 'us-east-1b',
        count: 3,
      });
      const seen: unknown[] = [];
      for (let i = 0; i < 30; i++) {
        m.step();
        const outcome = await Promise.allSettled([
          m.groupInstances({ ...at, group: 'web' }),
          m.setGroupDesiredCapacity({
            ...at,
            group: 'web',
            desired: (i % 5) + 2,
          }),
        ]);
        seen.push(
          outcome.map(o =>
            o.status === 'fulfilled'
              ? o.value ?? null
              : (o.reason as Error).name,
          ),
        );
      }
      return JSON.stringify({
        seen,
        snapshot: m.groupSnapshot('web'),
        calls: m.calls,
      });
    }

    it('replays the same history from the same seed', async () => {
      expect(await history(5)).toBe(await history(5));
      const others = new Set(await Promise.all([1, 2, 3, 4].map(history)));
      expect(others.size).toBeGreaterThan(1);
    });
  });
});
