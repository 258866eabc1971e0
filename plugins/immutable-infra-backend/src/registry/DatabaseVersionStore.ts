import {
  AMI_ID_PATTERN,
  IMAGE_VERSION_REF_PATTERN,
  ImageVersion,
} from '@immutable-infra/backstage-plugin-common';
import { Knex } from 'knex';
import { AuditEventInput } from '../audit/AuditLog';
import { writeTransaction } from '../audit/writeTransaction';
import { isPostgres, retryOnUniqueViolation } from '../database/timestamps';
import { hydrateVersions } from './hydrate';
import { ImageBuild } from './manifest';
import { FamilyRow, Page, parseCursor, VersionRow, versionRef } from './rows';

/**
 * Outcome of registering a version.
 *
 * @internal
 */
export type RegisterResult =
  | { outcome: 'created' | 'existing'; version: ImageVersion }
  | { outcome: 'unknown-family' }
  | { outcome: 'artifact-taken'; imageId: string; version: string };

/** What the registration transaction decided. */
type Registration =
  | { outcome: 'created'; id: number | string }
  | { outcome: 'existing'; id: number | string }
  | Exclude<RegisterResult, { outcome: 'created' | 'existing' }>;

/** A version, by `<family>@<version>` or by one of its AMI ids. @internal */
export type VersionLookup =
  | { family: string; version: number }
  | { imageId: string };

/**
 * Image versions and their AMIs: registration with gap-free numbers, and
 * lookups.
 *
 * @internal
 */
export interface VersionStore {
  /**
   * Registers a version with the next number of its family. The same content
   * (digest) registered again answers the existing version.
   */
  registerVersion(options: {
    build: ImageBuild;
    digest: string;
    source: 'registered' | 'discovered';
    actor: string;
  }): Promise<RegisterResult>;

  getVersion(lookup: VersionLookup): Promise<ImageVersion | undefined>;

  /** Versions by `<family>@<version>` refs, in a few queries. */
  getVersionsByRefs(refs: string[]): Promise<Map<string, ImageVersion>>;

  /** The registered versions of these AMIs, by AMI id, in a few queries. */
  getVersionsByImageIds(imageIds: string[]): Promise<Map<string, ImageVersion>>;

  /** Versions of a family, newest first, paged by version number. */
  listVersions(options: {
    family: string;
    cursor?: string;
    limit: number;
  }): Promise<Page<ImageVersion>>;
}

/**
 * Knex implementation of {@link VersionStore}.
 *
 * @internal
 */
export class DatabaseVersionStore implements VersionStore {
  static create(options: { knex: Knex }): DatabaseVersionStore {
    return new DatabaseVersionStore(options.knex);
  }

  private constructor(private readonly db: Knex) {}

  async registerVersion(options: {
    build: ImageBuild;
    digest: string;
    source: 'registered' | 'discovered';
    actor: string;
  }): Promise<RegisterResult> {
    const { build, digest } = options;
    const id = await retryOnUniqueViolation(() =>
      writeTransaction<Registration>(this.db, async trx => {
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
          return {
            result: { outcome: 'unknown-family' as const },
            readModelChanged: false,
          };
        }
        const existing = await trx<VersionRow>('image_versions')
          .where({ family: build.family, digest })
          .first();
        if (existing) {
          return {
            result: { outcome: 'existing' as const, id: existing.id },
            readModelChanged: false,
          };
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
          const adopted = await this.adoptDiscovered(trx, options);
          if (adopted) {
            return {
              result: { outcome: 'existing' as const, id: adopted.id },
              readModelChanged: true,
              audit: [{ ...adopted.audit, entityRef: family.entity_ref }],
            };
          }
          return {
            result: {
              outcome: 'artifact-taken' as const,
              imageId: taken.image_id as string,
              version: versionRef(taken),
            },
            readModelChanged: false,
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
        return {
          result: { outcome: 'created' as const, id: versionId },
          readModelChanged: true,
          audit: [
            {
              actor: options.actor,
              action:
                options.source === 'discovered'
                  ? 'image.discover'
                  : 'image.register',
              entityRef: family.entity_ref,
              subject: versionRef({ family: build.family, version }),
              payload: {
                digest,
                artifacts: build.artifacts,
                gitCommit: build.gitCommit,
              },
            },
          ],
        };
      }),
    );
    if (id.outcome === 'created' || id.outcome === 'existing') {
      const [version] = await hydrateVersions(this.db, [
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
  ): Promise<{ id: number | string; audit: AuditEventInput } | undefined> {
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
    return {
      id: version.id,
      audit: {
        actor: options.actor,
        action: 'image.adopt',
        subject: versionRef(version),
        payload: { digest: options.digest, gitCommit: build.gitCommit },
      },
    };
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
    return row ? (await hydrateVersions(this.db, [row]))[0] : undefined;
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
    const versions = await hydrateVersions(this.db, rows);
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
      const versions = new Map(
        (await hydrateVersions(this.db, unique)).map(v => [v.id, v]),
      );
      for (const row of rows) {
        const version = versions.get(versionRef(row));
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
      items: await hydrateVersions(this.db, page),
      nextCursor:
        rows.length > options.limit
          ? String(page[page.length - 1].version)
          : undefined,
    };
  }
}
