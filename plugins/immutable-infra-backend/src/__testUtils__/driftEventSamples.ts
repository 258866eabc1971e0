/*
 * Drift events in the shapes AWS documents, for the consumer's tests and
 * the events benchmark.
 *
 * - The state change is AWS's published example, from
 *   https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/monitoring-instance-state-changes.html
 * - The API calls are the EventBridge envelope of
 *   https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html
 *   around CloudTrail records with the fields of
 *   https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
 *   (requestParameters and responseElements as CloudTrail logs each call).
 */

/** AWS's example "EC2 Instance State-change Notification", verbatim. */
export const STATE_CHANGE_SAMPLE = {
  id: '7bf73129-1428-4cd3-a780-95db273d1602',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '123456789012',
  time: '2021-11-11T21:29:54Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
  detail: { 'instance-id': 'i-abcd1111', state: 'pending' },
};

/** A state change as EventBridge delivers it: the envelope with `version`. */
export function stateChange(options: {
  id: string;
  instanceId: string;
  state: string;
  account?: string;
  region?: string;
}) {
  const account = options.account ?? '123456789012';
  const region = options.region ?? 'us-east-1';
  return {
    version: '0',
    ...STATE_CHANGE_SAMPLE,
    id: options.id,
    account,
    region,
    resources: [
      `arn:aws:ec2:${region}:${account}:instance/${options.instanceId}`,
    ],
    detail: { 'instance-id': options.instanceId, state: options.state },
  };
}

const EVENT_SOURCES: Record<string, string> = {
  'ec2.amazonaws.com': 'aws.ec2',
  'autoscaling.amazonaws.com': 'aws.autoscaling',
  'ssm.amazonaws.com': 'aws.ssm',
};

/** The `detail` of an "AWS API Call via CloudTrail" event: a CloudTrail record. */
export function cloudTrailRecord(options: {
  eventSource: string;
  eventName: string;
  requestParameters?: unknown;
  responseElements?: unknown;
  errorCode?: string;
  region?: string;
  account?: string;
}) {
  const account = options.account ?? '123456789012';
  return {
    eventVersion: '1.08',
    userIdentity: {
      type: 'AssumedRole',
      principalId: 'AROAEXAMPLEID:alice',
      arn: `arn:aws:sts::${account}:assumed-role/Admin/alice`,
      accountId: account,
      accessKeyId: 'ASIAEXAMPLEKEY',
    },
    eventTime: '2026-12-06T10:00:00Z',
    eventSource: options.eventSource,
    eventName: options.eventName,
    awsRegion: options.region ?? 'us-east-1',
    sourceIPAddress: '192.0.2.10',
    userAgent: 'aws-cli/2.15.0',
    ...(options.errorCode
      ? { errorCode: options.errorCode, errorMessage: 'refused' }
      : {}),
    requestParameters: options.requestParameters ?? null,
    responseElements: options.responseElements ?? null,
    requestID: '2c7b1e30-0d5e-4bd0-9a35-8e6b1c3f0a11',
    eventID: '5d3f7c7e-6a1f-4c8e-9d4b-2b8f0e1c9a77',
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: account,
    eventCategory: 'Management',
  };
}

/** An "AWS API Call via CloudTrail" event as EventBridge delivers it. */
export function apiCall(
  options: Parameters<typeof cloudTrailRecord>[0] & { id: string },
) {
  return {
    version: '0',
    id: options.id,
    'detail-type': 'AWS API Call via CloudTrail',
    source: EVENT_SOURCES[options.eventSource] ?? 'aws.ec2',
    account: options.account ?? '123456789012',
    time: '2026-12-06T10:00:00Z',
    region: options.region ?? 'us-east-1',
    resources: [],
    detail: cloudTrailRecord(options),
  };
}

/** `AuthorizeSecurityGroupIngress` opening a port to the world. */
export function authorizeIngress(options: {
  id: string;
  groupId: string;
  port?: number;
  account?: string;
  region?: string;
}) {
  const port = options.port ?? 22;
  return apiCall({
    ...options,
    eventSource: 'ec2.amazonaws.com',
    eventName: 'AuthorizeSecurityGroupIngress',
    requestParameters: {
      groupId: options.groupId,
      ipPermissions: {
        items: [
          {
            ipProtocol: 'tcp',
            fromPort: port,
            toPort: port,
            groups: {},
            ipRanges: { items: [{ cidrIp: '0.0.0.0/0' }] },
            ipv6Ranges: {},
            prefixListIds: {},
          },
        ],
      },
    },
    responseElements: {
      requestId: '3f7a8b1c-2d4e-4f60-8a9b-0c1d2e3f4a5b',
      _return: true,
      securityGroupRuleSet: {
        items: [
          {
            groupOwnerId: options.account ?? '123456789012',
            groupId: options.groupId,
            securityGroupRuleId: 'sgr-0123456789abcdef0',
            isEgress: false,
            ipProtocol: 'tcp',
            fromPort: port,
            toPort: port,
            cidrIpv4: '0.0.0.0/0',
          },
        ],
      },
    },
  });
}
