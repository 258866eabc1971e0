import { DescribeLaunchTemplateVersionsCommand } from '@aws-sdk/client-ec2';
import {
  AutoScalingGroup,
  DescribeAutoScalingGroupsCommand,
  DescribeLaunchConfigurationsCommand,
} from '@aws-sdk/client-auto-scaling';
import { AutoScalingGroupDescription } from '../FleetProvider';
import { ImageLocation } from '../ImageProvider';
import { AwsClientFactory } from './AwsClientFactory';
import { chunks } from './chunks';

/**
 * Names a DescribeAutoScalingGroups request takes, and the groups of one
 * page: "By default, you can only specify up to 50 names. You can
 * optionally increase this limit using the MaxRecords property", whose
 * "maximum value is 100".
 * https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DescribeAutoScalingGroups.html
 */
const GROUP_NAMES_BATCH = 100;

/**
 * The named Auto Scaling groups, 100 names a request, every page followed,
 * with the image each launches: the launch template version it names (one
 * call per version, shared between groups) or its launch configuration's.
 *
 * @internal
 */
export async function describeAutoScalingGroups(
  clients: AwsClientFactory,
  location: ImageLocation & { names: string[] },
): Promise<AutoScalingGroupDescription[]> {
  const names = [...new Set(location.names)];
  if (names.length === 0) {
    return [];
  }
  const autoscaling = await clients.autoScalingClient(
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
          MaxRecords: GROUP_NAMES_BATCH,
          NextToken: token,
        }),
      );
      groups.push(...(page.AutoScalingGroups ?? []));
      token = page.NextToken;
    } while (token);
  }
  const ec2 = await clients.ec2Client(location.region, location.account);
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
              ...(id ? { LaunchTemplateId: id } : { LaunchTemplateName: name }),
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
        group.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
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
