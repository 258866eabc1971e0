import { Entity } from '@backstage/catalog-model';
import { ImageFamily } from '@immutable-infra/backstage-plugin-common';
import { Knex } from 'knex';
import { snapshotRow } from '../catalog/EntitySnapshotStore';
import { readModelGeneration } from '../database/readModelGeneration';
import { FleetFacts } from '../drift/FleetAnalyzer';
import { ChannelVersionFacts } from '../drift/types';
import { inventoryOf, SyncRow } from '../fleet/DatabaseFleetStore';
import {
  EntitySnapshot,
  parseSnapshot,
  ReadModelViews,
} from './ReadModelViews';

export type { EntitySnapshot } from './ReadModelViews';

/** Stands for the entity ref in the compiled page query. */
const ENTITY_REF = '\u0000entity-ref';

/** Everything an entity's fleet pages need, read in one query. @internal */
export type EntityFleetData = FleetFacts & {
  snapshot: EntitySnapshot;
  /** Families registered to the entity (normally one). */
  families: ImageFamily[];
  /**
   * Which read this is: the read model's generation and the revision of the
   * entity's last sync. Two reads with the same version hold the same data.
   */
  version: string;
};

type SyncColumns = Omit<SyncRow, 'entity_ref'> & {
  generation: number | string;
};

/**
 * The read side of entity pages: one query per page for the entity's last
 * sync (its instances as one document) and the generation of the read
 * model; the plugin's copy of enrolled entities, families, channels and the
 * versions of running AMIs are kept in memory for that generation, and read
 * again only when a write bumped it, so a revocation or a channel move shows
 * on the very next read, from any backend instance. It never writes.
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
  private readonly syncQuery: CompiledQuery;

  /** The same without the documents: what {@link version} reads. */
  private readonly versionQuery: CompiledQuery;

  private constructor(private readonly db: Knex) {
    this.views = new ReadModelViews(db);
    const compile = (columns: string[]): CompiledQuery => {
      const compiled = db('entity_sync_state')
        .where({ entity_ref: ENTITY_REF })
        .select(
          ...columns,
          db('read_model_state')
            .select('generation')
            .where({ id: 1 })
            .as('generation'),
        )
        .toSQL();
      return { sql: compiled.sql, bindings: compiled.bindings };
    };
    this.syncQuery = compile([
      'revision',
      'status',
      'last_attempt_at',
      'last_success_at',
      'error',
      'launch_templates',
      'autoscaling_groups',
      'instances',
    ]);
    this.versionQuery = compile(['revision']);
  }

  private async first<T extends Partial<SyncColumns>>(
    query: CompiledQuery,
    entityRef: string,
  ): Promise<(T & Pick<SyncColumns, 'generation' | 'revision'>) | undefined> {
    const result = await this.db.raw(
      query.sql,
      query.bindings.map(b => (b === ENTITY_REF ? entityRef : b)),
    );
    // PostgreSQL answers { rows }, SQLite the rows.
    return (result.rows ?? result)[0];
  }

  /**
   * The version {@link load} would answer for the entity now, without
   * reading its instances: equal versions hold equal data.
   */
  async version(entityRef: string): Promise<string> {
    const sync = await this.first(this.versionQuery, entityRef);
    return sync ? versionOf(sync) : String(await readModelGeneration(this.db));
  }

  /**
   * Everything the entity's pages need. The entity is the plugin's copy of
   * it, or, for one enrolled since the last refresh, `entity` as the caller
   * read it from the catalog; undefined when there is neither.
   */
  async load(
    entityRef: string,
    options: { entity?: Entity } = {},
  ): Promise<EntityFleetData | undefined> {
    const sync = await this.first<SyncColumns>(this.syncQuery, entityRef);
    const generation = sync
      ? Number(sync.generation)
      : await readModelGeneration(this.db);
    const view = await this.views.at(generation);
    const snapshot =
      view.snapshotOf(entityRef) ??
      (options.entity
        ? parseSnapshot(snapshotRow(options.entity, new Date().toISOString()))
        : undefined);
    if (!snapshot) {
      return undefined;
    }
    const inventory = await inventoryOf(this.db, entityRef, sync);

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
      inventory,
      versionsByImage: await view.versionsOf(inventory.instances),
      channels,
      channelVersions,
      version: sync ? versionOf(sync) : String(generation),
    };
  }
}

type CompiledQuery = { sql: string; bindings: readonly Knex.Value[] };

/** The read's version: the generation and the entity's sync revision. */
function versionOf(sync: Pick<SyncColumns, 'generation' | 'revision'>) {
  return `${Number(sync.generation)}/${Number(sync.revision ?? 0)}`;
}
