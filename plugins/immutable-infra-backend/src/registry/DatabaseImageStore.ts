import {
  AMI_ID_PATTERN,
  Channel,
  ChannelAssignment,
  IMAGE_VERSION_REF_PATTERN,
  ImageFamily,
  ImageVersion,
  LATEST_CHANNEL,
} from '@immutable-infra/backstage-plugin-common';
import { Knex } from 'knex';
import { writeAuditEvent } from '../audit/AuditLog';
import { bumpReadModelGeneration } from '../database/readModelGeneration';
import {
  ChannelChange,
  EnrollResult,
  ImageStore,
  Page,
  RegisterResult,
  VersionLookup,
} from './ImageStore';
import {
  isPostgres,
  optionalIso,
  retryOnUniqueViolation,
  Timestamp,
  toIso,
} from '../database/timestamps';
import { ImageBuild } from './manifest';

/** @internal */
export type FamilyRow = {
  name: string;
  entity_ref: string;
  created_at: Timestamp;
  last_version: number;
};

type VersionRow = {
  id: number | string;
  family: string;
  version: number;
  fingerprint: string;
  digest: string;
  git_repo: string | null;
  git_commit: string | null;
  build_url: string | null;
  packer_run_uuid: string | null;
  parent: string | null;
  parent_version_id: number | string | null;
  source: 'registered' | 'discovered';
  state: ImageVersion['state'];
  revoked_at: Timestamp | null;
  revoke_reason: string | null;
  revoked_by: string | null;
  missing_since: Timestamp | null;
  created_at: Timestamp;
};

type ArtifactRow = {
  version_id: number | string;
  provider: string;
  account: string | null;
  region: string;
  image_id: string;
};

type ChannelRow = {
  family: string;
  name: string;
  version_id: number | string;
  updated_at: Timestamp;
  updated_by: string;
};

type AssignmentRow = {
  id: number | string;
  family: string;
  channel: string;
  from_version_id: number | string | null;
  to_version_id: number | string;
  actor: string;
  kind: 'assign' | 'rollback';
  reason: string | null;
  at: Timestamp;
};

const USABLE_STATES = ['active', 'deprecated'];

/** A family's `latest` version and when it was built. */
type Newest = { version: number; builtAt: number };

/** Built later, or at the same time with a higher number. */
function isNewer(a: Newest, b: Newest): boolean {
  return (
    a.builtAt > b.builtAt || (a.builtAt === b.builtAt && a.version > b.version)
  );
}

/** @internal */
export function toFamily(row: FamilyRow): ImageFamily {
  return {
    name: row.name,
    entityRef: row.entity_ref,
    createdAt: toIso(row.created_at),
  };
}

function ref(row: { family: string; version: number }) {
  return `${row.family}@${row.version}`;
}

function parseCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined) {
    return undefined;
  }
  return /^\d+$/.test(cursor) ? Number(cursor) : 0;
}

/**
 * Knex implementation of {@link ImageStore} for PostgreSQL and SQLite.
 *
 * @internal
 */
export class DatabaseImageStore implements ImageStore {
  static create(options: { knex: Knex }): DatabaseImageStore {
    return new DatabaseImageStore(options.knex);
  }

  private constructor(private readonly db: Knex) {}

  async getFamily(name: string): Promise<ImageFamily | undefined> {
    const row = await this.db<FamilyRow>('image_families')
      .where({ name })
      .first();
    return row ? toFamily(row) : undefined;
  }

  async listFamilies(): Promise<ImageFamily[]> {
    const rows = await this.db<FamilyRow>('image_families').orderBy('name');
    return rows.map(toFamily);
  }

  async markPruned(options: {
    version: ImageVersion;
    actor: string;
    deleted: { region: string; imageId: string; deletedSnapshots: string[] }[];
    complete: boolean;
    errors: string[];
  }): Promise<void> {
    await this.db.transaction(async trx => {
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
      await writeAuditEvent(trx, {
        actor: options.actor,
        action: options.complete ? 'image.prune' : 'image.prune.partial',
        entityRef: family?.entity_ref,
        subject: options.version.id,
        payload: { deleted: options.deleted, errors: options.errors },
      });
      if (options.complete) {
        await bumpReadModelGeneration(trx);
      }
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
    await this.db.transaction(async trx => {
      if (returned.length > 0) {
        await trx('image_versions')
          .whereIn('id', returned)
          .update({ missing_since: null });
      }
      for (const row of newlyMissing) {
        await trx('image_versions')
          .where({ id: row.version_id })
          .update({ missing_since: trx.fn.now() });
        await writeAuditEvent(trx, {
          actor: options.actor,
          action: 'image.missing',
          subject: ref(row),
          payload: {
            imageIds: byVersion
              .get(String(row.version_id))!
              .map(a => a.image_id)
              .filter(id => !options.present.has(id)),
          },
        });
      }
      await bumpReadModelGeneration(trx);
    });
    return newlyMissing.map(ref);
  }

  async enrollFamily(options: {
    name: string;
    entityRef: string;
    actor: string;
  }): Promise<EnrollResult> {
    return this.db.transaction(async trx => {
      const inserted = await trx('image_families')
        .insert({
          name: options.name,
          entity_ref: options.entityRef,
          created_at: trx.fn.now(),
        })
        .onConflict('name')
        .ignore()
        .returning('name');
      const row = await trx<FamilyRow>('image_families')
        .where({ name: options.name })
        .first();
      const family = toFamily(row!);
      if (inserted.length === 0) {
        return {
          outcome:
            family.entityRef === options.entityRef ? 'existing' : 'taken',
          family,
        };
      }
      await writeAuditEvent(trx, {
        actor: options.actor,
        action: 'family.enroll',
        entityRef: options.entityRef,
        subject: options.name,
        payload: { family: options.name },
      });
      await bumpReadModelGeneration(trx);
      return { outcome: 'created', family };
    });
  }

  async registerVersion(options: {
    build: ImageBuild;
    digest: string;
    source: 'registered' | 'discovered';
    actor: string;
  }): Promise<RegisterResult> {
    const { build, digest } = options;
    const id = await retryOnUniqueViolation(() =>
      this.db.transaction(async trx => {
        // Registrations of one family are serialised on its row, so numbers
        // are handed out without gaps or duplicates.
        const familyQuery = trx<FamilyRow>('image_families').where({
          name: build.family,
        });
        if (isPostgres(trx)) {
          familyQuery.forUpdate();
        }
        const family = await familyQuery.first();
        if (!family) {
          return { outcome: 'unknown-family' as const };
        }
        const existing = await trx<VersionRow>('image_versions')
          .where({ family: build.family, digest })
          .first();
        if (existing) {
          return { outcome: 'existing' as const, id: existing.id };
        }
        const taken = await trx('image_artifacts')
          .join(
            'image_versions',
            'image_versions.id',
            'image_artifacts.version_id',
          )
          .whereIn(
            ['image_artifacts.region', 'image_artifacts.image_id'],
            build.artifacts.map(a => [a.region, a.imageId]),
          )
          .select(
            'image_artifacts.image_id',
            'image_versions.family',
            'image_versions.version',
          )
          .first();
        if (taken) {
          const adopted = await this.adoptDiscovered(trx, options, family);
          if (adopted) {
            await bumpReadModelGeneration(trx);
            return { outcome: 'existing' as const, id: adopted };
          }
          return {
            outcome: 'artifact-taken' as const,
            imageId: taken.image_id as string,
            version: ref(taken),
          };
        }
        const parentVersionId = build.parent
          ? await this.resolveParent(trx, build.parent)
          : undefined;
        const version = family.last_version + 1;
        await trx('image_families')
          .where({ name: build.family })
          .update({ last_version: version });
        const [inserted] = await trx('image_versions')
          .insert({
            family: build.family,
            version,
            fingerprint: build.gitCommit?.toLowerCase() ?? digest,
            digest,
            git_repo: build.gitRepo ?? null,
            git_commit: build.gitCommit?.toLowerCase() ?? null,
            build_url: build.buildUrl ?? null,
            packer_run_uuid: build.packerRunUuid ?? null,
            parent: build.parent ?? null,
            parent_version_id: parentVersionId ?? null,
            source: options.source,
            state: 'active',
            // Always ISO 8601: SQLite compares timestamps as text, and
            // latest is the version built last.
            created_at: (build.builtAt ?? new Date()).toISOString(),
          })
          .returning('id');
        const versionId = typeof inserted === 'object' ? inserted.id : inserted;
        await trx('image_artifacts').insert(
          build.artifacts.map(a => ({
            version_id: versionId,
            provider: 'aws',
            account: a.account ?? null,
            region: a.region,
            image_id: a.imageId,
          })),
        );
        await writeAuditEvent(trx, {
          actor: options.actor,
          action:
            options.source === 'discovered'
              ? 'image.discover'
              : 'image.register',
          entityRef: family.entity_ref,
          subject: ref({ family: build.family, version }),
          payload: {
            digest,
            artifacts: build.artifacts,
            gitCommit: build.gitCommit,
          },
        });
        await bumpReadModelGeneration(trx);
        return { outcome: 'created' as const, id: versionId };
      }),
    );
    if (id.outcome === 'created' || id.outcome === 'existing') {
      const [version] = await this.hydrate([
        (await this.db<VersionRow>('image_versions')
          .where({ id: id.id })
          .first())!,
      ]);
      return { outcome: id.outcome, version };
    }
    return id;
  }

  /**
   * Discovery may find a pipeline's tagged AMIs before the pipeline
   * registers them. When a registration names exactly the AMIs of one
   * discovered version of the same family, that version is adopted: it takes
   * the registration's commit, build and digest, and keeps its number.
   */
  private async adoptDiscovered(
    trx: Knex.Transaction,
    options: {
      build: ImageBuild;
      digest: string;
      source: string;
      actor: string;
    },
    family: FamilyRow,
  ): Promise<number | string | undefined> {
    if (options.source !== 'registered') {
      return undefined;
    }
    const { build } = options;
    const artifacts: { version_id: number | string; image_id: string }[] =
      await trx('image_artifacts')
        .whereIn(
          'image_id',
          build.artifacts.map(a => a.imageId),
        )
        .select('version_id', 'image_id');
    const versionIds = [...new Set(artifacts.map(a => String(a.version_id)))];
    if (versionIds.length !== 1) {
      return undefined;
    }
    const version = await trx<VersionRow>('image_versions')
      .where({ id: versionIds[0] })
      .first();
    const all = await trx('image_artifacts')
      .where({ version_id: versionIds[0] })
      .count({ n: '*' });
    if (
      !version ||
      version.family !== build.family ||
      version.source !== 'discovered' ||
      Number(all[0].n) !== build.artifacts.length ||
      artifacts.length !== build.artifacts.length
    ) {
      return undefined;
    }
    await trx('image_versions')
      .where({ id: version.id })
      .update({
        source: 'registered',
        digest: options.digest,
        fingerprint: build.gitCommit?.toLowerCase() ?? options.digest,
        git_commit: build.gitCommit?.toLowerCase() ?? version.git_commit,
        git_repo: build.gitRepo ?? version.git_repo,
        build_url: build.buildUrl ?? version.build_url,
        packer_run_uuid: build.packerRunUuid ?? version.packer_run_uuid,
      });
    await writeAuditEvent(trx, {
      actor: options.actor,
      action: 'image.adopt',
      entityRef: family.entity_ref,
      subject: ref(version),
      payload: { digest: options.digest, gitCommit: build.gitCommit },
    });
    return version.id;
  }

  private async resolveParent(
    trx: Knex,
    parent: string,
  ): Promise<number | string | undefined> {
    if (AMI_ID_PATTERN.test(parent)) {
      const row = await trx('image_artifacts')
        .where({ image_id: parent })
        .first('version_id');
      return row?.version_id;
    }
    const match = IMAGE_VERSION_REF_PATTERN.exec(parent);
    if (match) {
      const row = await trx('image_versions')
        .where({ family: match[1], version: Number(match[2]) })
        .first('id');
      return row?.id;
    }
    return undefined;
  }

  async getVersion(lookup: VersionLookup): Promise<ImageVersion | undefined> {
    const query =
      this.db<VersionRow>('image_versions').select('image_versions.*');
    if ('imageId' in lookup) {
      query
        .join(
          'image_artifacts',
          'image_artifacts.version_id',
          'image_versions.id',
        )
        .where('image_artifacts.image_id', lookup.imageId);
    } else {
      query.where({ family: lookup.family, version: lookup.version });
    }
    const row = await query.first();
    return row ? (await this.hydrate([row]))[0] : undefined;
  }

  async getVersionsByRefs(refs: string[]): Promise<Map<string, ImageVersion>> {
    const pairs = refs
      .map(r => IMAGE_VERSION_REF_PATTERN.exec(r))
      .filter((m): m is RegExpExecArray => Boolean(m))
      .map(m => [m[1], Number(m[2])]);
    if (pairs.length === 0) {
      return new Map();
    }
    const rows = await this.db<VersionRow>('image_versions').whereIn(
      ['family', 'version'],
      pairs,
    );
    const versions = await this.hydrate(rows);
    return new Map(versions.map(v => [v.id, v]));
  }

  async getVersionsByImageIds(
    imageIds: string[],
  ): Promise<Map<string, ImageVersion>> {
    const result = new Map<string, ImageVersion>();
    for (let i = 0; i < imageIds.length; i += 500) {
      const chunk = imageIds.slice(i, i + 500);
      const rows: (VersionRow & { image_id: string })[] = await this.db(
        'image_versions',
      )
        .join(
          'image_artifacts',
          'image_artifacts.version_id',
          'image_versions.id',
        )
        .whereIn('image_artifacts.image_id', chunk)
        .select('image_versions.*', 'image_artifacts.image_id');
      const unique = [...new Map(rows.map(r => [String(r.id), r])).values()];
      const versions = await this.hydrate(unique);
      for (const row of rows) {
        const version = versions.find(v => v.id === ref(row));
        if (version) {
          result.set(row.image_id, version);
        }
      }
    }
    return result;
  }

  async listVersions(options: {
    family: string;
    cursor?: string;
    limit: number;
  }): Promise<Page<ImageVersion>> {
    const before = parseCursor(options.cursor);
    const query = this.db<VersionRow>('image_versions')
      .where({ family: options.family })
      .orderBy('version', 'desc')
      .limit(options.limit + 1);
    if (before !== undefined) {
      query.where('version', '<', before);
    }
    const rows = await query;
    const page = rows.slice(0, options.limit);
    return {
      items: await this.hydrate(page),
      nextCursor:
        rows.length > options.limit
          ? String(page[page.length - 1].version)
          : undefined,
    };
  }

  async setRevoked(options: {
    version: ImageVersion;
    revoked: boolean;
    descendants: boolean;
    families?: string[];
    reason?: string;
    actor: string;
  }): Promise<ImageVersion[]> {
    const changedIds = await this.db.transaction(async trx => {
      const root = await trx<VersionRow>('image_versions')
        .where({
          family: options.version.family,
          version: options.version.version,
        })
        .first();
      const ids = [
        String(root!.id),
        ...(options.descendants ? await this.descendantIds(trx, root!.id) : []),
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
        return [];
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
      for (const row of rows) {
        await writeAuditEvent(trx, {
          actor: options.actor,
          action: options.revoked ? 'image.revoke' : 'image.restore',
          entityRef: owner.get(row.family),
          subject: ref(row),
          payload: {
            reason: options.reason,
            via:
              String(row.id) === String(root!.id)
                ? undefined
                : ref(options.version),
          },
        });
      }
      await bumpReadModelGeneration(trx);
      return rows.map(r => r.id);
    });
    if (changedIds.length === 0) {
      return [];
    }
    const rows = await this.db<VersionRow>('image_versions')
      .whereIn('id', changedIds)
      .orderBy([{ column: 'family' }, { column: 'version', order: 'desc' }]);
    return this.hydrate(rows);
  }

  private async descendantIds(
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

  async descendantFamilies(version: ImageVersion): Promise<string[]> {
    const root = await this.db<VersionRow>('image_versions')
      .where({ family: version.family, version: version.version })
      .first('id');
    if (!root) {
      return [];
    }
    const ids = await this.descendantIds(this.db, root.id);
    if (ids.length === 0) {
      return [];
    }
    const rows = await this.db('image_versions')
      .whereIn('id', ids)
      .distinct('family')
      .orderBy('family');
    return rows.map(r => r.family as string);
  }

  async listChannels(family: string): Promise<Channel[]> {
    const rows = await this.db('channels')
      .join('image_versions', 'image_versions.id', 'channels.version_id')
      .where('channels.family', family)
      .orderBy('channels.name')
      .select(
        'channels.name',
        'channels.updated_at',
        'channels.updated_by',
        'image_versions.version',
      );
    const latest = await this.latestVersion(this.db, family);
    return [
      {
        name: LATEST_CHANNEL,
        managed: true,
        version:
          latest === undefined
            ? undefined
            : ref({ family, version: latest.version }),
      },
      ...rows.map(row => ({
        name: row.name as string,
        managed: false,
        version: ref({ family, version: row.version }),
        updatedAt: toIso(row.updated_at),
        updatedBy: row.updated_by as string,
      })),
    ];
  }

  /**
   * The family's `latest`: its active version built last (by number among
   * those built at the same time). By build time, not number: discovery may
   * number an old AMI after newer registered ones.
   */
  private async latestVersion(
    db: Knex,
    family: string,
  ): Promise<Newest | undefined> {
    const row = await db<VersionRow>('image_versions')
      .where({ family, state: 'active' })
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'version', order: 'desc' },
      ])
      .first('version', 'created_at');
    return row
      ? {
          version: Number(row.version),
          builtAt: Date.parse(toIso(row.created_at)),
        }
      : undefined;
  }

  async assignChannel(options: {
    family: string;
    channel: string;
    version: number;
    actor: string;
    reason?: string;
  }): Promise<ChannelChange> {
    const target = await this.db<VersionRow>('image_versions')
      .where({ family: options.family, version: options.version })
      .first();
    if (!target) {
      return {
        outcome: 'no-target',
        message: `${options.family}@${options.version} is not registered`,
      };
    }
    return this.pointChannel({ ...options, target, kind: 'assign' });
  }

  async rollbackChannel(options: {
    family: string;
    channel: string;
    assignmentId?: string;
    actor: string;
    reason?: string;
  }): Promise<ChannelChange> {
    const history = this.db<AssignmentRow>('channel_assignments')
      .where({ family: options.family, channel: options.channel })
      .orderBy('id', 'desc');
    let assignment: AssignmentRow | undefined;
    if (options.assignmentId) {
      assignment = await history
        .clone()
        .where({ id: options.assignmentId })
        .first();
      if (!assignment) {
        return {
          outcome: 'no-target',
          message: `assignment ${options.assignmentId} is not in the history of channel ${options.channel} of ${options.family}`,
        };
      }
    } else {
      const [current, previous] = await history.clone().limit(2);
      if (!current) {
        return {
          outcome: 'no-target',
          message: `channel ${options.channel} of ${options.family} has never been assigned`,
        };
      }
      if (!previous) {
        return {
          outcome: 'no-target',
          message: `channel ${options.channel} of ${options.family} has no earlier assignment to roll back to`,
        };
      }
      assignment = previous;
    }
    const target = await this.db<VersionRow>('image_versions')
      .where({ id: assignment.to_version_id })
      .first();
    return this.pointChannel({
      family: options.family,
      channel: options.channel,
      actor: options.actor,
      reason: options.reason,
      target: target!,
      kind: 'rollback',
    });
  }

  private async pointChannel(options: {
    family: string;
    channel: string;
    target: VersionRow;
    actor: string;
    reason?: string;
    kind: 'assign' | 'rollback';
  }): Promise<ChannelChange> {
    const { target } = options;
    if (!USABLE_STATES.includes(target.state)) {
      return {
        outcome: 'unusable',
        version: (await this.hydrate([target]))[0],
      };
    }
    const outcome = await retryOnUniqueViolation(() =>
      this.db.transaction(async trx => {
        const currentQuery = trx<ChannelRow>('channels').where({
          family: options.family,
          name: options.channel,
        });
        if (isPostgres(trx)) {
          currentQuery.forUpdate();
        }
        const current = await currentQuery.first();
        // The target may have been revoked or pruned since it was read.
        const targetQuery = trx<VersionRow>('image_versions').where({
          id: target.id,
        });
        if (isPostgres(trx)) {
          targetQuery.forUpdate();
        }
        const fresh = await targetQuery.first();
        if (!fresh || !USABLE_STATES.includes(fresh.state)) {
          return 'unusable' as const;
        }
        if (current && String(current.version_id) === String(target.id)) {
          return 'unchanged' as const;
        }
        const values = {
          version_id: target.id,
          updated_at: trx.fn.now(),
          updated_by: options.actor,
        };
        if (current) {
          await trx('channels')
            .where({ family: options.family, name: options.channel })
            .update(values);
        } else {
          await trx('channels').insert({
            family: options.family,
            name: options.channel,
            ...values,
          });
        }
        await trx('channel_assignments').insert({
          family: options.family,
          channel: options.channel,
          from_version_id: current?.version_id ?? null,
          to_version_id: target.id,
          actor: options.actor,
          kind: options.kind,
          reason: options.reason ?? null,
          at: trx.fn.now(),
        });
        const family = await trx<FamilyRow>('image_families')
          .where({ name: options.family })
          .first();
        await writeAuditEvent(trx, {
          actor: options.actor,
          action:
            options.kind === 'assign' ? 'channel.assign' : 'channel.rollback',
          entityRef: family?.entity_ref,
          subject: `${options.family}/${options.channel}`,
          payload: { to: ref(target), reason: options.reason },
        });
        await bumpReadModelGeneration(trx);
        return 'changed' as const;
      }),
    );
    if (outcome === 'unusable') {
      const [version] = await this.hydrate([
        (await this.db<VersionRow>('image_versions')
          .where({ id: target.id })
          .first())!,
      ]);
      return { outcome, version };
    }
    const channel = (await this.listChannels(options.family)).find(
      c => c.name === options.channel,
    )!;
    return { outcome, channel };
  }

  async listAssignments(options: {
    family: string;
    channel?: string;
    cursor?: string;
    limit: number;
  }): Promise<Page<ChannelAssignment>> {
    const before = parseCursor(options.cursor);
    const query = this.db<AssignmentRow>('channel_assignments')
      .where({ family: options.family })
      .orderBy('id', 'desc')
      .limit(options.limit + 1);
    if (options.channel) {
      query.where({ channel: options.channel });
    }
    if (before !== undefined) {
      query.where('id', '<', before);
    }
    const rows = await query;
    const page = rows.slice(0, options.limit);
    const versionIds = [
      ...new Set(
        page.flatMap(r =>
          r.from_version_id === null
            ? [r.to_version_id]
            : [r.from_version_id, r.to_version_id],
        ),
      ),
    ];
    const versions = await this.db<VersionRow>('image_versions')
      .whereIn('id', versionIds)
      .select('id', 'family', 'version');
    const byId = new Map(versions.map(v => [String(v.id), ref(v)]));
    return {
      items: page.map(row => ({
        id: String(row.id),
        channel: row.channel,
        from:
          row.from_version_id === null
            ? undefined
            : byId.get(String(row.from_version_id)),
        to: byId.get(String(row.to_version_id))!,
        actor: row.actor,
        kind: row.kind,
        reason: row.reason ?? undefined,
        at: toIso(row.at),
      })),
      nextCursor:
        rows.length > options.limit
          ? String(page[page.length - 1].id)
          : undefined,
    };
  }

  /**
   * Turns version rows into API objects with their artifacts, channels and
   * ancestry, in a fixed number of queries whatever the page size.
   */
  private async hydrate(rows: VersionRow[]): Promise<ImageVersion[]> {
    if (rows.length === 0) {
      return [];
    }
    const ids = rows.map(r => r.id);
    const families = [...new Set(rows.map(r => r.family))];
    const parentIds = [
      ...new Set(
        rows.flatMap(r =>
          r.parent_version_id === null ? [] : [String(r.parent_version_id)],
        ),
      ),
    ];
    // Independent reads, issued together.
    const [artifacts, channels, latestVersions, parents] = await Promise.all([
      this.db<ArtifactRow>('image_artifacts')
        .whereIn('version_id', ids)
        .orderBy('region'),
      this.db<ChannelRow>('channels')
        .whereIn('version_id', ids)
        .select('name', 'version_id'),
      Promise.all(families.map(f => this.latestVersion(this.db, f))),
      parentIds.length
        ? this.db<VersionRow>('image_versions')
            .whereIn('id', parentIds)
            .select('id', 'family', 'version', 'state', 'created_at')
        : Promise.resolve([] as VersionRow[]),
    ]);
    const latest = new Map<string, Newest>();
    families.forEach((family, i) => {
      const newest = latestVersions[i];
      if (newest !== undefined) {
        latest.set(family, newest);
      }
    });
    const parentById = new Map(parents.map(p => [String(p.id), p]));
    const newestParent = new Map<string, Newest>();
    for (const family of new Set(parents.map(p => p.family))) {
      const newest =
        latest.get(family) ?? (await this.latestVersion(this.db, family));
      if (newest !== undefined) {
        newestParent.set(family, newest);
      }
    }

    return rows.map(row => {
      const channelNames = channels
        .filter(c => String(c.version_id) === String(row.id))
        .map(c => c.name)
        .sort();
      if (latest.get(row.family)?.version === row.version) {
        channelNames.unshift(LATEST_CHANNEL);
      }
      let ancestry: ImageVersion['ancestry'];
      if (row.parent_version_id !== null) {
        const parent = parentById.get(String(row.parent_version_id))!;
        const newest = newestParent.get(parent.family);
        if (parent.state === 'revoked') {
          ancestry = {
            status: 'out-of-date',
            detail: `its parent ${ref(parent)} is revoked`,
          };
        } else if (
          newest !== undefined &&
          isNewer(newest, {
            version: parent.version,
            builtAt: Date.parse(toIso(parent.created_at)),
          })
        ) {
          ancestry = {
            status: 'out-of-date',
            detail: `built on ${ref(parent)}; ${ref({
              family: parent.family,
              version: newest.version,
            })} is newer`,
          };
        } else {
          ancestry = {
            status: 'up-to-date',
            detail: `built on ${ref(parent)}, the newest ${parent.family}`,
          };
        }
      } else if (row.parent) {
        ancestry = {
          status: 'undetermined',
          detail: `its parent ${row.parent} is not a registered version`,
        };
      }
      const parent =
        row.parent_version_id === null
          ? undefined
          : parentById.get(String(row.parent_version_id));
      return {
        id: ref(row),
        family: row.family,
        version: row.version,
        fingerprint: row.fingerprint,
        digest: row.digest,
        gitRepo: row.git_repo ?? undefined,
        gitCommit: row.git_commit ?? undefined,
        buildUrl: row.build_url ?? undefined,
        packerRunUuid: row.packer_run_uuid ?? undefined,
        parent: row.parent ?? undefined,
        parentVersion: parent ? ref(parent) : undefined,
        source: row.source,
        state: row.state,
        revokedAt: optionalIso(row.revoked_at),
        revokeReason: row.revoke_reason ?? undefined,
        revokedBy: row.revoked_by ?? undefined,
        missingSince: optionalIso(row.missing_since),
        createdAt: toIso(row.created_at),
        artifacts: artifacts
          .filter(a => String(a.version_id) === String(row.id))
          .map(a => ({
            provider: a.provider,
            account: a.account ?? undefined,
            region: a.region,
            imageId: a.image_id,
          })),
        channels: channelNames,
        ancestry,
      };
    });
  }
}
