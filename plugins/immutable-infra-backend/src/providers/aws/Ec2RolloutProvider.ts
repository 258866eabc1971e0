import {
  CreateOrUpdateTagsCommand,
  DeleteTagsCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
  SetDesiredCapacityCommand,
  SetInstanceProtectionCommand,
  TerminateInstanceInAutoScalingGroupCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  CreateLaunchTemplateVersionCommand,
  DescribeInstanceStatusCommand,
  DescribeLaunchTemplateVersionsCommand,
  Instance,
  LaunchTemplateVersion,
  ModifyLaunchTemplateCommand,
  paginateDescribeInstances,
  RequestLaunchTemplateData,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  DeregisterTargetsCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  InvalidTargetException,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ROLLOUT_ID_TAG } from '@immutable-infra/backstage-plugin-common';
import { ImageLocation } from '../ImageProvider';
import {
  GateVerdict,
  GroupState,
  LaunchResult,
  RolloutInstance,
  RolloutProvider,
  ScalingActivity,
} from '../RolloutProvider';
import { AwsClientFactory } from './AwsClientFactory';
import { chunks } from './chunks';

/** Instance ids of one DescribeInstances or DescribeInstanceStatus request. */
const IDS_BATCH = 100;

const NOT_TERMINATED = ['pending', 'running', 'stopping', 'stopped'];

function toInstance(instance: Instance): RolloutInstance {
  return {
    instanceId: instance.InstanceId!,
    imageId: instance.ImageId,
    state: instance.State?.Name,
    launchTime: instance.LaunchTime?.toISOString(),
    privateIp: instance.PrivateIpAddress,
    publicIp: instance.PublicIpAddress,
    privateDns: instance.PrivateDnsName || undefined,
    subnetId: instance.SubnetId,
    availabilityZone: instance.Placement?.AvailabilityZone,
    tags: Object.fromEntries(
      (instance.Tags ?? []).map(t => [t.Key ?? '', t.Value ?? '']),
    ),
  };
}

/**
 * Whether Auto Scaling refused a termination because the instance is in no
 * group (any more): `ValidationError` "Instance Id not found - No managed
 * instance found for instance ID i-…", the answer to a replay after the
 * first call terminated it. Access denied, the minimum-size refusal
 * ("… will violate group's min size constraint") and throttling are not.
 *
 * @internal
 */
export function isInstanceNotInGroup(error: Error): boolean {
  return (
    error.name === 'ValidationError' &&
    /^Instance Id not found\b/i.test(error.message)
  );
}

/**
 * The launch template data of a version, as a request for a new version:
 * the answer's shape differs from the request's only in fields a rollout
 * does not set, and EC2 (and the emulator, which ignores `SourceVersion`)
 * takes the whole data.
 */
function requestData(
  version: LaunchTemplateVersion,
  imageId: string,
): RequestLaunchTemplateData {
  return {
    ...(version.LaunchTemplateData as RequestLaunchTemplateData),
    ImageId: imageId,
  };
}

/**
 * {@link RolloutProvider} for EC2, Auto Scaling and ELBv2. Describes go by
 * group or by tag, launches and terminations in batches: the calls of a
 * tick grow with fleets and waves, not with instances.
 *
 * @internal
 */
export class Ec2RolloutProvider implements RolloutProvider {
  constructor(private readonly clients: AwsClientFactory) {}

  private async describe(
    location: ImageLocation,
    input: {
      InstanceIds?: string[];
      Filters?: { Name: string; Values: string[] }[];
    },
  ): Promise<RolloutInstance[]> {
    const ec2 = await this.clients.ec2Client(location.region, location.account);
    const found: RolloutInstance[] = [];
    for await (const page of paginateDescribeInstances(
      // By filter, a page holds up to 1,000 (MaxResults cannot go with ids).
      { client: ec2, ...(input.InstanceIds ? {} : { pageSize: 1000 }) },
      {
        ...input,
        Filters: [
          ...(input.Filters ?? []),
          { Name: 'instance-state-name', Values: NOT_TERMINATED },
        ],
      },
    )) {
      for (const reservation of page.Reservations ?? []) {
        found.push(...(reservation.Instances ?? []).map(toInstance));
      }
    }
    return found;
  }

  async groupInstances(
    location: ImageLocation & { group: string },
  ): Promise<GroupState> {
    const autoscaling = await this.clients.autoScalingClient(
      location.region,
      location.account,
    );
    const answer = await autoscaling.send(
      new DescribeAutoScalingGroupsCommand({
        AutoScalingGroupNames: [location.group],
      }),
    );
    const group = answer.AutoScalingGroups?.[0];
    if (!group) {
      throw new Error(
        `Auto Scaling group ${location.group} no longer exists in ${location.region}`,
      );
    }
    const members = new Map(
      (group.Instances ?? [])
        .filter(i => !/Terminat/.test(i.LifecycleState ?? ''))
        .map(i => [i.InstanceId!, i]),
    );
    // By the tag the group puts on its instances (pages of 1,000, not
    // batches of 100 ids); members without it (attached by hand before
    // the tag was put) are asked for by id.
    const described = members.size
      ? await this.describe(location, {
          Filters: [
            { Name: 'tag:aws:autoscaling:groupName', Values: [location.group] },
          ],
        })
      : [];
    const found = described.filter(i => members.has(i.instanceId));
    const seen = new Set(found.map(i => i.instanceId));
    for (const batch of chunks(
      [...members.keys()].filter(id => !seen.has(id)),
      IDS_BATCH,
    )) {
      found.push(...(await this.describe(location, { InstanceIds: batch })));
    }
    const instances = found.map(instance => ({
      ...instance,
      protectedFromScaleIn:
        members.get(instance.instanceId)?.ProtectedFromScaleIn ?? false,
      lifecycleState: members.get(instance.instanceId)?.LifecycleState,
    }));
    const template =
      group.LaunchTemplate ??
      group.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
    return {
      instances,
      desiredCapacity: group.DesiredCapacity ?? 0,
      minSize: group.MinSize ?? 0,
      maxSize: group.MaxSize ?? 0,
      ...(template?.LaunchTemplateId
        ? {
            launchTemplate: {
              id: template.LaunchTemplateId,
              version: template.Version ?? '$Default',
            },
          }
        : {}),
    };
  }

  async scalingActivities(
    location: ImageLocation & { group: string; since: string },
  ): Promise<ScalingActivity[]> {
    const autoscaling = await this.clients.autoScalingClient(
      location.region,
      location.account,
    );
    const since = Date.parse(location.since);
    const answer = await autoscaling.send(
      new DescribeScalingActivitiesCommand({
        AutoScalingGroupName: location.group,
        MaxRecords: 100,
      }),
    );
    // Newest first, as AWS answers them.
    return (answer.Activities ?? [])
      .filter(a => (a.StartTime?.getTime() ?? 0) >= since)
      .map(a => ({
        activityId: a.ActivityId ?? '',
        status: a.StatusCode ?? 'Unknown',
        statusMessage: a.StatusMessage?.slice(0, 500),
        cause: a.Cause?.slice(0, 500),
        description: a.Description?.slice(0, 500),
        startTime: (a.StartTime ?? new Date(0)).toISOString(),
      }));
  }

  async standaloneInstances(
    location: ImageLocation & { tags: { key: string; value: string }[] },
  ): Promise<RolloutInstance[]> {
    const found = await this.describe(location, {
      Filters: location.tags.map(({ key, value }) => ({
        Name: `tag:${key}`,
        Values: [value],
      })),
    });
    return found.filter(i => !i.tags['aws:autoscaling:groupName']);
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
    const ec2 = await this.clients.ec2Client(location.region, location.account);
    for (const batch of chunks(location.instanceIds, IDS_BATCH)) {
      const answer = await ec2.send(
        new DescribeInstanceStatusCommand({
          InstanceIds: batch,
          IncludeAllInstances: true,
        }),
      );
      for (const status of answer.InstanceStatuses ?? []) {
        const id = status.InstanceId!;
        const state = status.InstanceState?.Name;
        const instanceStatus = status.InstanceStatus?.Status;
        const systemStatus = status.SystemStatus?.Status;
        if (state !== 'running') {
          verdicts.set(id, {
            healthy: false,
            waiting: `instance is ${state}`,
            hold: { check: 'instance-state', instanceState: state },
          });
        } else if (
          (instanceStatus &&
            !['ok', 'not-applicable'].includes(instanceStatus)) ||
          (systemStatus && !['ok', 'not-applicable'].includes(systemStatus))
        ) {
          // InstanceStatus and SystemStatus: ok, impaired, initializing,
          // insufficient-data or not-applicable,
          // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_InstanceStatusSummary.html
          verdicts.set(id, {
            healthy: false,
            waiting: `EC2 status checks: instance ${instanceStatus}, system ${systemStatus}`,
            hold: { check: 'status-checks', instanceStatus, systemStatus },
          });
        } else {
          verdicts.set(id, { healthy: true });
        }
      }
    }
    for (const id of location.instanceIds) {
      if (!verdicts.has(id)) {
        verdicts.set(id, {
          healthy: false,
          waiting: 'no status from EC2 yet',
          hold: { check: 'status-checks' },
        });
      }
    }
    if (location.targetGroupArns.length > 0) {
      const elb = await this.clients.elbClient(
        location.region,
        location.account,
      );
      for (const arn of location.targetGroupArns) {
        const answer = await elb.send(
          new DescribeTargetHealthCommand({ TargetGroupArn: arn }),
        );
        const health = new Map(
          (answer.TargetHealthDescriptions ?? []).map(d => [
            d.Target?.Id,
            d.TargetHealth,
          ]),
        );
        const name = arn.split(':').pop()?.split('/')[1] ?? arn;
        for (const id of location.instanceIds) {
          const verdict = verdicts.get(id)!;
          const target = health.get(id);
          if (target?.State === 'draining') {
            verdict.draining = true;
          }
          if (!verdict.healthy) {
            continue;
          }
          if (target?.State !== 'healthy') {
            // Draining after a deregistration, or unused: out of the group
            // until registered again.
            const leaving =
              !target || ['draining', 'unused'].includes(target.State ?? '');
            // State, Reason (a code) and Description (AWS's sentence, e.g.
            // "Health checks failed with these codes: [502]"; none when
            // healthy),
            // https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetHealth.html
            verdicts.set(id, {
              ...verdict,
              healthy: false,
              ...(leaving ? { unregistered: true } : {}),
              waiting: target
                ? `target group ${name}: ${target.State}${
                    target.Reason ? ` (${target.Reason})` : ''
                  }`
                : `not registered in target group ${name}`,
              hold: target
                ? {
                    check: 'target-health',
                    targetGroup: name,
                    targetState: target.State,
                    reason: target.Reason,
                    description: target.Description?.slice(0, 300),
                  }
                : { check: 'not-registered', targetGroup: name },
            });
          }
        }
      }
    }
    return verdicts;
  }

  async ensureTemplateVersion(
    location: ImageLocation & {
      templateId: string;
      sourceVersion: number;
      imageId: string;
      description: string;
    },
  ): Promise<number> {
    const ec2 = await this.clients.ec2Client(location.region, location.account);
    const existing = await ec2.send(
      new DescribeLaunchTemplateVersionsCommand({
        LaunchTemplateId: location.templateId,
      }),
    );
    const made = (existing.LaunchTemplateVersions ?? []).find(
      v => v.VersionDescription === location.description,
    );
    if (made?.VersionNumber) {
      return made.VersionNumber;
    }
    const source = (existing.LaunchTemplateVersions ?? []).find(
      v => v.VersionNumber === location.sourceVersion,
    );
    if (!source) {
      throw new Error(
        `launch template ${location.templateId} has no version ${location.sourceVersion}`,
      );
    }
    const created = await ec2.send(
      new CreateLaunchTemplateVersionCommand({
        LaunchTemplateId: location.templateId,
        SourceVersion: String(location.sourceVersion),
        VersionDescription: location.description,
        LaunchTemplateData: requestData(source, location.imageId),
      }),
    );
    return created.LaunchTemplateVersion!.VersionNumber!;
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
    const autoscaling = await this.clients.autoScalingClient(
      location.region,
      location.account,
    );
    await autoscaling.send(
      new UpdateAutoScalingGroupCommand({
        AutoScalingGroupName: location.group,
        LaunchTemplate: {
          LaunchTemplateId: location.templateId,
          Version: String(location.version),
        },
        MinSize: location.minSize,
        MaxSize: location.maxSize,
        NewInstancesProtectedFromScaleIn: location.protectNewInstances,
      }),
    );
    const tag = {
      ResourceId: location.group,
      ResourceType: 'auto-scaling-group',
      Key: ROLLOUT_ID_TAG,
    };
    await autoscaling.send(
      location.rolloutId
        ? new CreateOrUpdateTagsCommand({
            Tags: [
              { ...tag, Value: location.rolloutId, PropagateAtLaunch: true },
            ],
          })
        : new DeleteTagsCommand({ Tags: [tag] }),
    );
  }

  async unprotectInstances(
    location: ImageLocation & { group: string; instanceIds: string[] },
  ): Promise<void> {
    const autoscaling = await this.clients.autoScalingClient(
      location.region,
      location.account,
    );
    // SetInstanceProtection takes at most 50 instances a call.
    for (const InstanceIds of chunks(location.instanceIds, 50)) {
      await autoscaling.send(
        new SetInstanceProtectionCommand({
          AutoScalingGroupName: location.group,
          InstanceIds,
          ProtectedFromScaleIn: false,
        }),
      );
    }
  }

  async setGroupDesiredCapacity(
    location: ImageLocation & { group: string; desired: number },
  ): Promise<void> {
    const autoscaling = await this.clients.autoScalingClient(
      location.region,
      location.account,
    );
    await autoscaling.send(
      new SetDesiredCapacityCommand({
        AutoScalingGroupName: location.group,
        DesiredCapacity: location.desired,
      }),
    );
  }

  async terminateInGroup(
    location: ImageLocation & { instanceIds: string[] },
  ): Promise<void> {
    const autoscaling = await this.clients.autoScalingClient(
      location.region,
      location.account,
    );
    for (const id of location.instanceIds) {
      try {
        await autoscaling.send(
          new TerminateInstanceInAutoScalingGroupCommand({
            InstanceId: id,
            ShouldDecrementDesiredCapacity: true,
          }),
        );
      } catch (error) {
        // Already gone (a replay after the call succeeded): nothing to do.
        // Every other refusal (access denied, the minimum size) is thrown.
        if (!isInstanceNotInGroup(error as Error)) {
          throw error;
        }
      }
    }
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
    const ec2 = await this.clients.ec2Client(location.region, location.account);
    const answer = await ec2.send(
      new RunInstancesCommand({
        LaunchTemplate: {
          LaunchTemplateId: location.templateId,
          Version: String(location.version),
        },
        ...(location.subnetId ? { SubnetId: location.subnetId } : {}),
        MinCount: location.count,
        MaxCount: location.count,
        ClientToken: location.clientToken,
        TagSpecifications: [
          {
            ResourceType: 'instance',
            Tags: Object.entries(location.tags).map(([Key, Value]) => ({
              Key,
              Value,
            })),
          },
        ],
      }),
    );
    return {
      instances: (answer.Instances ?? []).map(i => ({
        instanceId: i.InstanceId!,
        state: i.State?.Name ?? 'pending',
      })),
    };
  }

  async terminateInstances(
    location: ImageLocation & { instanceIds: string[] },
  ): Promise<void> {
    const ec2 = await this.clients.ec2Client(location.region, location.account);
    for (const batch of chunks(location.instanceIds, IDS_BATCH)) {
      await ec2.send(new TerminateInstancesCommand({ InstanceIds: batch }));
    }
  }

  async setDefaultTemplateVersion(
    location: ImageLocation & { templateId: string; version: number },
  ): Promise<void> {
    const ec2 = await this.clients.ec2Client(location.region, location.account);
    await ec2.send(
      new ModifyLaunchTemplateCommand({
        LaunchTemplateId: location.templateId,
        DefaultVersion: String(location.version),
      }),
    );
  }

  async alarmStates(
    location: ImageLocation & { names: string[] },
  ): Promise<Map<string, { state: string; reason?: string }>> {
    const cloudwatch = await this.clients.cloudWatchClient(
      location.region,
      location.account,
    );
    const states = new Map<string, { state: string; reason?: string }>();
    // DescribeAlarms takes at most 100 names a call.
    for (const names of chunks(location.names, 100)) {
      let token: string | undefined;
      do {
        const answer = await cloudwatch.send(
          new DescribeAlarmsCommand({
            AlarmNames: names,
            AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
            NextToken: token,
          }),
        );
        for (const alarm of [
          ...(answer.MetricAlarms ?? []),
          ...(answer.CompositeAlarms ?? []),
        ]) {
          if (alarm.AlarmName) {
            states.set(alarm.AlarmName, {
              state: alarm.StateValue ?? 'INSUFFICIENT_DATA',
              reason: alarm.StateReason?.slice(0, 300),
            });
          }
        }
        token = answer.NextToken;
      } while (token);
    }
    return states;
  }

  async targetGroupArns(
    location: ImageLocation & { names: string[] },
  ): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    if (location.names.length === 0) {
      return found;
    }
    const elb = await this.clients.elbClient(location.region, location.account);
    for (const Names of chunks(location.names, 20)) {
      try {
        const answer = await elb.send(
          new DescribeTargetGroupsCommand({ Names }),
        );
        for (const group of answer.TargetGroups ?? []) {
          found.set(group.TargetGroupName!, group.TargetGroupArn!);
        }
      } catch (error) {
        // One name unknown fails the batch: ask for each to tell which.
        if ((error as Error).name !== 'TargetGroupNotFoundException') {
          throw error;
        }
        for (const name of Names) {
          const answer = await elb
            .send(new DescribeTargetGroupsCommand({ Names: [name] }))
            .catch((e: Error) => {
              if (e.name === 'TargetGroupNotFoundException') {
                return undefined;
              }
              throw e;
            });
          const group = answer?.TargetGroups?.[0];
          if (group) {
            found.set(name, group.TargetGroupArn!);
          }
        }
      }
    }
    return found;
  }

  async deregistrationDelays(
    location: ImageLocation & { targetGroupArns: string[] },
  ): Promise<Map<string, number>> {
    const delays = new Map<string, number>();
    if (location.targetGroupArns.length === 0) {
      return delays;
    }
    const elb = await this.clients.elbClient(location.region, location.account);
    for (const arn of location.targetGroupArns) {
      const answer = await elb.send(
        new DescribeTargetGroupAttributesCommand({ TargetGroupArn: arn }),
      );
      const value = answer.Attributes?.find(
        a => a.Key === 'deregistration_delay.timeout_seconds',
      )?.Value;
      // 300 s is the default of a target group that never set it.
      delays.set(arn, value === undefined ? 300 : Number(value));
    }
    return delays;
  }

  async setTargetMembership(
    location: ImageLocation & {
      targetGroupArns: string[];
      instanceIds: string[];
      registered: boolean;
    },
  ): Promise<void> {
    const elb = await this.clients.elbClient(location.region, location.account);
    for (const arn of location.targetGroupArns) {
      for (const ids of chunks(location.instanceIds, 100)) {
        const Targets = ids.map(Id => ({ Id }));
        if (location.registered) {
          await elb.send(
            new RegisterTargetsCommand({ TargetGroupArn: arn, Targets }),
          );
          continue;
        }
        try {
          await elb.send(
            new DeregisterTargetsCommand({ TargetGroupArn: arn, Targets }),
          );
        } catch (error) {
          // "If the specified target does not exist, the action returns
          // successfully" (API_DeregisterTargets.html), yet InvalidTarget
          // also answers a target that is gone (and every target the
          // emulator does not list): deregistered again with only the
          // targets the group lists.
          if (!(error instanceof InvalidTargetException)) {
            throw error;
          }
          const { TargetHealthDescriptions } = await elb.send(
            new DescribeTargetHealthCommand({ TargetGroupArn: arn }),
          );
          const listed = new Set(
            (TargetHealthDescriptions ?? []).map(d => d.Target?.Id),
          );
          const still = Targets.filter(t => listed.has(t.Id));
          if (still.length > 0) {
            await elb.send(
              new DeregisterTargetsCommand({
                TargetGroupArn: arn,
                Targets: still,
              }),
            );
          }
        }
      }
    }
  }

  async dataVolumes(
    location: ImageLocation & { instanceIds: string[] },
  ): Promise<Map<string, string[]>> {
    const volumes = new Map<string, string[]>();
    const ec2 = await this.clients.ec2Client(location.region, location.account);
    for (const ids of chunks(location.instanceIds, 1000)) {
      for await (const page of paginateDescribeInstances(
        { client: ec2 },
        { InstanceIds: ids },
      )) {
        for (const reservation of page.Reservations ?? []) {
          for (const instance of reservation.Instances ?? []) {
            const data = (instance.BlockDeviceMappings ?? [])
              .filter(
                m =>
                  m.DeviceName !== instance.RootDeviceName && m.Ebs?.VolumeId,
              )
              .map(m => `${m.Ebs!.VolumeId} (${m.DeviceName})`);
            volumes.set(instance.InstanceId!, data);
          }
        }
      }
    }
    return volumes;
  }
}
