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
import { InteractiveSession } from '../FleetProvider';
import { ImageLocation } from '../ImageProvider';
import { AwsClientFactory } from './AwsClientFactory';
import { chunks } from './chunks';

// The facts about instances beyond EC2 that drift rules ask for: Systems
// Manager's managed instances and sessions, CloudWatch Logs' last events
// and sshd logins.

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

/** What `read` answers for `key`, read once per reader (callers share it). */
function once<T>(
  cache: Map<string, Promise<T>>,
  key: string,
  read: () => Promise<T>,
): Promise<T> {
  let answer = cache.get(key);
  if (!answer) {
    answer = read();
    cache.set(key, answer);
  }
  return answer;
}

/**
 * Reads the facts beyond EC2 for {@link Ec2FleetProvider}; what it reads of
 * a log group or a region is remembered for its life (one sync).
 *
 * @internal
 */
export class InstanceFactsReader {
  /** Log streams of a group, read once per sync: `account/region/group`. */
  private readonly logGroups = new Map<string, Promise<Map<string, number>>>();
  /** Sessions of a region, read once per sync: `account/region`. */
  private readonly sessions = new Map<string, Promise<InteractiveSession[]>>();
  private readonly logins = new Map<string, Promise<InteractiveSession[]>>();

  constructor(private readonly clients: AwsClientFactory) {}

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
    return once(this.logGroups, key, () => this.readLogGroup(location));
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
    return once(this.logins, key, () => this.readLogins(location));
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
    return once(this.sessions, key, () => this.readSessions(location));
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
