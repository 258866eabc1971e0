import { ImageVersion } from '@immutable-infra/backstage-plugin-common';
import { Knex } from 'knex';
import { AuditEventInput } from '../audit/AuditLog';
import { writeTransaction } from '../audit/writeTransaction';
import { hydrateVersions } from './hydrate';
import {
  ArtifactRow,
  FamilyRow,
  USABLE_STATES,
  VersionRow,
  versionRef,
} from './rows';

/**
 * The life of a version after registration: revocation and restoration
 * (with descendants), pruning, and AMIs gone missing.
 *
 * @internal
 */
export interface LifecycleStore {
  /**
   * Revokes (or restores) a version, and with `descendants` every version
   * built on it, directly or not. Answers the versions that changed.
   */
  setRevoked(options: {
    version: ImageVersion;
    revoked: boolean;
    descendants: boolean;
    /** Families whose descendants may change; the caller authorised these. */
    families?: string[];
    reason?: string;
    actor: string;
  }): Promise<ImageVersion[]>;

  /** Families of every version built on this one, directly or not. */
  descendantFamilies(version: ImageVersion): Promise<string[]>;

  /**
   * Records what pruning deleted. The version becomes `pruned` only when
   * every AMI is gone (`complete`); either way an audit event is written.
   */
  markPruned(options: {
    version: ImageVersion;
    actor: string;
    deleted: { region: string; imageId: string; deletedSnapshots: string[] }[];
    complete: boolean;
    errors: string[];
  }): Promise<void>;

  /**
   * Compares the registry with what the cloud reported in `regions`: a
   * version with an AMI there that is not in `present` is marked missing
   * (once, with the time it was first missed); one whose AMIs are all back
   * is cleared. Answers the ids of the versions newly missing.
   */
  reconcilePresence(options: {
    regions: string[];
    present: Set<string>;
    actor: string;
  }): Promise<string[]>;
}

/**
 * Knex implementation of {@link LifecycleStore}.
 *
 * @internal
 */
export class DatabaseLifecycleStore implements LifecycleStore {
  static create(options: { knex: Knex }): DatabaseLifecycleStore {
    return new DatabaseLifecycleStore(options.knex);
  }

  private constructor(private readonly db: Knex) {}

  async setRevoked(options: {
    version: ImageVersion;
    revoked: boolean;
    descendants: boolean;
    families?: string[];
    reason?: string;
    actor: string;
  }): Promise<ImageVersion[]> {
    const changedIds = await writeTransaction(this.db, async trx => {
      const root = await trx<VersionRow>('image_versions')
        .where({
          family: options.version.family,
          version: options.version.version,
        })
        .first();
      const ids = [
        String(root!.id),
        ...(options.descendants ? await descendantIds(trx, root!.id) : []),
      ];
      const from = options.revoked ? USABLE_STATES : ['revoked'];
      const query = trx<VersionRow>('image_versions')
        .whereIn('id', ids)
        .whereIn('state', from);
      if (!options.revoked && options.descendants) {
        // Restore only what the root's revocation revoked: descendants
        // revoked for reasons of their own stay revoked.
        query.where(q =>
          q.where('id', root!.id).orWhere({
            revoke_reason: root!.revoke_reason,
            revoked_by: root!.revoked_by,
          }),
        );
      }
      if (options.families) {
        query.whereIn('family', [root!.family, ...options.families]);
      }
      const rows = await query;
      if (rows.length === 0) {
        return { result: [], readModelChanged: false };
      }
      await trx('image_versions')
        .whereIn(
          'id',
          rows.map(r => r.id),
        )
        .update(
          options.revoked
            ? {
                state: 'revoked',
                revoked_at: trx.fn.now(),
                revoke_reason: options.reason ?? null,
                revoked_by: options.actor,
              }
            : {
                state: 'active',
                revoked_at: null,
                revoke_reason: null,
                revoked_by: null,
              },
        );
      const families = await trx<FamilyRow>('image_families').whereIn('name', [
        ...new Set(rows.map(r => r.family)),
      ]);
      const owner = new Map(families.map(f => [f.name, f.entity_ref]));
      return {
        result: rows.map(r => r.id),
        readModelChanged: true,
        audit: rows.map(row => ({
          actor: options.actor,
          action: options.revoked ? 'image.revoke' : 'image.restore',
          entityRef: owner.get(row.family),
          subject: versionRef(row),
          payload: {
            reason: options.reason,
            via:
              String(row.id) === String(root!.id)
                ? undefined
                : versionRef(options.version),
          },
        })),
      };
    });
    if (changedIds.length === 0) {
      return [];
    }
    const rows = await this.db<VersionRow>('image_versions')
      .whereIn('id', changedIds)
      .orderBy([{ column: 'family' }, { column: 'version', order: 'desc' }]);
    return hydrateVersions(this.db, rows);
  }

  async descendantFamilies(version: ImageVersion): Promise<string[]> {
    const root = await this.db<VersionRow>('image_versions')
      .where({ family: version.family, version: version.version })
      .first('id');
    if (!root) {
      return [];
    }
    const ids = await descendantIds(this.db, root.id);
    if (ids.length === 0) {
      return [];
    }
    const rows = await this.db('image_versions')
      .whereIn('id', ids)
      .distinct('family')
      .orderBy('family');
    return rows.map(r => r.family as string);
  }

  async markPruned(options: {
    version: ImageVersion;
    actor: string;
    deleted: { region: string; imageId: string; deletedSnapshots: string[] }[];
    complete: boolean;
    errors: string[];
  }): Promise<void> {
    await writeTransaction(this.db, async trx => {
      if (options.complete) {
        await trx('image_versions')
          .where({
            family: options.version.family,
            version: options.version.version,
          })
          .update({ state: 'pruned' });
      }
      const family = await trx<FamilyRow>('image_families')
        .where({ name: options.version.family })
        .first();
      return {
        result: undefined,
        readModelChanged: options.complete,
        audit: [
          {
            actor: options.actor,
            action: options.complete ? 'image.prune' : 'image.prune.partial',
            entityRef: family?.entity_ref,
            subject: options.version.id,
            payload: { deleted: options.deleted, errors: options.errors },
          },
        ],
      };
    });
  }

  async reconcilePresence(options: {
    regions: string[];
    present: Set<string>;
    actor: string;
  }): Promise<string[]> {
    if (options.regions.length === 0) {
      return [];
    }
    // Every artifact of the versions with an AMI in a scanned region: a
    // version is cleared only when all its regions were scanned.
    const rows: (ArtifactRow & VersionRow & { version_id: number })[] =
      await this.db('image_artifacts')
        .join(
          'image_versions',
          'image_versions.id',
          'image_artifacts.version_id',
        )
        .whereIn(
          'image_artifacts.version_id',
          this.db('image_artifacts')
            .whereIn('region', options.regions)
            .select('version_id'),
        )
        .whereNot('image_versions.state', 'pruned')
        .select(
          'image_artifacts.version_id',
          'image_artifacts.image_id',
          'image_artifacts.region',
          'image_versions.family',
          'image_versions.version',
          'image_versions.missing_since',
        );
    const scanned = new Set(options.regions);
    const byVersion = new Map<string, typeof rows>();
    for (const row of rows) {
      const key = String(row.version_id);
      byVersion.set(key, [...(byVersion.get(key) ?? []), row]);
    }
    const newlyMissing: (typeof rows)[number][] = [];
    const returned: string[] = [];
    for (const [versionId, artifacts] of byVersion) {
      const missing = artifacts.some(
        a => scanned.has(a.region) && !options.present.has(a.image_id),
      );
      const allSeen = artifacts.every(
        a => scanned.has(a.region) && options.present.has(a.image_id),
      );
      const marked = artifacts[0].missing_since !== null;
      if (missing && !marked) {
        newlyMissing.push(artifacts[0]);
      } else if (allSeen && marked) {
        returned.push(versionId);
      }
    }
    if (newlyMissing.length === 0 && returned.length === 0) {
      return [];
    }
    await writeTransaction(this.db, async trx => {
      if (returned.length > 0) {
        await trx('image_versions')
          .whereIn('id', returned)
          .update({ missing_since: null });
      }
      const audit: AuditEventInput[] = [];
      for (const row of newlyMissing) {
        await trx('image_versions')
          .where({ id: row.version_id })
          .update({ missing_since: trx.fn.now() });
        audit.push({
          actor: options.actor,
          action: 'image.missing',
          subject: versionRef(row),
          payload: {
            imageIds: byVersion
              .get(String(row.version_id))!
              .map(a => a.image_id)
              .filter(id => !options.present.has(id)),
          },
        });
      }
      return { result: undefined, readModelChanged: true, audit };
    });
    return newlyMissing.map(versionRef);
  }
}

/** Ids of every version built on this one, directly or not. */
async function descendantIds(
  db: Knex,
  rootId: number | string,
): Promise<string[]> {
  const seen = new Set([String(rootId)]);
  let frontier = [rootId];
  while (frontier.length > 0) {
    const children: { id: number | string }[] = await db('image_versions')
      .whereIn('parent_version_id', frontier)
      .select('id');
    frontier = children.map(c => c.id).filter(c => !seen.has(String(c)));
    frontier.forEach(c => seen.add(String(c)));
  }
  seen.delete(String(rootId));
  return [...seen];
}
