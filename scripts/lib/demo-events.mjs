// The demo's drift events: the SQS queue that EventBridge would feed in an
// AWS account (examples/drift-events/ makes the real one), made in the
// emulator, and events put on it in the shape EventBridge delivers them
// ("AWS API Call via CloudTrail", the whole event as the message body).
// app-config.yaml names the queue (immutableInfra.events); scripts/start and
// scripts/test point it at their emulator.

import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SQSClient,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';

/** The queue's name; its URL is `<emulator>/123456789012/<name>`. */
export const DEMO_EVENTS_QUEUE = 'immutable-infra-drift-events';
/** The emulator's account: every resource it makes is in it. */
export const DEMO_ACCOUNT = '123456789012';

function sqsClient(endpoint, region) {
  return new SQSClient({
    region,
    endpoint,
    maxAttempts: 2,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
}

/**
 * Makes the queue and its dead-letter queue (a message the consumer fails
 * on three times goes there), as examples/drift-events/main.tf does; an
 * existing queue is kept. Answers its URL.
 */
export async function ensureDemoEventsQueue(endpoint, region) {
  const sqs = sqsClient(endpoint, region);
  const { QueueUrl: dlqUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: `${DEMO_EVENTS_QUEUE}-dlq` }),
  );
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: dlqUrl,
      AttributeNames: ['QueueArn'],
    }),
  );
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: DEMO_EVENTS_QUEUE,
      Attributes: {
        VisibilityTimeout: '60',
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: Attributes.QueueArn,
          maxReceiveCount: 3,
        }),
      },
    }),
  );
  return QueueUrl;
}

/** The queue's URL when it exists in the emulator, else undefined. */
export async function demoEventsQueueUrl(endpoint, region) {
  try {
    const { QueueUrl } = await sqsClient(endpoint, region).send(
      new GetQueueUrlCommand({ QueueName: DEMO_EVENTS_QUEUE }),
    );
    return QueueUrl;
  } catch {
    return undefined;
  }
}

/**
 * Puts on the queue the event EventBridge delivers for a CloudTrail record
 * of `eventName` (https://docs.aws.amazon.com/eventbridge/latest/ref/events-structure.html,
 * detail-type "AWS API Call via CloudTrail"); answers the event's id.
 */
export async function sendApiCallEvent(
  endpoint,
  region,
  queueUrl,
  { eventName, requestParameters, responseElements = null, user = 'demo' },
) {
  const id = randomUUID();
  const time = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const event = {
    version: '0',
    id,
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.ec2',
    account: DEMO_ACCOUNT,
    time,
    region,
    resources: [],
    detail: {
      eventVersion: '1.08',
      userIdentity: {
        type: 'AssumedRole',
        principalId: `AROADEMO:${user}`,
        arn: `arn:aws:sts::${DEMO_ACCOUNT}:assumed-role/Admin/${user}`,
        accountId: DEMO_ACCOUNT,
      },
      eventTime: time,
      eventSource: 'ec2.amazonaws.com',
      eventName,
      awsRegion: region,
      sourceIPAddress: '192.0.2.10',
      userAgent: 'aws-cli/2.15.0',
      requestParameters,
      responseElements,
      requestID: randomUUID(),
      eventID: randomUUID(),
      readOnly: false,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: DEMO_ACCOUNT,
      eventCategory: 'Management',
    },
  };
  await sqsClient(endpoint, region).send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: JSON.stringify(event),
    }),
  );
  return id;
}
