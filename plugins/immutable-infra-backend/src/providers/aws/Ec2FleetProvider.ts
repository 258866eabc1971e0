import {
  DescribeInstancesCommandInput,
  DescribeLaunchTemplateVersionsCommand,
  DescribeSecurityGroupsCommand,
  Instance,
  EC2Client,
  IpPermission,
  paginateDescribeInstances,
  paginateDescribeLaunchTemplateVersions,
  SecurityGroup,
} from '@aws-sdk/client-ec2';
import {
  AutoScalingGroup,
  DescribeAutoScalingGroupsCommand,
  DescribeLaunchConfigurationsCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeSessionsCommand,
  paginateDescribeInstanceInformation,
  SessionState,
} from '@aws-sdk/client-ssm';
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
import { chunks } from './chunks';

const SECURITY_GROUP_BATCH = 200;

/**
 * Names a DescribeAutoScalingGroups request takes, and the groups of one
 * page: "By default, you can only specify up to 50 names. You can
 * optionally increase this limit using the MaxRecords property", whose
 * "maximum value is 100".
 * https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DescribeAutoScalingGroups.html
 */
const GROUP_NAMES_BATCH = 100;

/**
 * Instances a DescribeInstances page holds at most: EC2's ceiling
 * (`MaxResults`, "between 5 and 1000").
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstances.html
 */
const INSTANCES_PAGE = 1000;

/**
 * Tag keys of one `tag-key` filter. EC2 states no number of values a filter
 * takes for DescribeInstances; keys are sent 200 a request, as many as the
 * id lists of EC2's other batched describe calls here (security groups),
 * so that a request stays well inside EC2's request size. An instance that
 * carries keys of two batches is listed by both and kept once.
 */
const TAG_KEYS_BATCH = 200;

/**
 * Launch template versions of one DescribeLaunchTemplateVersions page: at
 * most 200. With `Versions: ['$Default']` and no template named, EC2
 * describes "all launch templates in your account that are defined as the
 * default version".
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeLaunchTemplateVersions.html
 */
const TEMPLATE_VERSIONS_PAGE = 200;

/** The states of an instance that fleet sync lists: all but terminated. */
const LISTED_STATES = ['pending', 'running', 'stopping', 'stopped'];

/**
 * Instance ids of one DescribeInstanceInformation request, and the most it
 * answers a page: 50.
 * https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_DescribeInstanceInformation.html
 */
const MANAGED_BATCH = 50;

/**
 * Streams of one DescribeLogStreams page: 50 at most.
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_DescribeLogStreams.html
 */
const LOG_STREAMS_PAGE = 50;

/** Sessions of one DescribeSessions page: 200 at most. */
const SESSIONS_PAGE = 200;

/**
 * sshd's line for a login it let in, as syslog and the journal ship it:
 * `sshd[1234]: Accepted publickey for ec2-user from 203.0.113.5 port 50022 ssh2: …`
 * (OpenSSH's auth.c logs "Accepted <method> for <user> from <host> port <port>").
 */
const SSHD_ACCEPTED =
  /\bsshd(?:-session)?(?:\[\d+\])?: Accepted (\S+) for (\S+) from (\S+)/;

/**
 * Events of one FilterLogEvents page: 10,000 at most; the term narrows them
 * on CloudWatch's side, the expression above on ours.
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
 */
const LOGIN_EVENTS_PAGE = 10_000;
const LOGIN_FILTER = 'Accepted';

/**
 * What a login line says, or undefined for any other line: who, from where,
 * how, as the owner of an interactive session.
 *
 * @internal
 */
export function sshdLogin(message: string): string | undefined {
  const match = SSHD_ACCEPTED.exec(message);
  return match ? `${match[2]} from ${match[3]} (${match[1]})` : undefined;
}

/**
 * The instance ids a log stream's name holds. The CloudWatch agent names a
 * stream `{instance_id}` unless its configuration says otherwise
 * (`log_stream_name`, "The default is {instance_id}"):
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Agent-Configuration-File-Details.html
 * A name made of the id and more (`i-0abc…/messages`, `web-i-0abc…`) counts
 * for that instance too.
 *
 * @internal
 */
export function instanceIdsInStreamName(name: string): string[] {
  return (
    name.match(/(?<![0-9a-z])i-(?:[0-9a-f]{17}|[0-9a-f]{8})(?![0-9a-f])/g) ?? []
  );
}

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
      { Name: 'instance-state-name', Values: LISTED_STATES },
    ],
    MaxResults: INSTANCES_PAGE,
  };
}

/**
 * The DescribeInstance requests of an account and region's inventory: every
 * instance not terminated that carries any of the tag keys (EC2's `tag-key`
 * filter, whatever the value), keys in batches of {@link TAG_KEYS_BATCH},
 * pages of 1,000.
 *
 * @internal
 */
export function describeInventoryInputs(
  tagKeys: string[],
): DescribeInstancesCommandInput[] {
  return chunks([...new Set(tagKeys)].sort(), TAG_KEYS_BATCH).map(keys => ({
    Filters: [
      { Name: 'tag-key', Values: keys },
      { Name: 'instance-state-name', Values: LISTED_STATES },
    ],
    MaxResults: INSTANCES_PAGE,
  }));
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
  /** Log streams of a group, read once per sync: `account/region/group`. */
  private readonly logGroups = new Map<string, Promise<Map<string, number>>>();
  /** Sessions of a region, read once per sync: `account/region`. */
  private readonly sessions = new Map<string, Promise<InteractiveSession[]>>();
  private readonly logins = new Map<string, Promise<InteractiveSession[]>>();

  constructor(private readonly clients: AwsClientFactory) {}

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
    location: ImageLocation & { tagKeys: string[] },
  ): Promise<FleetInstance[]> {
    if (location.tagKeys.length === 0) {
      return [];
    }
    const ec2 = await this.clients.ec2Client(location.region, location.account);
    return this.describe(
      ec2,
      location,
      describeInventoryInputs(location.tagKeys),
    );
  }

  private async describe(
    ec2: EC2Client,
    location: ImageLocation,
    inputs: DescribeInstancesCommandInput[],
  ): Promise<FleetInstance[]> {
    const found: Instance[] = [];
    const seen = new Set<string>();
    for (const input of inputs) {
      // The SDK's paginator follows every NextToken.
      for await (const page of paginateDescribeInstances(
        { client: ec2 },
        input,
      )) {
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
            MaxRecords: GROUP_NAMES_BATCH,
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

  /**
   * Systems Manager's managed instances among these ids, asked 50 ids at a
   * time (the `InstanceIds` filter), every page followed. An instance it
   * does not list is not managed, as AWS Config's
   * ec2-instance-managed-by-systems-manager judges it:
   * https://docs.aws.amazon.com/config/latest/developerguide/ec2-instance-managed-by-systems-manager.html
   */
  async listManagedInstances(
    location: ImageLocation & { instanceIds: string[] },
  ): Promise<Set<string>> {
    const managed = new Set<string>();
    const ids = [...new Set(location.instanceIds)];
    if (ids.length === 0) {
      return managed;
    }
    const ssm = await this.clients.ssmClient(location.region, location.account);
    for (const batch of chunks(ids, MANAGED_BATCH)) {
      for await (const page of paginateDescribeInstanceInformation(
        { client: ssm },
        {
          Filters: [{ Key: 'InstanceIds', Values: batch }],
          MaxResults: MANAGED_BATCH,
        },
      )) {
        for (const info of page.InstanceInformationList ?? []) {
          if (info.InstanceId) {
            managed.add(info.InstanceId);
          }
        }
      }
    }
    return managed;
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
  async lastLogEvents(
    location: ImageLocation & { group: string; since: number },
  ): Promise<Map<string, number>> {
    const key = `${location.account ?? 'main'}/${location.region}/${
      location.group
    }`;
    let read = this.logGroups.get(key);
    if (!read) {
      read = this.readLogGroup(location);
      this.logGroups.set(key, read);
    }
    return read;
  }

  private async readLogGroup(
    location: ImageLocation & { group: string; since: number },
  ): Promise<Map<string, number>> {
    const logs = await this.clients.cloudWatchLogsClient(
      location.region,
      location.account,
    );
    const newest = new Map<string, number>();
    let token: string | undefined;
    try {
      do {
        const page = await logs.send(
          new DescribeLogStreamsCommand({
            logGroupName: location.group,
            orderBy: 'LastEventTime',
            descending: true,
            limit: LOG_STREAMS_PAGE,
            nextToken: token,
          }),
        );
        token = page.nextToken;
        for (const stream of page.logStreams ?? []) {
          const last = stream.lastEventTimestamp;
          if (last === undefined || last < location.since) {
            // Newest first: every stream after this one is older.
            return newest;
          }
          for (const id of instanceIdsInStreamName(
            stream.logStreamName ?? '',
          )) {
            newest.set(id, Math.max(newest.get(id) ?? 0, last));
          }
        }
        // An empty page with a token: CloudWatch Logs may answer so; the
        // token is followed.
      } while (token);
    } catch (error) {
      if (error instanceof ResourceNotFoundException) {
        return newest;
      }
      throw error;
    }
    return newest;
  }

  /**
   * sshd's logins in a CloudWatch Logs group since `since`: its "Accepted"
   * lines, each on the instance its stream is named after; once per sync
   * and group. A group that does not exist has none.
   */
  async listLogins(
    location: ImageLocation & { group: string; since: number },
  ): Promise<InteractiveSession[]> {
    const key = `${location.account ?? 'main'}/${location.region}/${
      location.group
    }/${location.since}`;
    let read = this.logins.get(key);
    if (!read) {
      read = this.readLogins(location);
      this.logins.set(key, read);
    }
    return read;
  }

  private async readLogins(
    location: ImageLocation & { group: string; since: number },
  ): Promise<InteractiveSession[]> {
    const logs = await this.clients.cloudWatchLogsClient(
      location.region,
      location.account,
    );
    const found: InteractiveSession[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await logs.send(
          new FilterLogEventsCommand({
            logGroupName: location.group,
            filterPattern: LOGIN_FILTER,
            startTime: location.since,
            limit: LOGIN_EVENTS_PAGE,
            nextToken: token,
          }),
        );
        token = page.nextToken;
        for (const event of page.events ?? []) {
          const owner = sshdLogin(event.message ?? '');
          if (!owner) {
            continue;
          }
          for (const target of instanceIdsInStreamName(
            event.logStreamName ?? '',
          )) {
            found.push({
              id: `sshd:${event.eventId ?? event.timestamp ?? ''}`.slice(
                0,
                128,
              ),
              target,
              owner: owner.slice(0, 512),
              startedAt:
                event.timestamp === undefined
                  ? undefined
                  : new Date(event.timestamp).toISOString(),
            });
          }
        }
      } while (token);
    } catch (error) {
      if (error instanceof ResourceNotFoundException) {
        return found;
      }
      throw error;
    }
    return found;
  }

  /**
   * Interactive sessions in the region, open ones and Systems Manager's
   * history, every page followed, once per sync: DescribeSessions filters by
   * one target at a time, so the region's list is read and matched to the
   * instances. A session that failed to open never reached the instance.
   * https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_DescribeSessions.html
   */
  async listSessions(location: ImageLocation): Promise<InteractiveSession[]> {
    const key = `${location.account ?? 'main'}/${location.region}`;
    let read = this.sessions.get(key);
    if (!read) {
      read = this.readSessions(location);
      this.sessions.set(key, read);
    }
    return read;
  }

  private async readSessions(
    location: ImageLocation,
  ): Promise<InteractiveSession[]> {
    const ssm = await this.clients.ssmClient(location.region, location.account);
    const found: InteractiveSession[] = [];
    for (const state of [SessionState.ACTIVE, SessionState.HISTORY]) {
      let token: string | undefined;
      do {
        const page = await ssm.send(
          new DescribeSessionsCommand({
            State: state,
            MaxResults: SESSIONS_PAGE,
            NextToken: token,
          }),
        );
        token = page.NextToken;
        for (const session of page.Sessions ?? []) {
          if (!session.SessionId || !session.Target) {
            continue;
          }
          if (session.Status === 'Failed') {
            continue;
          }
          found.push({
            id: session.SessionId,
            target: session.Target,
            owner: session.Owner,
            startedAt: session.StartDate?.toISOString(),
          });
        }
      } while (token);
    }
    return found;
  }
}
