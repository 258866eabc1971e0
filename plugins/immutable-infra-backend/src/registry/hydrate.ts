import {
  ImageVersion,
  LATEST_CHANNEL,
} from '@immutable-infra/backstage-plugin-common';
import { Knex } from 'knex';
import { optionalIso, toIso } from '../database/timestamps';
import { AncestryFacts, ancestryOf } from './ancestry';
import { latestVersionOf } from './latest';
import { ArtifactRow, ChannelRow, VersionRow, versionRef } from './rows';

function facts(
  row: Pick<VersionRow, 'family' | 'version' | 'state' | 'created_at'>,
): AncestryFacts {
  return {
    id: versionRef(row),
    family: row.family,
    version: Number(row.version),
    state: row.state,
    builtAt: Date.parse(toIso(row.created_at)),
  };
}

/**
 * The latest version of each of these families, by family.
 *
 * @internal
 */
export async function latestOfFamilies(
  db: Knex,
  families: string[],
): Promise<Map<string, AncestryFacts>> {
  const rows: (VersionRow | undefined)[] = await Promise.all(
    families.map(family => latestVersionOf(db, family)),
  );
  return new Map(
    rows
      .filter((row): row is VersionRow => row !== undefined)
      .map(row => [row.family, facts(row)]),
  );
}

/**
 * Turns version rows into API objects with their artifacts, channels and
 * ancestry, in a fixed number of queries whatever the number of rows.
 *
 * @internal
 */
export async function hydrateVersions(
  db: Knex,
  rows: VersionRow[],
): Promise<ImageVersion[]> {
  if (rows.length === 0) {
    return [];
  }
  const ids = rows.map(r => r.id);
  const parentIds = [
    ...new Set(
      rows.flatMap(r =>
        r.parent_version_id === null ? [] : [String(r.parent_version_id)],
      ),
    ),
  ];
  // Independent reads, issued together.
  const [artifacts, channels, parents] = await Promise.all([
    db<ArtifactRow>('image_artifacts')
      .whereIn('version_id', ids)
      .orderBy('region'),
    db<ChannelRow>('channels')
      .whereIn('version_id', ids)
      .select('name', 'version_id'),
    parentIds.length
      ? db<VersionRow>('image_versions')
          .whereIn('id', parentIds)
          .select('id', 'family', 'version', 'state', 'created_at')
      : Promise.resolve([] as VersionRow[]),
  ]);
  const latest = await latestOfFamilies(db, [
    ...new Set([...rows, ...parents].map(r => r.family)),
  ]);
  const parentById = new Map(parents.map(p => [String(p.id), p]));

  return rows.map(row => {
    const channelNames = channels
      .filter(c => String(c.version_id) === String(row.id))
      .map(c => c.name)
      .sort();
    if (latest.get(row.family)?.version === Number(row.version)) {
      channelNames.unshift(LATEST_CHANNEL);
    }
    const parent =
      row.parent_version_id === null
        ? undefined
        : parentById.get(String(row.parent_version_id));
    return {
      id: versionRef(row),
      family: row.family,
      version: row.version,
      fingerprint: row.fingerprint,
      digest: row.digest,
      gitRepo: row.git_repo ?? undefined,
      gitCommit: row.git_commit ?? undefined,
      buildUrl: row.build_url ?? undefined,
      packerRunUuid: row.packer_run_uuid ?? undefined,
      parent: row.parent ?? undefined,
      parentVersion: parent ? versionRef(parent) : undefined,
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
      ancestry: ancestryOf({
        parent: row.parent ?? undefined,
        parentVersion: parent ? facts(parent) : undefined,
        newest: parent ? latest.get(parent.family) : undefined,
      }),
    };
  });
}
