import { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import { NotificationSendOptions } from '@backstage/plugin-notifications-node';
import { EntitySnapshotStore } from '../catalog/EntitySnapshotStore';
import { EntityReadModel } from '../entities/EntityReadModel';
import { dayOf } from './AdoptionSnapshotter';
import { InitiativeService } from './InitiativeService';
import { DatabaseInitiativeStore, meetsGoal } from './InitiativeStore';
import { DatabaseNoticeStore } from './NoticeStore';

const DAY = 86_400_000;

/** Sends a Backstage notification; throws when it cannot. @internal */
export type SendNotification = (
  notification: NotificationSendOptions,
) => Promise<void>;

/** An entity's page path under the catalog, e.g. for its Drift tab. */
function entityPath(entityRef: string, tab: string) {
  const { kind, namespace, name } = parseEntityRef(entityRef);
  return `/catalog/${[namespace, kind.toLocaleLowerCase('en-US'), name]
    .map(encodeURIComponent)
    .join('/')}/${tab}`;
}

/**
 * The adoption notices, each sent once (its key remembered; a send that
 * fails is tried again on the next run): the owners an initiative covers,
 * when it starts and a week before its deadline while they are behind; and
 * an entity's owner, when one of its instances runs a revoked version (once
 * per revocation and entity, however many syncs see it). It also records
 * when each revoked version stops running, for the time to replace it.
 *
 * @internal
 */
export class AdoptionNotifier {
  constructor(
    private readonly options: {
      notices: DatabaseNoticeStore;
      initiatives: Pick<InitiativeService, 'scopeRows'>;
      initiativeStore: Pick<DatabaseInitiativeStore, 'list'>;
      readModel: EntityReadModel;
      snapshots: Pick<EntitySnapshotStore, 'listSnapshots'>;
      auth: AuthService;
      send: SendNotification;
      logger: LoggerService;
    },
  ) {}

  /** Sends a notice unless its key was sent before; false when it was not sent now. */
  private async sendOnce(
    key: string,
    recipient: string,
    reason: string,
    notification: NotificationSendOptions,
  ): Promise<boolean> {
    const { notices, send, logger } = this.options;
    if (!(await notices.claim(key, recipient, reason))) {
      return false;
    }
    try {
      await send(notification);
      return true;
    } catch (error) {
      await notices.release(key);
      logger.warn(
        `Could not notify ${recipient} (${reason}), to be tried again: ${
          error instanceof Error ? error.message : String(error)
        }`,
      );
      return false;
    }
  }

  /** The notices of the active initiatives due by `now`. */
  async notifyInitiatives(now: Date = new Date()): Promise<number> {
    const credentials = await this.options.auth.getOwnServiceCredentials();
    const today = dayOf(now);
    let sent = 0;
    for (const initiative of await this.options.initiativeStore.list()) {
      if (initiative.state !== 'active' || initiative.startsOn > today) {
        continue;
      }
      const { rows } = await this.options.initiatives.scopeRows(
        initiative,
        credentials,
      );
      const owners = new Map<string, { done: number; total: number }>();
      for (const row of rows) {
        if (!row.owner) continue;
        const entry = owners.get(row.owner) ?? { done: 0, total: 0 };
        entry.total += 1;
        entry.done += meetsGoal(row, initiative.goal) ? 1 : 0;
        owners.set(row.owner, entry);
      }
      const dueSoon =
        today <= initiative.deadline &&
        Date.parse(`${initiative.deadline}T00:00:00Z`) -
          Date.parse(`${today}T00:00:00Z`) <=
          7 * DAY;
      for (const [owner, { done, total }] of owners) {
        const link = `/immutability?owner=${encodeURIComponent(owner)}`;
        if (
          await this.sendOnce(
            `initiative-start:${initiative.id}:${owner}`,
            owner,
            'initiative-start',
            {
              recipients: { type: 'entity', entityRef: owner },
              payload: {
                title: `Initiative "${initiative.title}" includes your services`,
                description: `${done} of ${total} of your services meet its goal; its deadline is ${initiative.deadline}.`,
                link,
                topic: 'initiatives',
                scope: `initiative:${initiative.id}:start`,
              },
            },
          )
        ) {
          sent += 1;
        }
        if (
          dueSoon &&
          done < total &&
          (await this.sendOnce(
            `initiative-deadline:${initiative.id}:${owner}`,
            owner,
            'initiative-deadline',
            {
              recipients: { type: 'entity', entityRef: owner },
              payload: {
                title: `Initiative "${initiative.title}" is due ${initiative.deadline}`,
                description: `${
                  total - done
                } of your ${total} services do not meet its goal yet.`,
                link,
                severity: 'high',
                topic: 'initiatives',
                scope: `initiative:${initiative.id}:deadline`,
              },
            },
          ))
        ) {
          sent += 1;
        }
      }
    }
    return sent;
  }

  /**
   * Looks at every enrolled entity's fleet for revoked versions: records
   * them and when they stop running, and tells the entity's owner once.
   */
  async trackRevokedImages(now: Date = new Date()): Promise<number> {
    const running = new Map<
      string,
      Array<{ versionId: string; revokedAt: string; reason?: string }>
    >();
    for (const snapshot of await this.options.snapshots.listSnapshots()) {
      const data = await this.options.readModel.load(snapshot.entity_ref);
      if (!data) continue;
      const revoked = new Map<string, { revokedAt: string; reason?: string }>();
      for (const instance of data.inventory.instances) {
        const version = instance.imageId
          ? data.versionsByImage.get(instance.imageId)
          : undefined;
        if (version?.revokedAt) {
          revoked.set(version.id, {
            revokedAt: version.revokedAt,
            reason: version.revokeReason,
          });
        }
      }
      running.set(
        snapshot.entity_ref,
        [...revoked].map(([versionId, v]) => ({ versionId, ...v })),
      );
    }
    await this.options.notices.recordExposures(
      new Map(
        [...running].map(([ref, versions]) => [
          ref,
          versions.map(({ versionId, revokedAt }) => ({
            versionId,
            revokedAt,
          })),
        ]),
      ),
      now.toISOString(),
    );
    // Every revoked version running now: each notice's key makes it once,
    // and one that could not be sent is tried again here.
    let sent = 0;
    const exposures = [...running].flatMap(([entityRef, versions]) =>
      versions.map(v => ({ entityRef, ...v })),
    );
    for (const exposure of exposures) {
      const { reason } = exposure;
      const { name } = parseEntityRef(exposure.entityRef);
      if (
        await this.sendOnce(
          `revoked:${exposure.versionId}:${exposure.entityRef}`,
          exposure.entityRef,
          'revoked-image',
          {
            recipients: { type: 'entity', entityRef: exposure.entityRef },
            payload: {
              title: `${name} runs ${exposure.versionId}, which was revoked`,
              description: `${
                reason ? `Revoked: ${reason}. ` : ''
              }Replace the instances that run it (the Drift tab's "Replace drifted").`,
              link: entityPath(exposure.entityRef, 'drift'),
              severity: 'critical',
              topic: 'revoked-images',
              scope: `revoked:${exposure.versionId}`,
            },
          },
        )
      ) {
        sent += 1;
      }
    }
    return sent;
  }
}
