import { ImageLocation } from './ImageProvider';

/** A message received from a queue, not yet deleted. @internal */
export type QueueMessage = {
  messageId: string;
  /** Deletes this receipt of the message. */
  receiptHandle: string;
  body: string;
};

/** Where a queue is and whose credentials read it. @internal */
export type QueueLocation = {
  queueUrl: string;
  region: string;
  /** The account whose credentials read the queue; the main one when unset. */
  account?: string;
};

/**
 * The queue that EventBridge feeds with the events that create drift: a
 * message stays on the queue until it is deleted, and while one reader has
 * it (the visibility timeout) no other reader receives it.
 *
 * @internal
 */
export interface DriftEventQueue {
  /**
   * Up to `maxMessages` (at most 10) messages, waiting up to `waitSeconds`
   * (at most 20) for the first. Resolves early, with none, when the signal
   * aborts.
   */
  receive(
    queue: QueueLocation,
    options: { maxMessages: number; waitSeconds: number; signal?: AbortSignal },
  ): Promise<QueueMessage[]>;

  /** Deletes received messages; answers the receipts it could not delete. */
  delete(queue: QueueLocation, receiptHandles: string[]): Promise<string[]>;
}

/**
 * What the drift events consumer asks the cloud when the inventory cannot
 * tell which entity an event touches.
 *
 * @internal
 */
export interface DriftEventLookup {
  /** Instances (not terminated) with this security group attached. */
  instancesInSecurityGroup(
    location: ImageLocation,
    group: { groupId?: string; groupName?: string },
  ): Promise<string[]>;

  /** The tags of these instances (those EC2 still knows). */
  instanceTags(
    location: ImageLocation,
    instanceIds: string[],
  ): Promise<{ instanceId: string; tags: Record<string, string> }[]>;
}
