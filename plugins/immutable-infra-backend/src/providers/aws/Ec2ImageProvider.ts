import {
  AutoScalingGroup,
  DescribeLaunchConfigurationsCommand,
  paginateDescribeAutoScalingGroups,
} from '@aws-sdk/client-auto-scaling';
import {
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  DescribeImageAttributeCommand,
  DescribeImagesCommand,
  LaunchTemplate,
  paginateDescribeImages,
  paginateDescribeInstances,
  paginateDescribeLaunchTemplates,
  paginateDescribeLaunchTemplateVersions,
} from '@aws-sdk/client-ec2';
import {
  ImageLocation,
  ImageProvider,
  ImageUse,
  OwnedImage,
  CloudAccessError,
  RegionNotEnabledError,
} from '../ImageProvider';
import { AwsClientFactory } from './AwsClientFactory';
import { chunks } from './chunks';

/** Filter values per DescribeInstances call stay well under EC2's limit. */
const FILTER_CHUNK = 150;
/** Image attribute calls in flight at once. */
const ATTRIBUTE_CONCURRENCY = 5;
/**
 * Whether an AWS error says the account cannot be asked at all (no
 * credentials for it, or no permission), as opposed to a failure that may
 * pass (throttling, timeouts, the network, AWS itself).
 */
function isAccessError(error: unknown): boolean {
  const name = (error as { name?: string })?.name ?? '';
  return /Credential|AccessDenied|Unauthorized|AuthFailure|InvalidClientTokenId|SignatureDoesNotMatch|OptInRequired|ExpiredToken/.test(
    name,
  );
}

/** An image deregistered, or not yet usable: nobody can launch it now. */
const GONE_IMAGE_ERRORS = ['InvalidAMIID.NotFound', 'InvalidAMIID.Unavailable'];

function addUse(uses: Map<string, ImageUse[]>, imageId: string, use: ImageUse) {
  const list = uses.get(imageId);
  if (list) {
    list.push(use);
  }
}

/** The version number an ASG's `$Default`, `$Latest` or number means. */
function resolveTemplateVersion(
  template: LaunchTemplate,
  version: string | undefined,
): number | undefined {
  if (version === undefined || version === '$Default') {
    return template.DefaultVersionNumber;
  }
  if (version === '$Latest') {
    return template.LatestVersionNumber;
  }
  return Number(version);
}

/**
 * {@link ImageProvider} for EC2 and EC2 Auto Scaling.
 *
 * @internal
 */
export class Ec2ImageProvider implements ImageProvider {
  constructor(private readonly clients: AwsClientFactory) {}

  async listOwnedImages(location: ImageLocation): Promise<OwnedImage[]> {
    const ec2 = await this.clients.ec2Client(location.region, location.account);
    const images: OwnedImage[] = [];
    for await (const page of paginateDescribeImages(
      { client: ec2 },
      { Owners: ['self'] },
    )) {
      for (const image of page.Images ?? []) {
        if (!image.ImageId) {
          continue;
        }
        images.push({
          imageId: image.ImageId,
          region: location.region,
          account: image.OwnerId ?? location.account,
          name: image.Name,
          state: image.State,
          createdAt: image.CreationDate
            ? new Date(image.CreationDate)
            : undefined,
          tags: Object.fromEntries(
            (image.Tags ?? []).map(t => [t.Key ?? '', t.Value ?? '']),
          ),
        });
      }
    }
    return images;
  }

  async findOwnedImages(
    location: ImageLocation & { imageIds: string[] },
  ): Promise<Set<string>> {
    try {
      return await this.ownedImages(location);
    } catch (error) {
      if ((error as { name?: string })?.name === 'OptInRequired') {
        throw new RegionNotEnabledError(
          `${location.region} is not enabled for ${
            location.account ? `account ${location.account}` : 'the account'
          }`,
        );
      }
      if (isAccessError(error)) {
        throw new CloudAccessError(
          `${
            location.account
              ? `account ${location.account}`
              : 'the main account'
          } cannot be asked in ${location.region}: ${error}`,
        );
      }
      throw error;
    }
  }

  private async ownedImages(
    location: ImageLocation & { imageIds: string[] },
  ): Promise<Set<string>> {
    const owned = new Set<string>();
    if (location.imageIds.length === 0) {
      return owned;
    }
    const ec2 = await this.clients.ec2Client(location.region, location.account);
    // A filter, not ImageIds: an unknown id then matches nothing instead of
    // failing the whole call.
    for (const imageIds of chunks(location.imageIds, FILTER_CHUNK)) {
      for await (const page of paginateDescribeImages(
        { client: ec2 },
        { Owners: ['self'], Filters: [{ Name: 'image-id', Values: imageIds }] },
      )) {
        for (const image of page.Images ?? []) {
          // Credentials of another account (the default ones, when the
          // named account has none of its own) answer that account's
          // images: only the named account's count.
          if (
            image.ImageId &&
            (!location.account || image.OwnerId === location.account)
          ) {
            owned.add(image.ImageId);
          }
        }
      }
    }
    return owned;
  }

  async findImageUses(
    location: ImageLocation & { imageIds: string[] },
  ): Promise<Map<string, ImageUse[]>> {
    const uses = new Map<string, ImageUse[]>(
      location.imageIds.map(id => [id, []]),
    );
    if (location.imageIds.length === 0) {
      return uses;
    }
    const ec2 = await this.clients.ec2Client(location.region, location.account);

    for (const imageIds of chunks(location.imageIds, FILTER_CHUNK)) {
      for await (const page of paginateDescribeInstances(
        { client: ec2 },
        {
          Filters: [
            { Name: 'image-id', Values: imageIds },
            {
              Name: 'instance-state-name',
              Values: [
                'pending',
                'running',
                'shutting-down',
                'stopping',
                'stopped',
              ],
            },
          ],
        },
      )) {
        for (const reservation of page.Reservations ?? []) {
          for (const instance of reservation.Instances ?? []) {
            if (instance.ImageId && instance.InstanceId) {
              addUse(uses, instance.ImageId, {
                kind: 'instance',
                id: instance.InstanceId,
                state: instance.State?.Name,
              });
            }
          }
        }
      }
    }

    // Every version of every launch template: any of them may be launched.
    const templates: LaunchTemplate[] = [];
    for await (const page of paginateDescribeLaunchTemplates(
      { client: ec2 },
      {},
    )) {
      templates.push(...(page.LaunchTemplates ?? []));
    }
    const templateImages = new Map<string, Map<number, string>>();
    for (const template of templates) {
      const versions = new Map<number, string>();
      templateImages.set(template.LaunchTemplateId!, versions);
      for await (const page of paginateDescribeLaunchTemplateVersions(
        { client: ec2 },
        { LaunchTemplateId: template.LaunchTemplateId, Versions: undefined },
      )) {
        for (const version of page.LaunchTemplateVersions ?? []) {
          const imageId = version.LaunchTemplateData?.ImageId;
          if (imageId?.startsWith('resolve:ssm:')) {
            // The AMI is whatever the parameter holds at launch: no image in
            // this region can be called unused.
            throw new Error(
              `launch template ${template.LaunchTemplateName} version ${version.VersionNumber} resolves its AMI from ${imageId}`,
            );
          }
          if (imageId && version.VersionNumber !== undefined) {
            versions.set(version.VersionNumber, imageId);
            addUse(uses, imageId, {
              kind: 'launch-template',
              id: template.LaunchTemplateId!,
              name: template.LaunchTemplateName,
              version: version.VersionNumber,
            });
          }
        }
      }
    }

    // Shared images: other accounts may launch them at any time, unseen.
    // One call per image, a few at a time.
    const queue = [...location.imageIds];
    const describePermissions = async () => {
      for (let imageId = queue.shift(); imageId; imageId = queue.shift()) {
        let permissions;
        try {
          permissions = await ec2.send(
            new DescribeImageAttributeCommand({
              ImageId: imageId,
              Attribute: 'launchPermission',
            }),
          );
        } catch (error) {
          if (GONE_IMAGE_ERRORS.includes((error as Error).name)) {
            continue;
          }
          throw error;
        }
        const grants = permissions.LaunchPermissions ?? [];
        const grantees = grants.flatMap(g =>
          [g.UserId, g.OrganizationArn, g.OrganizationalUnitArn].filter(
            (x): x is string => Boolean(x),
          ),
        );
        const isPublic = grants.some(g => g.Group === 'all');
        if (isPublic || grantees.length > 0) {
          addUse(uses, imageId, {
            kind: 'launch-permission',
            public: isPublic,
            grantees,
          });
        }
      }
    };
    await Promise.all(
      Array.from({ length: ATTRIBUTE_CONCURRENCY }, describePermissions),
    );

    const autoscaling = await this.clients.autoScalingClient(
      location.region,
      location.account,
    );
    const groups: AutoScalingGroup[] = [];
    for await (const page of paginateDescribeAutoScalingGroups(
      { client: autoscaling },
      {},
    )) {
      groups.push(...(page.AutoScalingGroups ?? []));
    }
    const launchConfigurations = groups
      .map(g => g.LaunchConfigurationName)
      .filter((n): n is string => Boolean(n));
    const configImages = new Map<string, string>();
    for (const names of chunks(launchConfigurations, 50)) {
      const answer = await autoscaling.send(
        new DescribeLaunchConfigurationsCommand({
          LaunchConfigurationNames: names,
        }),
      );
      for (const lc of answer.LaunchConfigurations ?? []) {
        if (lc.LaunchConfigurationName && lc.ImageId) {
          configImages.set(lc.LaunchConfigurationName, lc.ImageId);
        }
      }
    }
    for (const group of groups) {
      const spec =
        group.LaunchTemplate ??
        group.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
      let imageId: string | undefined;
      if (spec) {
        const template = templates.find(
          t =>
            t.LaunchTemplateId === spec.LaunchTemplateId ||
            t.LaunchTemplateName === spec.LaunchTemplateName,
        );
        if (template) {
          const number = resolveTemplateVersion(template, spec.Version);
          imageId = templateImages
            .get(template.LaunchTemplateId!)
            ?.get(number ?? -1);
        }
      } else if (group.LaunchConfigurationName) {
        imageId = configImages.get(group.LaunchConfigurationName);
      }
      if (imageId && group.AutoScalingGroupName) {
        addUse(uses, imageId, {
          kind: 'autoscaling-group',
          name: group.AutoScalingGroupName,
        });
      }
    }
    return uses;
  }

  async deleteImage(location: ImageLocation & { imageId: string }): Promise<{
    deletedSnapshots: string[];
    alreadyGone: boolean;
    snapshotErrors: string[];
  }> {
    const ec2 = await this.clients.ec2Client(location.region, location.account);
    let snapshots: string[];
    try {
      const described = await ec2.send(
        new DescribeImagesCommand({ ImageIds: [location.imageId] }),
      );
      if (!described.Images?.length) {
        return { deletedSnapshots: [], alreadyGone: true, snapshotErrors: [] };
      }
      snapshots = (described.Images[0].BlockDeviceMappings ?? [])
        .map(m => m.Ebs?.SnapshotId)
        .filter((s): s is string => Boolean(s));
    } catch (error) {
      if (
        String((error as { name?: string }).name).startsWith('InvalidAMIID')
      ) {
        return { deletedSnapshots: [], alreadyGone: true, snapshotErrors: [] };
      }
      throw error;
    }
    await ec2.send(new DeregisterImageCommand({ ImageId: location.imageId }));
    // The image is gone; a snapshot that cannot go (e.g. another AMI uses
    // it) is reported, not fatal.
    const deletedSnapshots: string[] = [];
    const snapshotErrors: string[] = [];
    for (const snapshot of snapshots) {
      try {
        await ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshot }));
        deletedSnapshots.push(snapshot);
      } catch (error) {
        snapshotErrors.push(`${snapshot}: ${error}`);
      }
    }
    return { deletedSnapshots, alreadyGone: false, snapshotErrors };
  }
}
