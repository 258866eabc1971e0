import { parseEntityRef } from '@backstage/catalog-model';
import {
  Channel,
  ImageFamily,
  LATEST_CHANNEL,
  ParsedAnnotations,
  parseImmutableInfraAnnotations,
} from '@immutable-infra/backstage-plugin-common';
import { Knex } from 'knex';
import { SnapshotRow } from '../catalog/EntitySnapshotStore';
import { optionalIso, Timestamp, toIso } from '../database/timestamps';
import { ChannelVersionFacts, VersionFacts } from '../drift/types';
import { latestVersionIds } from '../registry/latest';
import { FamilyRow, toFamily } from '../registry/rows';

/** An enrolled entity as last read from the catalog. @internal */
export type EntitySnapshot = {
  entityRef: string;
  /** Its annotations under `immutable-infra.io/`. */
  annotations: Record<string, string>;
  /** The same, parsed. */
  parsed: ParsedAnnotations;
  owner?: string;
  /** When this copy was last written. */
  refreshedAt: string;
};

/**
 * A snapshot row with its annotations parsed.
 *
 * @internal
 */
export function parseSnapshot(row: SnapshotRow): EntitySnapshot {
  const { kind, namespace } = parseEntityRef(row.entity_ref);
  const annotations: Record<string, string> = JSON.parse(row.annotations);
  return {
    entityRef: row.entity_ref,
    annotations,
    parsed: parseImmutableInfraAnnotations({
      apiVersion: 'backstage.io/v1alpha1',
      kind,
      // The default fleet selector is the name as written.
      metadata: { name: row.name, namespace, annotations },
    }),
    owner: row.owner ?? undefined,
    refreshedAt: toIso(row.refreshed_at),
  };
}

/** Versions of AMIs remembered per view before it starts over. */
const MAX_REMEMBERED_IMAGES = 100_000;

/** Columns of `image_versions as v` that make {@link VersionFacts}. */
export const VERSION_COLUMNS = {
  v_family: 'v.family',
  v_version: 'v.version',
  v_state: 'v.state',
  v_git_commit: 'v.git_commit',
  v_revoked_at: 'v.revoked_at',
  v_revoke_reason: 'v.revoke_reason',
  v_created_at: 'v.created_at',
};

type VersionColumns = {
  v_family: string;
  v_version: number;
  v_state: VersionFacts['state'];
  v_git_commit: string | null;
  v_revoked_at: Timestamp | null;
  v_revoke_reason: string | null;
  v_created_at: Timestamp;
};

type ArtifactColumns = { a_region: string | null; a_image_id: string | null };

function toFacts(row: VersionColumns): VersionFacts {
  return {
    id: `${row.v_family}@${row.v_version}`,
    family: row.v_family,
    version: Number(row.v_version),
    state: row.v_state,
    gitCommit: row.v_git_commit ?? undefined,
    revokedAt: optionalIso(row.v_revoked_at),
    revokeReason: row.v_revoke_reason ?? undefined,
    createdAt: toIso(row.v_created_at),
  };
}

/** Adds a version row (one per artifact) to `into`; returns its ref. */
function collect(
  into: Map<string, ChannelVersionFacts>,
  row: VersionColumns & ArtifactColumns,
): string {
  const facts = toFacts(row);
  const version = into.get(facts.id) ?? { ...facts, artifacts: [] };
  if (
    row.a_image_id &&
    row.a_region &&
    !version.artifacts.some(a => a.imageId === row.a_image_id)
  ) {
    version.artifacts.push({ region: row.a_region, imageId: row.a_image_id });
  }
  into.set(facts.id, version);
  return facts.id;
}

/**
 * The read model as of one generation: the snapshot of every enrolled
 * entity, every family with its channels and the versions they point at,
 * and the versions of the AMIs asked about so far.
 *
 * @internal
 */
export class ReadModelView {
  private readonly byImage = new Map<string, VersionFacts | null>();
  private readonly parsedSnapshots = new Map<string, EntitySnapshot>();

  constructor(
    readonly generation: number,
    private readonly db: Knex,
    private readonly snapshots: Map<string, SnapshotRow>,
    private readonly families: Map<string, ImageFamily[]>,
    private readonly channels: Map<string, Channel[]>,
    private readonly channelVersions: Map<string, ChannelVersionFacts>,
  ) {}

  /** An enrolled entity's snapshot, with its annotations parsed. */
  snapshotOf(entityRef: string): EntitySnapshot | undefined {
    const known = this.parsedSnapshots.get(entityRef);
    if (known) {
      return known;
    }
    const row = this.snapshots.get(entityRef);
    if (!row) {
      return undefined;
    }
    const snapshot = parseSnapshot(row);
    this.parsedSnapshots.set(entityRef, snapshot);
    return snapshot;
  }

  /** The families registered to an entity (normally one). */
  familiesOf(entityRef: string): ImageFamily[] {
    return this.families.get(entityRef) ?? [];
  }

  /** A family's channels, `latest` first, then by name. */
  channelsOf(family: string): Channel[] {
    return (
      this.channels.get(family) ?? [
        { name: LATEST_CHANNEL, managed: true, version: undefined },
      ]
    );
  }

  /** A version a channel points at, with its AMIs. */
  channelVersion(ref: string): ChannelVersionFacts | undefined {
    return this.channelVersions.get(ref);
  }

  /** The registered version of each AMI these instances run, by AMI id. */
  async versionsOf(
    instances: { region: string; imageId?: string }[],
  ): Promise<Map<string, VersionFacts>> {
    const key = (region: string, imageId: string) => `${region}/${imageId}`;
    const unknown = new Map<string, [string, string]>();
    for (const { region, imageId } of instances) {
      if (imageId && !this.byImage.has(key(region, imageId))) {
        unknown.set(key(region, imageId), [region, imageId]);
      }
    }
    if (unknown.size > 0) {
      if (this.byImage.size + unknown.size > MAX_REMEMBERED_IMAGES) {
        this.byImage.clear();
      }
      const pairs = [...unknown.values()];
      for (let i = 0; i < pairs.length; i += 500) {
        const rows: (VersionColumns & ArtifactColumns)[] = await this.db(
          'image_artifacts as a',
        )
          .join('image_versions as v', 'v.id', 'a.version_id')
          .whereIn(['a.region', 'a.image_id'], pairs.slice(i, i + 500))
          .select(
            { a_region: 'a.region', a_image_id: 'a.image_id' },
            VERSION_COLUMNS,
          );
        for (const row of rows) {
          this.byImage.set(key(row.a_region!, row.a_image_id!), toFacts(row));
        }
      }
      for (const k of unknown.keys()) {
        if (!this.byImage.has(k)) {
          this.byImage.set(k, null);
        }
      }
    }
    const result = new Map<string, VersionFacts>();
    for (const { region, imageId } of instances) {
      const facts = imageId ? this.byImage.get(key(region, imageId)) : null;
      if (imageId && facts) {
        result.set(imageId, facts);
      }
    }
    return result;
  }
}

/**
 * Keeps the registry view of the newest generation seen in memory. A page
 * read brings the generation it read with its entity row; a view of another
 * generation is loaded once (concurrent readers share the load), so the
 * registry is read again only after it changed.
 *
 * @internal
 */
export class ReadModelViews {
  private current?: ReadModelView;
  private readonly loading = new Map<number, Promise<ReadModelView>>();

  constructor(private readonly db: Knex) {}

  async at(generation: number): Promise<ReadModelView> {
    if (this.current?.generation === generation) {
      return this.current;
    }
    let pending = this.loading.get(generation);
    if (!pending) {
      pending = this.load(generation).finally(() =>
        this.loading.delete(generation),
      );
      this.loading.set(generation, pending);
    }
    const view = await pending;
    if (!this.current || view.generation > this.current.generation) {
      this.current = view;
    }
    return view;
  }

  /**
   * Loads snapshots, families and channels; read after `generation` was, so
   * never older than it.
   */
  private async load(generation: number): Promise<ReadModelView> {
    const db = this.db;
    const [snapshotRows, familyRows, latestRows, channelRows] =
      await Promise.all([
        db<SnapshotRow>('entity_snapshots'),
        db<FamilyRow>('image_families').orderBy('name'),
        db('image_versions as v')
          .join(latestVersionIds(db).as('latest'), 'latest.id', 'v.id')
          .leftJoin('image_artifacts as a', 'a.version_id', 'v.id')
          .orderBy([{ column: 'v.family' }, { column: 'a.region' }])
          .select(
            { a_region: 'a.region', a_image_id: 'a.image_id' },
            VERSION_COLUMNS,
          ) as Promise<(VersionColumns & ArtifactColumns)[]>,
        db('channels as c')
          .join('image_versions as v', 'v.id', 'c.version_id')
          .leftJoin('image_artifacts as a', 'a.version_id', 'v.id')
          .orderBy([
            { column: 'c.family' },
            { column: 'c.name' },
            { column: 'a.region' },
          ])
          .select(
            {
              c_family: 'c.family',
              c_name: 'c.name',
              c_updated_at: 'c.updated_at',
              c_updated_by: 'c.updated_by',
              a_region: 'a.region',
              a_image_id: 'a.image_id',
            },
            VERSION_COLUMNS,
          ) as Promise<
          (VersionColumns &
            ArtifactColumns & {
              c_family: string;
              c_name: string;
              c_updated_at: Timestamp;
              c_updated_by: string;
            })[]
        >,
      ]);
    const versions = new Map<string, ChannelVersionFacts>();
    const channels = new Map<string, Channel[]>();
    for (const row of latestRows) {
      const id = collect(versions, row);
      if (!channels.has(row.v_family)) {
        channels.set(row.v_family, [
          { name: LATEST_CHANNEL, managed: true, version: id },
        ]);
      }
    }
    for (const row of channelRows) {
      const id = collect(versions, row);
      const list = channels.get(row.c_family) ?? [
        { name: LATEST_CHANNEL, managed: true, version: undefined },
      ];
      if (!list.some(c => c.name === row.c_name)) {
        list.push({
          name: row.c_name,
          managed: false,
          version: id,
          updatedAt: toIso(row.c_updated_at),
          updatedBy: row.c_updated_by,
        });
      }
      channels.set(row.c_family, list);
    }
    const families = new Map<string, ImageFamily[]>();
    for (const row of familyRows) {
      families.set(row.entity_ref, [
        ...(families.get(row.entity_ref) ?? []),
        toFamily(row),
      ]);
    }
    return new ReadModelView(
      generation,
      db,
      new Map(snapshotRows.map(row => [row.entity_ref, row])),
      families,
      channels,
      versions,
    );
  }
}
