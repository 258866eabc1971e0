import { ROLLOUT_ID_TAG } from '@immutable-infra/backstage-plugin-common';
import { z } from 'zod';

// The shapes of the events the consumer reads, as AWS documents them:
// - every event: the EventBridge envelope
//   (https://docs.aws.amazon.com/eventbridge/latest/ref/overiew-event-structure.html);
// - "EC2 Instance State-change Notification"
//   (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/monitoring-instance-state-changes.html);
// - "AWS API Call via CloudTrail": the CloudTrail record as `detail`
//   (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html,
//   record fields: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html).
// Fields the consumer does not read are let through, as AWS adds fields.

/** @internal */
export const STATE_CHANGE = 'EC2 Instance State-change Notification';
/** @internal */
export const API_CALL = 'AWS API Call via CloudTrail';

const INSTANCE_ID = z.string().regex(/^i-[0-9a-f]{8,17}$/);
const ACCOUNT = z.string().regex(/^\d{12}$/);

const envelopeSchema = z.object({
  // AWS's published state-change example has no `version`.
  version: z.string().optional(),
  id: z.string().min(1).max(128),
  'detail-type': z.string(),
  source: z.string(),
  account: ACCOUNT,
  time: z.string(),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/),
  resources: z.array(z.string()),
  detail: z.record(z.string(), z.unknown()),
});

const stateChangeSchema = z.object({
  'instance-id': INSTANCE_ID,
  state: z.enum([
    'pending',
    'running',
    'stopping',
    'stopped',
    'shutting-down',
    'terminated',
  ]),
});

const tagsSchema = z
  .array(z.object({ key: z.string(), value: z.string().optional() }))
  .optional();

/** The CloudTrail record of each call the consumer reads, by event name. */
const CALLS = {
  'ec2.amazonaws.com': {
    AuthorizeSecurityGroupIngress: z.object({
      requestParameters: z
        .object({
          groupId: z.string().optional(),
          groupName: z.string().optional(),
        })
        .refine(p => p.groupId || p.groupName, 'groupId or groupName'),
    }),
    ModifyInstanceAttribute: z.object({
      requestParameters: z.object({ instanceId: INSTANCE_ID }),
    }),
    ModifyInstanceMetadataOptions: z.object({
      requestParameters: z.object({
        ModifyInstanceMetadataOptionsRequest: z.object({
          InstanceId: INSTANCE_ID,
        }),
      }),
    }),
    RunInstances: z.object({
      requestParameters: z
        .object({
          tagSpecificationSet: z
            .object({
              items: z.array(
                z.object({ resourceType: z.string(), tags: tagsSchema }),
              ),
            })
            .optional(),
        })
        .nullish(),
      responseElements: z.object({
        instancesSet: z.object({
          items: z.array(z.object({ instanceId: INSTANCE_ID })),
        }),
      }),
    }),
    CreateLaunchTemplateVersion: z.object({
      responseElements: z.object({
        CreateLaunchTemplateVersionResponse: z.object({
          launchTemplateVersion: z.object({
            launchTemplateId: z.string(),
            launchTemplateName: z.string().optional(),
          }),
        }),
      }),
    }),
    ModifyLaunchTemplate: z.object({
      responseElements: z.object({
        ModifyLaunchTemplateResponse: z.object({
          launchTemplate: z.object({
            launchTemplateId: z.string(),
            launchTemplateName: z.string().optional(),
          }),
        }),
      }),
    }),
  },
  'autoscaling.amazonaws.com': {
    UpdateAutoScalingGroup: z.object({
      requestParameters: z.object({ autoScalingGroupName: z.string() }),
    }),
  },
  'ssm.amazonaws.com': {
    StartSession: z.object({
      requestParameters: z.object({ target: z.string() }),
    }),
  },
} as const;

const callSchema = z.object({
  eventSource: z.string(),
  eventName: z.string(),
  awsRegion: z.string().optional(),
  errorCode: z.string().optional(),
  userIdentity: z.object({ arn: z.string().optional() }).optional(),
});

/** What an event touches, in its account and region. @internal */
export type Touch =
  | { kind: 'instances'; instanceIds: string[] }
  | { kind: 'securityGroup'; groupId?: string; groupName?: string }
  | { kind: 'autoscalingGroup'; name: string }
  | { kind: 'launchTemplate'; id: string; name?: string };

/** An event the consumer acts on. @internal */
export type DriftEvent = {
  id: string;
  account: string;
  region: string;
  /** The detail type, and for an API call its name (`RunInstances`). */
  what: string;
  touch: Touch;
};

/** Why an event was dropped without a resync. @internal */
export type DropReason = 'malformed' | 'unknown' | 'ignored';

/** @internal */
export type ParsedEvent =
  | { kind: 'event'; event: DriftEvent }
  | { kind: 'drop'; reason: DropReason; id?: string; message: string };

function drop(reason: DropReason, message: string, id?: string): ParsedEvent {
  return { kind: 'drop', reason, message, id };
}

function issues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map(i => `${i.path.join('.') || 'event'}: ${i.message}`)
    .join('; ');
}

/**
 * Reads one message body: an EventBridge event of a kind the consumer
 * knows, and what it touches; anything else is a reason to drop it.
 *
 * @internal
 */
export function parseDriftEvent(body: string): ParsedEvent {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return drop('malformed', 'not JSON');
  }
  const envelope = envelopeSchema.safeParse(json);
  if (!envelope.success) {
    return drop(
      'malformed',
      `not an EventBridge event (${issues(envelope.error)})`,
    );
  }
  const event = envelope.data;
  const base = { id: event.id, account: event.account, region: event.region };
  const type = event['detail-type'];

  if (type === STATE_CHANGE && event.source === 'aws.ec2') {
    const detail = stateChangeSchema.safeParse(event.detail);
    if (!detail.success) {
      return drop('malformed', `${type}: ${issues(detail.error)}`, event.id);
    }
    return {
      kind: 'event',
      event: {
        ...base,
        what: `${type} (${detail.data.state})`,
        touch: { kind: 'instances', instanceIds: [detail.data['instance-id']] },
      },
    };
  }

  if (type !== API_CALL) {
    return drop(
      'unknown',
      `detail type ${JSON.stringify(type.slice(0, 80))}`,
      event.id,
    );
  }
  const call = callSchema.safeParse(event.detail);
  if (!call.success) {
    return drop('malformed', `${type}: ${issues(call.error)}`, event.id);
  }
  const { eventSource, eventName, errorCode } = call.data;
  const calls = CALLS[eventSource as keyof typeof CALLS] as
    | Record<string, z.ZodType>
    | undefined;
  const schema =
    calls && Object.hasOwn(calls, eventName) ? calls[eventName] : undefined;
  if (!schema) {
    return drop(
      'unknown',
      `API call ${JSON.stringify(
        `${eventSource.slice(0, 40)} ${eventName.slice(0, 60)}`,
      )}`,
      event.id,
    );
  }
  if (errorCode) {
    // A refused call changed nothing.
    return drop(
      'ignored',
      `${eventName} failed (${errorCode.slice(0, 60)})`,
      event.id,
    );
  }
  const parsed = schema.safeParse(event.detail);
  if (!parsed.success) {
    return drop('malformed', `${eventName}: ${issues(parsed.error)}`, event.id);
  }
  const touch = touchOf(eventName, parsed.data);
  if ('ignored' in touch) {
    return drop('ignored', touch.ignored, event.id);
  }
  return { kind: 'event', event: { ...base, what: eventName, touch } };
}

/** What a parsed call touches (its schema has been checked). */
function touchOf(eventName: string, detail: any): Touch | { ignored: string } {
  switch (eventName) {
    case 'AuthorizeSecurityGroupIngress':
      return {
        kind: 'securityGroup',
        groupId: detail.requestParameters.groupId,
        groupName: detail.requestParameters.groupName,
      };
    case 'ModifyInstanceAttribute':
      return {
        kind: 'instances',
        instanceIds: [detail.requestParameters.instanceId],
      };
    case 'ModifyInstanceMetadataOptions':
      return {
        kind: 'instances',
        instanceIds: [
          detail.requestParameters.ModifyInstanceMetadataOptionsRequest
            .InstanceId,
        ],
      };
    case 'RunInstances': {
      const tags = (detail.requestParameters?.tagSpecificationSet?.items ?? [])
        .filter((s: { resourceType: string }) => s.resourceType === 'instance')
        .flatMap((s: { tags?: { key: string }[] }) => s.tags ?? []);
      if (tags.some((t: { key: string }) => t.key === ROLLOUT_ID_TAG)) {
        // A rollout's own launch: the rollout engine syncs what it launches.
        return { ignored: 'RunInstances of a rollout' };
      }
      return {
        kind: 'instances',
        instanceIds: detail.responseElements.instancesSet.items.map(
          (i: { instanceId: string }) => i.instanceId,
        ),
      };
    }
    case 'CreateLaunchTemplateVersion': {
      const version =
        detail.responseElements.CreateLaunchTemplateVersionResponse
          .launchTemplateVersion;
      return {
        kind: 'launchTemplate',
        id: version.launchTemplateId,
        name: version.launchTemplateName,
      };
    }
    case 'ModifyLaunchTemplate': {
      const template =
        detail.responseElements.ModifyLaunchTemplateResponse.launchTemplate;
      return {
        kind: 'launchTemplate',
        id: template.launchTemplateId,
        name: template.launchTemplateName,
      };
    }
    case 'UpdateAutoScalingGroup':
      return {
        kind: 'autoscalingGroup',
        name: detail.requestParameters.autoScalingGroupName,
      };
    case 'StartSession': {
      const target = detail.requestParameters.target;
      return INSTANCE_ID.safeParse(target).success
        ? { kind: 'instances', instanceIds: [target] }
        : { ignored: 'StartSession on a target that is not an instance' };
    }
    default:
      return { ignored: `${eventName} is not read` };
  }
}
