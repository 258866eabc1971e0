import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import {
  DriftEventQueue,
  QueueLocation,
  QueueMessage,
} from '../DriftEventProvider';
import { AwsClientFactory } from './AwsClientFactory';

/**
 * {@link DriftEventQueue} on Amazon SQS: long polling
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-short-and-long-polling.html)
 * and batch deletes of at most 10 receipts
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteMessageBatch.html).
 *
 * @internal
 */
export class SqsDriftEventQueue implements DriftEventQueue {
  constructor(private readonly clients: AwsClientFactory) {}

  async receive(
    queue: QueueLocation,
    options: { maxMessages: number; waitSeconds: number; signal?: AbortSignal },
  ): Promise<QueueMessage[]> {
    if (options.signal?.aborted) {
      return [];
    }
    const sqs = await this.clients.sqsClient(queue.region, queue.account);
    try {
      const answer = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queue.queueUrl,
          // SQS answers at most 10 messages a receive and waits at most 20 s.
          MaxNumberOfMessages: Math.min(Math.max(options.maxMessages, 1), 10),
          WaitTimeSeconds: Math.min(Math.max(options.waitSeconds, 0), 20),
        }),
        { abortSignal: options.signal },
      );
      return (answer.Messages ?? []).flatMap(m =>
        m.MessageId && m.ReceiptHandle && m.Body !== undefined
          ? [
              {
                messageId: m.MessageId,
                receiptHandle: m.ReceiptHandle,
                body: m.Body,
              },
            ]
          : [],
      );
    } catch (error) {
      if (options.signal?.aborted) {
        return [];
      }
      throw error;
    }
  }

  async delete(queue: QueueLocation, receiptHandles: string[]) {
    const sqs = await this.clients.sqsClient(queue.region, queue.account);
    const failed: string[] = [];
    for (let i = 0; i < receiptHandles.length; i += 10) {
      const batch = receiptHandles.slice(i, i + 10);
      const answer = await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queue.queueUrl,
          Entries: batch.map((handle, index) => ({
            Id: String(index),
            ReceiptHandle: handle,
          })),
        }),
      );
      for (const entry of answer.Failed ?? []) {
        const handle = batch[Number(entry.Id)];
        if (handle !== undefined) {
          failed.push(handle);
        }
      }
    }
    return failed;
  }
}
