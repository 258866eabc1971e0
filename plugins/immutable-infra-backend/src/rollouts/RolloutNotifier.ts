import { LoggerService } from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import {
  NotificationSendOptions,
  NotificationService,
} from '@backstage/plugin-notifications-node';
import { RolloutNoticeKind, RolloutNotify } from './notices';
import { RolloutRecord } from './RolloutStore';

const WHAT_HAPPENED: Record<RolloutNoticeKind, string> = {
  'awaiting-promotion': 'waits for a promote',
  failed: 'failed',
  aborted: 'was aborted',
};

/**
 * The Backstage notification of a rollout's moment, sent to the owner of
 * its entity (the notifications backend resolves an entity recipient to its
 * owner). The scope is the rollout and the moment, so that a repeat (a
 * second pause of the same rollout) updates the notice instead of adding one.
 *
 * @internal
 */
export function rolloutNotification(
  rollout: RolloutRecord,
  kind: RolloutNoticeKind,
  message: string,
): NotificationSendOptions {
  const entity = parseEntityRef(rollout.entityRef);
  const where = [
    entity.namespace.toLocaleLowerCase('en-US'),
    entity.kind.toLocaleLowerCase('en-US'),
    entity.name,
  ]
    .map(encodeURIComponent)
    .join('/');
  return {
    recipients: { type: 'entity', entityRef: rollout.entityRef },
    payload: {
      title: `${entity.name}: rollout to ${rollout.toVersion} in ${rollout.environment} ${WHAT_HAPPENED[kind]}`,
      description: message,
      // The entity's Immutability tab, where the Rollouts card is.
      link: `/catalog/${where}/immutability`,
      severity: kind === 'awaiting-promotion' ? 'normal' : 'high',
      topic: 'rollouts',
      scope: `rollout:${rollout.id}:${kind}`,
    },
  };
}

/**
 * Tells the owners of entities of their rollouts through Backstage
 * notifications. Without the notifications backend installed, a send fails
 * and is logged: a rollout never waits on, or fails for, a notice.
 *
 * @internal
 */
export class RolloutNotifier {
  constructor(
    private readonly options: {
      notifications: NotificationService;
      logger: LoggerService;
    },
  ) {}

  /** The hook the rollout engine and service call. */
  readonly notify: RolloutNotify = async (rollout, kind, message) => {
    try {
      await this.options.notifications.send(
        rolloutNotification(rollout, kind, message),
      );
    } catch (error) {
      this.options.logger.warn(
        `Could not notify the owner of ${rollout.entityRef} that rollout ${
          rollout.id
        } ${WHAT_HAPPENED[kind]}: ${
          error instanceof Error ? error.message : String(error)
        }`,
      );
    }
  };
}
