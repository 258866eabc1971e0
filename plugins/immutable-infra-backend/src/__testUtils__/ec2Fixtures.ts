import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  CreateLaunchConfigurationCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  CreateTargetGroupCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  CreateImageCommand,
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  CreateTagsCommand,
  DescribeVpcsCommand,
  EC2Client,
  RegisterImageCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';

/** SDK clients pointed at a moto server, with the emulator's credentials. */
export function emulatorClients(endpoint: string, region: string) {
  const config = {
    region,
    endpoint,
    maxAttempts: 1,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
  return {
    ec2: new EC2Client(config),
    autoscaling: new AutoScalingClient(config),
  };
}

/** Builds AMIs, instances, templates and groups in the emulator. */
export class Ec2Fixtures {
  private builder?: string;
  private counter = 0;

  constructor(
    readonly ec2: EC2Client,
    readonly autoscaling: AutoScalingClient,
  ) {}

  /** An AMI with a snapshot, tagged as given. */
  async image(tags: Record<string, string> = {}): Promise<string> {
    if (!this.builder) {
      const base = await this.ec2.send(
        new RegisterImageCommand({
          Name: 'fixture-base',
          RootDeviceName: '/dev/xvda',
          Architecture: 'x86_64',
          VirtualizationType: 'hvm',
        }),
      );
      const run = await this.ec2.send(
        new RunInstancesCommand({
          ImageId: base.ImageId,
          MinCount: 1,
          MaxCount: 1,
          InstanceType: 't3.micro',
        }),
      );
      this.builder = run.Instances![0].InstanceId!;
    }
    this.counter += 1;
    const created = await this.ec2.send(
      new CreateImageCommand({
        InstanceId: this.builder,
        Name: `fixture-${this.counter}-${Date.now()}`,
      }),
    );
    const entries = Object.entries(tags);
    if (entries.length > 0) {
      await this.ec2.send(
        new CreateTagsCommand({
          Resources: [created.ImageId!],
          Tags: entries.map(([Key, Value]) => ({ Key, Value })),
        }),
      );
    }
    return created.ImageId!;
  }

  async instance(imageId: string, tags: Record<string, string> = {}) {
    const run = await this.ec2.send(
      new RunInstancesCommand({
        ImageId: imageId,
        MinCount: 1,
        MaxCount: 1,
        InstanceType: 't3.micro',
        TagSpecifications: Object.keys(tags).length
          ? [
              {
                ResourceType: 'instance',
                Tags: Object.entries(tags).map(([Key, Value]) => ({
                  Key,
                  Value,
                })),
              },
            ]
          : undefined,
      }),
    );
    return run.Instances![0].InstanceId!;
  }

  async terminate(instanceId: string) {
    await this.ec2.send(
      new TerminateInstancesCommand({ InstanceIds: [instanceId] }),
    );
  }

  /** A launch template whose versions launch the given images in order. */
  async launchTemplate(name: string, imageIds: string[]) {
    const created = await this.ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: name,
        LaunchTemplateData: { ImageId: imageIds[0], InstanceType: 't3.micro' },
      }),
    );
    const id = created.LaunchTemplate!.LaunchTemplateId!;
    for (const imageId of imageIds.slice(1)) {
      await this.ec2.send(
        new CreateLaunchTemplateVersionCommand({
          LaunchTemplateId: id,
          LaunchTemplateData: { ImageId: imageId, InstanceType: 't3.micro' },
        }),
      );
    }
    return id;
  }

  async autoScalingGroupFromTemplate(
    name: string,
    templateId: string,
    version: string,
  ) {
    await this.autoscaling.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: name,
        LaunchTemplate: { LaunchTemplateId: templateId, Version: version },
        MinSize: 0,
        MaxSize: 2,
        DesiredCapacity: 0,
        AvailabilityZones: ['us-east-1a'],
      }),
    );
  }

  /** Instances in no group, launched from the template's version 1. */
  fromTemplate(
    templateId: string,
    count: number,
    tags: Record<string, string>,
  ) {
    return this.ec2.send(
      new RunInstancesCommand({
        LaunchTemplate: { LaunchTemplateId: templateId, Version: '1' },
        MinCount: count,
        MaxCount: count,
        TagSpecifications: [
          {
            ResourceType: 'instance',
            Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
          },
        ],
      }),
    );
  }

  /**
   * A group launching from the template's version 1, behind a new target
   * group of the default VPC, its tags propagated to its instances.
   */
  async groupBehindTargetGroup(
    elb: ElasticLoadBalancingV2Client,
    options: {
      name: string;
      templateId: string;
      capacity: number;
      minSize?: number;
      maxSize?: number;
      tags: Record<string, string>;
      region?: string;
    },
  ): Promise<{ targetGroupArn: string }> {
    const { name, capacity } = options;
    const region = options.region ?? 'us-east-1';
    const vpc = (await this.ec2.send(new DescribeVpcsCommand({}))).Vpcs![0]
      .VpcId;
    const { TargetGroups } = await elb.send(
      new CreateTargetGroupCommand({
        Name: name,
        Protocol: 'HTTP',
        Port: 8080,
        VpcId: vpc,
      }),
    );
    const targetGroupArn = TargetGroups![0].TargetGroupArn!;
    await this.autoscaling.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: name,
        LaunchTemplate: { LaunchTemplateId: options.templateId, Version: '1' },
        MinSize: options.minSize ?? capacity,
        MaxSize: options.maxSize ?? capacity,
        DesiredCapacity: capacity,
        AvailabilityZones: [`${region}a`],
        TargetGroupARNs: [targetGroupArn],
        Tags: Object.entries(options.tags).map(([Key, Value]) => ({
          Key,
          Value,
          PropagateAtLaunch: true,
          ResourceId: name,
          ResourceType: 'auto-scaling-group',
        })),
      }),
    );
    return { targetGroupArn };
  }

  async autoScalingGroupFromConfiguration(name: string, imageId: string) {
    await this.autoscaling.send(
      new CreateLaunchConfigurationCommand({
        LaunchConfigurationName: `${name}-lc`,
        ImageId: imageId,
        InstanceType: 't3.micro',
      }),
    );
    await this.autoscaling.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: name,
        LaunchConfigurationName: `${name}-lc`,
        MinSize: 0,
        MaxSize: 2,
        DesiredCapacity: 0,
        AvailabilityZones: ['us-east-1a'],
      }),
    );
  }
}
