import {
  DescribeInstancesCommandInput,
  DescribeLaunchTemplateVersionsCommand,
  DescribeSecurityGroupsCommand,
  Instance,
  IpPermission,
  paginateDescribeInstances,
  SecurityGroup,
} from '@aws-sdk/client-ec2';
import {
  AutoScalingGroup,
  DescribeAutoScalingGroupsCommand,
  DescribeLaunchConfigurationsCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  AutoScalingGroupDescription,
  FleetInstance,
  FleetProvider,
  LaunchTemplateDefault,
  SshExposure,
} from '../FleetProvider';
import { ImageLocation } from '../ImageProvider';
import { AwsClientFactory } from './AwsClientFactory';
import { chunks } from './chunks';

const SECURITY_GROUP_BATCH = 200;

/** Names a DescribeAutoScalingGroups request takes at most. */
const GROUP_NAMES_BATCH = 50;

/** Instances a DescribeInstances page holds at most: EC2's ceiling. */
const INSTANCES_PAGE = 1000;

/**
 * The DescribeInstances request of a fleet selector: every instance not
 * terminated that carries all the selector's tags, in pages as large as EC2
 * allows (the benchmark's SDK-alone floor asks for the same pages).
 *
 * @internal
 */
export function describeFleetInstancesInput(
  selector: { key: string; value: string }[],
): DescribeInstancesCommandInput {
  return {
    Filters: [
      ...selector.map(({ key, value }) => ({
        Name: `tag:${key}`,
        Values: [value],
      })),
      {
        Name: 'instance-state-name',
        Values: ['pending', 'running', 'stopping', 'stopped'],
      },
    ],
    MaxResults: INSTANCES_PAGE,
  };
}
const WORLD = new Set(['0.0.0.0/0', '::/0']);

function opensSsh(permission: IpPermission): boolean {
  if (permission.IpProtocol === '-1') {
    return true;
  }
  if (permission.IpProtocol !== 'tcp' && permission.IpProtocol !== '6') {
    return false;
  }
  const from = permission.FromPort ?? 0;
  const to = permission.ToPort ?? 65535;
  return from <= 22 && to >= 22;
}

/** Port 22 exposure of one security group. */
function groupExposure(group: SecurityGroup): {
  exposure: SshExposure;
  sources: string[];
} {
  const sources: string[] = [];
  for (const permission of group.IpPermissions ?? []) {
    if (!opensSsh(permission)) {
      continue;
    }
    sources.push(
      ...(permission.IpRanges ?? []).map(r => r.CidrIp ?? ''),
      ...(permission.Ipv6Ranges ?? []).map(r => r.CidrIpv6 ?? ''),
      ...(permission.UserIdGroupPairs ?? []).map(p => p.GroupId ?? ''),
      ...(permission.PrefixListIds ?? []).map(p => p.PrefixListId ?? ''),
    );
  }
  const filtered = sources.filter(Boolean);
  let exposure: SshExposure = 'none';
  if (filtered.some(s => WORLD.has(s))) {
    exposure = 'world';
  } else if (filtered.length > 0) {
    exposure = 'restricted';
  }
  return { exposure, sources: filtered };
}

/**
 * {@link FleetProvider} for EC2. Security groups are described in batches
 * and remembered for the life of the provider (one sync).
 *
 * @internal
 */
export class Ec2FleetProvider implements FleetProvider {
  private readonly groups = new Map<string, ReturnType<typeof groupExposure>>();

  constructor(private readonly clients: AwsClientFactory) {}

  async listInstances(
    location: ImageLocation & { selector: { key: string; value: string }[] },
  ): Promise<FleetInstance[]> {
    const ec2 = await this.clients.ec2Client(location.region, location.account);
    const found: Instance[] = [];
    // The SDK's paginator follows every NextToken.
    for await (const page of paginateDescribeInstances(
      { client: ec2 },
      describeFleetInstancesInput(location.selector),
    )) {
      for (const reservation of page.Reservations ?? []) {
        found.push(...(reservation.Instances ?? []));
      }
    }

    const unknownGroups = [
      ...new Set(
        found.flatMap(i => (i.SecurityGroups ?? []).map(g => g.GroupId!)),
      ),
    ].filter(id => id && !this.groups.has(id));
    for (let i = 0; i < unknownGroups.length; i += SECURITY_GROUP_BATCH) {
      const answer = await ec2.send(
        new DescribeSecurityGroupsCommand({
          GroupIds: unknownGroups.slice(i, i + SECURITY_GROUP_BATCH),
        }),
      );
      for (const group of answer.SecurityGroups ?? []) {
        this.groups.set(group.GroupId!, groupExposure(group));
      }
    }

    // Instances of a fleet share their few combinations of groups.
    const exposures = new Map<
      string,
      { sshExposure: SshExposure; sources: string[] }
    >();
    const exposureOf = (instance: Instance) => {
      const ids = (instance.SecurityGroups ?? []).map(g => g.GroupId ?? '');
      const key = ids.join(' ');
      let exposure = exposures.get(key);
      if (!exposure) {
        const groups = ids
          .map(id => this.groups.get(id))
          .filter((g): g is ReturnType<typeof groupExposure> => Boolean(g));
        let sshExposure: SshExposure = 'none';
        if (groups.some(g => g.exposure === 'world')) {
          sshExposure = 'world';
        } else if (groups.some(g => g.exposure === 'restricted')) {
          sshExposure = 'restricted';
        }
        exposure = {
          sshExposure,
          sources: [...new Set(groups.flatMap(g => g.sources))],
        };
        exposures.set(key, exposure);
      }
      return exposure;
    };

    return found.map(instance => {
      const tags = Object.fromEntries(
        (instance.Tags ?? []).map(t => [t.Key ?? '', t.Value ?? '']),
      );
      const { sshExposure, sources } = exposureOf(instance);
      return {
        instanceId: instance.InstanceId!,
        region: location.region,
        account: location.account,
        imageId: instance.ImageId,
        launchTime: instance.LaunchTime,
        state: instance.State?.Name,
        keyName: instance.KeyName,
        launchTemplateId: tags['aws:ec2launchtemplate:id'],
        launchTemplateVersion: tags['aws:ec2launchtemplate:version'],
        asg: tags['aws:autoscaling:groupName'],
        sshExposure,
        sshSources: [...sources],
        tags,
      };
    });
  }

  async getLaunchTemplateDefault(
    location: ImageLocation & { launchTemplate: string },
  ): Promise<LaunchTemplateDefault | undefined> {
    const ec2 = await this.clients.ec2Client(location.region, location.account);
    const byId = /^lt-[0-9a-f]+$/.test(location.launchTemplate);
    try {
      const answer = await ec2.send(
        new DescribeLaunchTemplateVersionsCommand({
          ...(byId
            ? { LaunchTemplateId: location.launchTemplate }
            : { LaunchTemplateName: location.launchTemplate }),
          Versions: ['$Default'],
        }),
      );
      const version = answer.LaunchTemplateVersions?.[0];
      if (!version) {
        return undefined;
      }
      return {
        id: version.LaunchTemplateId!,
        name: version.LaunchTemplateName!,
        region: location.region,
        defaultVersion: version.VersionNumber!,
        imageId: version.LaunchTemplateData?.ImageId,
      };
    } catch (error) {
      if (
        (error as { name?: string }).name?.startsWith(
          'InvalidLaunchTemplateName',
        ) ||
        (error as { name?: string }).name?.startsWith('InvalidLaunchTemplateId')
      ) {
        return undefined;
      }
      throw error;
    }
  }

  async describeAutoScalingGroups(
    location: ImageLocation & { names: string[] },
  ): Promise<AutoScalingGroupDescription[]> {
    const names = [...new Set(location.names)];
    if (names.length === 0) {
      return [];
    }
    const autoscaling = await this.clients.autoScalingClient(
      location.region,
      location.account,
    );
    const groups: AutoScalingGroup[] = [];
    for (const batch of chunks(names, GROUP_NAMES_BATCH)) {
      let token: string | undefined;
      do {
        const page = await autoscaling.send(
          new DescribeAutoScalingGroupsCommand({
            AutoScalingGroupNames: batch,
            NextToken: token,
          }),
        );
        groups.push(...(page.AutoScalingGroups ?? []));
        token = page.NextToken;
      } while (token);
    }
    const ec2 = await this.clients.ec2Client(location.region, location.account);
    // One call per template version the groups name, shared between them.
    const versions = new Map<
      string,
      Promise<{ number?: number; imageId?: string } | undefined>
    >();
    const templateVersion = (
      id: string | undefined,
      name: string | undefined,
      version: string,
    ) => {
      const key = `${id ?? name}:${version}`;
      if (!versions.has(key)) {
        versions.set(
          key,
          ec2
            .send(
              new DescribeLaunchTemplateVersionsCommand({
                ...(id
                  ? { LaunchTemplateId: id }
                  : { LaunchTemplateName: name }),
                Versions: [version],
              }),
            )
            .then(answer => {
              const described = answer.LaunchTemplateVersions?.[0];
              return described
                ? {
                    number: described.VersionNumber,
                    imageId: described.LaunchTemplateData?.ImageId,
                  }
                : undefined;
            }),
        );
      }
      return versions.get(key)!;
    };
    const configurations = groups
      .map(g => g.LaunchConfigurationName)
      .filter((n): n is string => Boolean(n));
    const configImages = new Map<string, string | undefined>();
    if (configurations.length > 0) {
      const answer = await autoscaling.send(
        new DescribeLaunchConfigurationsCommand({
          LaunchConfigurationNames: configurations,
        }),
      );
      for (const lc of answer.LaunchConfigurations ?? []) {
        configImages.set(lc.LaunchConfigurationName!, lc.ImageId);
      }
    }
    return Promise.all(
      groups.map(async group => {
        const spec =
          group.LaunchTemplate ??
          group.MixedInstancesPolicy?.LaunchTemplate
            ?.LaunchTemplateSpecification;
        let launchTemplate: AutoScalingGroupDescription['launchTemplate'];
        if (spec) {
          // A group that names no version launches the default one.
          const version = spec.Version ?? '$Default';
          const resolved = await templateVersion(
            spec.LaunchTemplateId,
            spec.LaunchTemplateName,
            version,
          );
          launchTemplate = {
            id: spec.LaunchTemplateId ?? '',
            name: spec.LaunchTemplateName ?? '',
            version,
            resolvedVersion: resolved?.number,
            imageId: resolved?.imageId,
          };
        }
        return {
          name: group.AutoScalingGroupName!,
          region: location.region,
          minSize: group.MinSize ?? 0,
          maxSize: group.MaxSize ?? 0,
          desiredCapacity: group.DesiredCapacity ?? 0,
          newInstancesProtectedFromScaleIn:
            group.NewInstancesProtectedFromScaleIn ?? false,
          launchTemplate,
          launchConfiguration: group.LaunchConfigurationName
            ? {
                name: group.LaunchConfigurationName,
                imageId: configImages.get(group.LaunchConfigurationName),
              }
            : undefined,
          instances: (group.Instances ?? []).map(instance => ({
            instanceId: instance.InstanceId!,
            lifecycleState: instance.LifecycleState,
            healthStatus: instance.HealthStatus,
          })),
          targetGroupArns: group.TargetGroupARNs ?? [],
        };
      }),
    );
  }
}
