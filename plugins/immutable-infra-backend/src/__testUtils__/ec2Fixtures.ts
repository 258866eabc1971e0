import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  CreateLaunchConfigurationCommand,
} from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import {
  CreateTargetGroupCommand,
  ElasticLoadBalancingV2Client,
  ModifyTargetGroupAttributesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateImageCommand,
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  DescribeVpcsCommand,
  EC2Client,
  RegisterImageCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';

/*
 * The tests' EC2 fixtures, also imported by scripts/seed-demo.mjs (the demo's
 * images and fleet) and scripts/lib/production-replicas.mjs, through the
 * TypeScript transform of Backstage's CLI (node_ts in scripts/lib/bootstrap.sh).
 */

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
    elb: new ElasticLoadBalancingV2Client(config),
    cloudwatch: new CloudWatchClient(config),
  };
}

const awsTags = (tags: Record<string, string>) =>
  Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

/** Builds AMIs, instances, templates and groups in the emulator. */
export class Ec2Fixtures {
  private builder?: string;
  private counter = 0;

  constructor(
    readonly ec2: EC2Client,
    readonly autoscaling: AutoScalingClient,
  ) {}

  /**
   * An AMI with a snapshot, tagged as given, made from one builder instance
   * (untagged, launched with the first image); named uniquely unless a name
   * is given.
   */
  async image(
    tags: Record<string, string> = {},
    options: { name?: string } = {},
  ): Promise<string> {
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
        Name: options.name ?? `fixture-${this.counter}-${Date.now()}`,
      }),
    );
    if (Object.keys(tags).length > 0) {
      await this.ec2.send(
        new CreateTagsCommand({
          Resources: [created.ImageId!],
          Tags: awsTags(tags),
        }),
      );
    }
    return created.ImageId!;
  }

  /** One instance of the image, in no group, tagged as given. */
  async instance(imageId: string, tags: Record<string, string> = {}) {
    const [instanceId] = await this.instances(imageId, { tags });
    return instanceId;
  }

  /** Instances of the image in no group, launched at once; their ids. */
  async instances(
    imageId: string,
    options: {
      count?: number;
      tags?: Record<string, string>;
      keyName?: string;
      securityGroupIds?: string[];
      /** `required` (metadata v2 only, as AWS launches today's AMIs) unless told. */
      metadataHttpTokens?: 'required' | 'optional';
    },
  ): Promise<string[]> {
    const count = options.count ?? 1;
    const tags = options.tags ?? {};
    const run = await this.ec2.send(
      new RunInstancesCommand({
        ImageId: imageId,
        MinCount: count,
        MaxCount: count,
        InstanceType: 't3.micro',
        KeyName: options.keyName,
        SecurityGroupIds: options.securityGroupIds,
        MetadataOptions: {
          HttpTokens: options.metadataHttpTokens ?? 'required',
        },
        TagSpecifications: Object.keys(tags).length
          ? [{ ResourceType: 'instance', Tags: awsTags(tags) }]
          : undefined,
      }),
    );
    return run.Instances!.map(instance => instance.InstanceId!);
  }

  /**
   * A security group letting one TCP port in from a CIDR block (IPv4, or
   * IPv6 when it has a colon); its id.
   */
  async securityGroup(options: {
    name: string;
    description?: string;
    port: number;
    cidr: string;
  }): Promise<string> {
    const { GroupId } = await this.ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: options.name,
        Description: options.description ?? options.name,
      }),
    );
    const { port, cidr } = options;
    await this.ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId,
        IpPermissions: [
          {
            IpProtocol: 'tcp',
            FromPort: port,
            ToPort: port,
            ...(cidr.includes(':')
              ? { Ipv6Ranges: [{ CidrIpv6: cidr }] }
              : { IpRanges: [{ CidrIp: cidr }] }),
          },
        ],
      }),
    );
    return GroupId!;
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
        TagSpecifications: [{ ResourceType: 'instance', Tags: awsTags(tags) }],
      }),
    );
  }

  /**
   * A group launching from a version of the template (1 unless another is
   * named), behind a new target group of the default VPC, its tags
   * propagated to its instances. The target group keeps AWS's default
   * deregistration delay (300 s) unless another is named.
   */
  async groupBehindTargetGroup(
    elb: ElasticLoadBalancingV2Client,
    options: {
      name: string;
      templateId: string;
      templateVersion?: string;
      capacity: number;
      minSize?: number;
      maxSize?: number;
      tags: Record<string, string>;
      region?: string;
      deregistrationDelaySeconds?: number;
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
    if (options.deregistrationDelaySeconds !== undefined) {
      await elb.send(
        new ModifyTargetGroupAttributesCommand({
          TargetGroupArn: targetGroupArn,
          Attributes: [
            {
              Key: 'deregistration_delay.timeout_seconds',
              Value: String(options.deregistrationDelaySeconds),
            },
          ],
        }),
      );
    }
    await this.autoscaling.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: name,
        LaunchTemplate: {
          LaunchTemplateId: options.templateId,
          Version: options.templateVersion ?? '1',
        },
        MinSize: options.minSize ?? capacity,
        MaxSize: options.maxSize ?? capacity,
        DesiredCapacity: capacity,
        AvailabilityZones: [`${region}a`],
        TargetGroupARNs: [targetGroupArn],
        Tags: awsTags(options.tags).map(tag => ({
          ...tag,
          PropagateAtLaunch: true,
          ResourceId: name,
          ResourceType: 'auto-scaling-group',
        })),
      }),
    );
    return { targetGroupArn };
  }

  /**
   * A target group of instances in the default VPC, with no targets; its
   * ARN. It keeps AWS's default deregistration delay (300 s) unless another
   * is named:
   * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-target-group-attributes.html#deregistration-delay
   */
  async targetGroup(
    elb: ElasticLoadBalancingV2Client,
    options: { name: string; deregistrationDelaySeconds?: number },
  ): Promise<string> {
    const vpc = (await this.ec2.send(new DescribeVpcsCommand({}))).Vpcs![0]
      .VpcId;
    const { TargetGroups } = await elb.send(
      new CreateTargetGroupCommand({
        Name: options.name,
        Protocol: 'HTTP',
        Port: 8080,
        VpcId: vpc,
        TargetType: 'instance',
      }),
    );
    const arn = TargetGroups![0].TargetGroupArn!;
    if (options.deregistrationDelaySeconds !== undefined) {
      await elb.send(
        new ModifyTargetGroupAttributesCommand({
          TargetGroupArn: arn,
          Attributes: [
            {
              Key: 'deregistration_delay.timeout_seconds',
              Value: String(options.deregistrationDelaySeconds),
            },
          ],
        }),
      );
    }
    return arn;
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
