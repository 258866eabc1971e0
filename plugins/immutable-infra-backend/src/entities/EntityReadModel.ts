import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  AuditEventPage,
  Channel,
  ImageFamily,
  ParsedAnnotations,
} from '@immutable-infra/backstage-plugin-common';
import { Knex } from 'knex';
import {
  ChannelVersionFacts,
  InstanceRecord,
  VersionFacts,
} from '../drift/types';
import { readInstanceRecords, SyncRow } from '../fleet/DatabaseFleetStore';
import { Inventory } from '../fleet/FleetStore';
import { bumpReadModelGeneration } from '../database/readModelGeneration';
import { ReadModelViews, SnapshotRow } from './ReadModelViews';
import { optionalIso, Timestamp, toIso } from '../database/timestamps';

const ANNOTATION_PREFIX = 'immutable-infra.io/';

/** Stands for the entity ref in the compiled page query. */
const ENTITY_REF = '\u0000entity-ref';

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

/** Everything an entity's fleet pages need, read in one query. @internal */
export type EntityFleetData = {
  snapshot: EntitySnapshot;
  /** Families registered to the entity (normally one). */
  families: ImageFamily[];
  inventory: Inventory;
  /** Registered versions of the AMIs the fleet runs, by AMI id. */
  versionsByImage: Map<string, VersionFacts>;
  /** Channels of each of the entity's families, `latest` first. */
  channels: Map<string, Channel[]>;
  /** The versions those channels point at: `<family>@<n>` → version. */
  channelVersions: Map<string, ChannelVersionFacts>;
};

type AuditRow = {
  id: number | string;
  actor: string;
  action: string;
  entity_ref: string | null;
  subject: string | null;
  payload: string | null;
  at: Timestamp;
};

type SyncColumns = Omit<SyncRow, 'entity_ref'> & {
  generation: number | string;
};

/** Whether a stored snapshot says what a new one says. */
function sameSnapshot(
  a: Pick<SnapshotRow, 'name' | 'annotations' | 'owner'>,
  b: SnapshotRow,
): boolean {
  return (
    a.name === b.name && a.annotations === b.annotations && a.owner === b.owner
  );
}

/** The snapshot row of an entity read from the catalog. */
function snapshotRow(entity: Entity, now: string): SnapshotRow {
  const annotations = Object.fromEntries(
    Object.entries(entity.metadata.annotations ?? {}).filter(([key]) =>
      key.startsWith(ANNOTATION_PREFIX),
    ),
  );
  const owner = (entity.spec as { owner?: unknown } | undefined)?.owner;
  return {
    entity_ref: stringifyEntityRef(entity),
    name: entity.metadata.name,
    annotations: JSON.stringify(annotations),
    owner: typeof owner === 'string' ? owner : null,
    refreshed_at: now,
  };
}

/**
 * The read side of entity pages. It keeps a copy of each enrolled entity's
 * annotations (refreshed from the catalog), and answers an entity page with
 * one query: the entity's last sync with its instances as one document, and
 * the generation of the read model. Snapshots, families, channels and the
 * versions of running AMIs are kept in memory for that generation, and read
 * again only when a change bumped it, so a revocation or a channel move
 * shows on the very next read, from any backend instance.
 *
 * @internal
 */
export class EntityReadModel {
  static create(options: { knex: Knex }): EntityReadModel {
    return new EntityReadModel(options.knex);
  }

  private readonly views: ReadModelViews;

  /**
   * The one query of a page read, compiled once: building it each time
   * cost about a quarter of the query's own time.
   */
  private readonly syncQuery: { sql: string; bindings: readonly Knex.Value[] };

  private constructor(private readonly db: Knex) {
    this.views = new ReadModelViews(db);
    const compiled = db('entity_sync_state')
      .where({ entity_ref: ENTITY_REF })
      .select(
        'status',
        'last_attempt_at',
        'last_success_at',
        'error',
        'launch_templates',
        'instances',
        db('read_model_state')
          .select('generation')
          .where({ id: 1 })
          .as('generation'),
      )
      .toSQL();
    this.syncQuery = { sql: compiled.sql, bindings: compiled.bindings };
  }

  /** The read model's generation now. */
  private async generation(): Promise<number> {
    const row = await this.db('read_model_state')
      .where({ id: 1 })
      .first('generation');
    return Number(row.generation);
  }

  /** Records (or updates) the snapshot of one enrolled entity. */
  async putSnapshot(entity: Entity): Promise<void> {
    const row = snapshotRow(entity, new Date().toISOString());
    await this.db.transaction(async trx => {
      const existing = await trx<SnapshotRow>('entity_snapshots')
        .where({ entity_ref: row.entity_ref })
        .first();
      if (existing && sameSnapshot(existing, row)) {
        // Unchanged: every backend instance keeps its view.
        return;
      }
      await trx('entity_snapshots')
        .insert(row)
        .onConflict('entity_ref')
        .merge();
      await bumpReadModelGeneration(trx);
    });
  }

  /**
   * Replaces every snapshot with the enrolled entities the catalog lists
   * now: changed ones are written, those no longer listed are removed.
   */
  async replaceSnapshots(
    entities: Entity[],
  ): Promise<{ written: number; removed: number }> {
    const now = new Date().toISOString();
    const rows = new Map(
      entities.map(e => {
        const row = snapshotRow(e, now);
        return [row.entity_ref, row];
      }),
    );
    return this.db.transaction(async trx => {
      const existing = await trx<SnapshotRow>('entity_snapshots').select(
        'entity_ref',
        'name',
        'annotations',
        'owner',
      );
      const gone = existing
        .filter(e => !rows.has(e.entity_ref))
        .map(e => e.entity_ref);
      const unchanged = new Set(
        existing
          .filter(e => {
            const row = rows.get(e.entity_ref);
            return row && sameSnapshot(e, row);
          })
          .map(e => e.entity_ref),
      );
      const changed = [...rows.values()].filter(
        r => !unchanged.has(r.entity_ref),
      );
      for (let i = 0; i < gone.length; i += 500) {
        await trx('entity_snapshots')
          .whereIn('entity_ref', gone.slice(i, i + 500))
          .delete();
      }
      for (let i = 0; i < changed.length; i += 500) {
        await trx('entity_snapshots')
          .insert(changed.slice(i, i + 500))
          .onConflict('entity_ref')
          .merge();
      }
      if (gone.length > 0 || changed.length > 0) {
        await bumpReadModelGeneration(trx);
      }
      return { written: changed.length, removed: gone.length };
    });
  }

  /**
   * Everything the entity's pages need; undefined when it has no snapshot.
   */
  async load(entityRef: string): Promise<EntityFleetData | undefined> {
    const result = await this.db.raw(
      this.syncQuery.sql,
      this.syncQuery.bindings.map(b => (b === ENTITY_REF ? entityRef : b)),
    );
    // PostgreSQL answers { rows }, SQLite the rows.
    const sync: SyncColumns | undefined = (result.rows ?? result)[0];
    const view = await this.views.at(
      sync ? Number(sync.generation) : await this.generation(),
    );
    const snapshot = view.snapshotOf(entityRef);
    if (!snapshot) {
      return undefined;
    }

    let instances: InstanceRecord[] = [];
    if (sync?.instances) {
      instances = JSON.parse(sync.instances);
    } else if (sync) {
      // Synced before instance documents were kept: read the rows.
      instances = await readInstanceRecords(this.db, entityRef);
    }

    const families = view.familiesOf(entityRef);
    const channels = new Map(
      families.map(f => [f.name, view.channelsOf(f.name)]),
    );
    const channelVersions = new Map<string, ChannelVersionFacts>();
    for (const list of channels.values()) {
      for (const channel of list) {
        const version = channel.version
          ? view.channelVersion(channel.version)
          : undefined;
        if (version) {
          channelVersions.set(version.id, version);
        }
      }
    }

    return {
      snapshot,
      families,
      inventory: {
        instances,
        launchTemplates: sync?.launch_templates
          ? JSON.parse(sync.launch_templates)
          : [],
        sync: sync
          ? {
              entityRef,
              status: sync.status,
              lastAttemptAt: optionalIso(sync.last_attempt_at)!,
              lastSuccessAt: optionalIso(sync.last_success_at),
              error: sync.error ?? undefined,
            }
          : undefined,
      },
      versionsByImage: await view.versionsOf(instances),
      channels,
      channelVersions,
    };
  }

  /** The snapshots of those entities the plugin has a copy of. */
  async getSnapshots(
    entityRefs: string[],
  ): Promise<Map<string, EntitySnapshot>> {
    const result = new Map<string, EntitySnapshot>();
    if (entityRefs.length === 0) {
      return result;
    }
    const view = await this.views.at(await this.generation());
    for (const entityRef of entityRefs) {
      const snapshot = view.snapshotOf(entityRef);
      if (snapshot) {
        result.set(entityRef, snapshot);
      }
    }
    return result;
  }

  /** The entity's audit log, newest first, paged by event id. */
  async listAuditEvents(options: {
    entityRef: string;
    cursor?: string;
    limit: number;
  }): Promise<AuditEventPage> {
    const query = this.db<AuditRow>('audit_events')
      .where({ entity_ref: options.entityRef })
      .orderBy('id', 'desc')
      .limit(options.limit + 1);
    if (options.cursor !== undefined) {
      query.where('id', '<', options.cursor);
    }
    const rows = await query;
    const items = rows.slice(0, options.limit).map(row => ({
      id: String(row.id),
      actor: row.actor,
      action: row.action,
      entityRef: row.entity_ref ?? undefined,
      subject: row.subject ?? undefined,
      payload: row.payload ? JSON.parse(row.payload) : undefined,
      at: toIso(row.at),
    }));
    return {
      items,
      nextCursor:
        rows.length > options.limit ? items[items.length - 1].id : undefined,
    };
  }
}
