import { Knex } from 'knex';
import { writeTransaction } from '../audit/writeTransaction';
import {
  isUniqueViolation,
  optionalIso,
  Timestamp,
  toIso,
} from '../database/timestamps';

/** A revoked version seen running in an entity's fleet. @internal */
export type RevokedExposure = {
  versionId: string;
  entityRef: string;
  revokedAt: string;
  firstSeenAt: string;
  /** When no instance of the entity ran it any more. */
  replacedAt?: string;
};

type ExposureRow = {
  version_id: string;
  entity_ref: string;
  revoked_at: Timestamp;
  first_seen_at: Timestamp;
  replaced_at: Timestamp | null;
};

/**
 * What the adoption notices remember: the notifications sent (each once,
 * by its key) and the revoked versions seen running, until replaced.
 *
 * @internal
 */
export class DatabaseNoticeStore {
  static create(options: { knex: Knex }): DatabaseNoticeStore {
    return new DatabaseNoticeStore(options.knex);
  }

  private constructor(private readonly db: Knex) {}

  /**
   * Takes the notice of `key` for sending: false when it was taken (sent)
   * before. A send that fails gives it back (`release`), to be sent again.
   */
  async claim(
    key: string,
    recipient: string,
    reason: string,
  ): Promise<boolean> {
    try {
      await writeTransaction(this.db, async trx => {
        await trx('notifications_sent').insert({
          dedupe_key: key,
          recipient,
          reason,
          sent_at: new Date().toISOString(),
        });
        return { result: undefined, readModelChanged: false };
      });
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) {
        return false;
      }
      throw error;
    }
  }

  async release(key: string): Promise<void> {
    await writeTransaction(this.db, async trx => {
      await trx('notifications_sent').where({ dedupe_key: key }).delete();
      return { result: undefined, readModelChanged: false };
    });
  }

  /**
   * Records which revoked versions each entity runs now: new ones are
   * returned (their first sighting), ones no longer running are marked
   * replaced. Only the entities in `running` are looked at.
   */
  async recordExposures(
    running: Map<string, Array<{ versionId: string; revokedAt: string }>>,
    now: string,
  ): Promise<RevokedExposure[]> {
    return writeTransaction(this.db, async trx => {
      const fresh: RevokedExposure[] = [];
      const entityRefs = [...running.keys()];
      const open: ExposureRow[] = [];
      for (let i = 0; i < entityRefs.length; i += 500) {
        open.push(
          ...(await trx<ExposureRow>('revoked_image_exposures')
            .whereIn('entity_ref', entityRefs.slice(i, i + 500))
            .select()),
        );
      }
      const known = new Set(open.map(r => `${r.version_id} ${r.entity_ref}`));
      for (const [entityRef, versions] of running) {
        const now_running = new Set(versions.map(v => v.versionId));
        for (const v of versions) {
          if (!known.has(`${v.versionId} ${entityRef}`)) {
            const row = {
              version_id: v.versionId,
              entity_ref: entityRef,
              revoked_at: v.revokedAt,
              first_seen_at: now,
              replaced_at: null,
            };
            await trx('revoked_image_exposures').insert(row);
            fresh.push(fromRow(row));
          }
        }
        const replaced = open.filter(
          r =>
            r.entity_ref === entityRef &&
            r.replaced_at === null &&
            !now_running.has(r.version_id),
        );
        for (const r of replaced) {
          await trx('revoked_image_exposures')
            .where({ version_id: r.version_id, entity_ref: r.entity_ref })
            .update({ replaced_at: now });
        }
        // Seen again after it was replaced: running again.
        const back = open.filter(
          r =>
            r.entity_ref === entityRef &&
            r.replaced_at !== null &&
            now_running.has(r.version_id),
        );
        for (const r of back) {
          await trx('revoked_image_exposures')
            .where({ version_id: r.version_id, entity_ref: r.entity_ref })
            .update({ replaced_at: null });
        }
      }
      return { result: fresh, readModelChanged: false };
    });
  }

  /** Exposures still running, or replaced since `since`. */
  async listExposures(options: { since: string }): Promise<RevokedExposure[]> {
    const rows = await this.db<ExposureRow>('revoked_image_exposures')
      .whereNull('replaced_at')
      .orWhere('replaced_at', '>=', options.since)
      .select();
    return rows.map(fromRow);
  }
}

function fromRow(r: ExposureRow): RevokedExposure {
  return {
    versionId: r.version_id,
    entityRef: r.entity_ref,
    revokedAt: toIso(r.revoked_at),
    firstSeenAt: toIso(r.first_seen_at),
    replacedAt: optionalIso(r.replaced_at),
  };
}
