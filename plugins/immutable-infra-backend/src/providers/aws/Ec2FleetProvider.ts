import {
  DescribeInstancesCommandInput,
  DescribeLaunchTemplateVersionsCommand,
  DescribeSecurityGroupsCommand,
  Instance,
  EC2Client,
  paginateDescribeInstances,
  paginateDescribeLaunchTemplateVersions,
} from '@aws-sdk/client-ec2';
import {
  AutoScalingGroupDescription,
  FleetInstance,
  FleetProvider,
  InteractiveSession,
  LaunchTemplateDefault,
  SshExposure,
} from '../FleetProvider';
import { ImageLocation } from '../ImageProvider';
import { AwsClientFactory } from './AwsClientFactory';
import { describeAutoScalingGroups } from './autoScalingGroups';
import {
  describeFleetInstancesInput,
  describeInventoryInputs,
  groupExposure,
  SECURITY_GROUP_BATCH,
  TEMPLATE_VERSIONS_PAGE,
} from './ec2FleetRequests';
import { InstanceFactsReader } from './InstanceFactsReader';

export {
  describeFleetInstancesInput,
  describeInventoryInputs,
} from './ec2FleetRequests';
export { instanceIdsInStreamName, sshdLogin } from './InstanceFactsReader';

/**
 * {@link FleetProvider} for EC2. Security groups are described in batches
 * and remembered for the life of the provider (one sync).
 *
 * @internal
 */
export class Ec2FleetProvider implements FleetProvider {
  private readonly groups = new Map<string, ReturnType<typeof groupExposure>>();
  /** The facts beyond EC2: Systems Manager and CloudWatch Logs. */
  private readonly facts: InstanceFactsReader;

  constructor(private readonly clients: AwsClientFactory) {
    this.facts = new InstanceFactsReader(clients);
  }

  async listInstances(
    location: ImageLocation & { selector: { key: string; value: string }[] },
  ): Promise<FleetInstance[]> {
    const ec2 = await this.clients.ec2Client(location.region, location.account);
    return this.describe(ec2, location, [
      describeFleetInstancesInput(location.selector),
    ]);
  }

  /**
   * The account and region's inventory: one page chain per batch of tag
   * keys (one for up to 200 keys), then the security groups those instances
   * use, 200 a request.
   */
  async listAccountInstances(
    location: ImageLocation & { tagKeys: string[]; signal?: AbortSignal },
  ): Promise<FleetInstance[]> {
    if (location.tagKeys.length === 0) {
      return [];
    }
    const ec2 = await this.clients.ec2Client(location.region, location.account);
    return this.describe(
      ec2,
      location,
      describeInventoryInputs(location.tagKeys),
      location.signal,
    );
  }

  private async describe(
    ec2: EC2Client,
    location: ImageLocation,
    inputs: DescribeInstancesCommandInput[],
    signal?: AbortSignal,
  ): Promise<FleetInstance[]> {
    const found: Instance[] = [];
    const seen = new Set<string>();
    for (const input of inputs) {
      // The SDK's paginator follows every NextToken; an abandoned listing
      // stops before the next page.
      for await (const page of paginateDescribeInstances(
        { client: ec2 },
        input,
      )) {
        signal?.throwIfAborted();
        for (const reservation of page.Reservations ?? []) {
          for (const instance of reservation.Instances ?? []) {
            // Listed once, whatever batches of keys found it.
            if (!seen.has(instance.InstanceId!)) {
              seen.add(instance.InstanceId!);
              found.push(instance);
            }
          }
        }
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
        { abortSignal: signal },
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
        metadataHttpTokens: instance.MetadataOptions?.HttpTokens,
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

  /**
   * The default versions of the named templates: one page chain of every
   * default version in the region (200 a page), matched here by name or
   * id, so that a name that does not exist costs no call and fails nothing
   * (DescribeLaunchTemplates by names fails the whole request for one
   * unknown name).
   */
  async getLaunchTemplateDefaults(
    location: ImageLocation & { launchTemplates: string[] },
  ): Promise<LaunchTemplateDefault[]> {
    const wanted = new Set(location.launchTemplates);
    if (wanted.size === 0) {
      return [];
    }
    const ec2 = await this.clients.ec2Client(location.region, location.account);
    const found: LaunchTemplateDefault[] = [];
    for await (const page of paginateDescribeLaunchTemplateVersions(
      { client: ec2 },
      { Versions: ['$Default'], MaxResults: TEMPLATE_VERSIONS_PAGE },
    )) {
      for (const version of page.LaunchTemplateVersions ?? []) {
        if (
          wanted.has(version.LaunchTemplateId!) ||
          wanted.has(version.LaunchTemplateName!)
        ) {
          found.push({
            id: version.LaunchTemplateId!,
            name: version.LaunchTemplateName!,
            region: location.region,
            defaultVersion: version.VersionNumber!,
            imageId: version.LaunchTemplateData?.ImageId,
          });
        }
      }
    }
    return found;
  }

  async describeAutoScalingGroups(
    location: ImageLocation & { names: string[] },
  ): Promise<AutoScalingGroupDescription[]> {
    return describeAutoScalingGroups(this.clients, location);
  }

  /**
   * Systems Manager's managed instances among these ids, asked 50 ids at a
   * time (the `InstanceIds` filter), every page followed. An instance it
   * does not list is not managed, as AWS Config's
   * ec2-instance-managed-by-systems-manager judges it:
   * https://docs.aws.amazon.com/config/latest/developerguide/ec2-instance-managed-by-systems-manager.html
   */
  listManagedInstances(
    location: ImageLocation & { instanceIds: string[] },
  ): Promise<Set<string>> {
    return this.facts.listManagedInstances(location);
  }

  /**
   * The newest event of each instance's streams in a log group: the group's
   * streams newest first (`orderBy: LastEventTime`, descending), pages
   * followed until a stream's last event is older than `since`. One listing
   * per group and sync, whatever the number of instances or entities that
   * ship there. CloudWatch Logs updates a stream's `lastEventTimestamp`
   * eventually, "typically ... in less than an hour from ingestion"
   * (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_DescribeLogStreams.html):
   * the window must be longer than that. A group that does not exist has no
   * streams.
   */
  lastLogEvents(
    location: ImageLocation & { group: string; since: number },
  ): Promise<Map<string, number>> {
    return this.facts.lastLogEvents(location);
  }

  /**
   * sshd's logins in a CloudWatch Logs group since `since`: its "Accepted"
   * lines, each on the instance its stream is named after; once per sync
   * and group. A group that does not exist has none.
   */
  listLogins(
    location: ImageLocation & { group: string; since: number },
  ): Promise<InteractiveSession[]> {
    return this.facts.listLogins(location);
  }

  /**
   * Interactive sessions in the region, open ones and Systems Manager's
   * history, every page followed, once per sync: DescribeSessions filters by
   * one target at a time, so the region's list is read and matched to the
   * instances. A session that failed to open never reached the instance.
   * https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_DescribeSessions.html
   */
  listSessions(location: ImageLocation): Promise<InteractiveSession[]> {
    return this.facts.listSessions(location);
  }
}
