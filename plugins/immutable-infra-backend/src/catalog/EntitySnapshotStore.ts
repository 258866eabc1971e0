import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { Knex } from 'knex';
import { writeTransaction } from '../audit/writeTransaction';
import { Timestamp } from '../database/timestamps';

const ANNOTATION_PREFIX = 'immutable-infra.io/';

/**
 * The plugin's copy of an enrolled entity: what entity pages need of it.
 *
 * @internal
 */
export type SnapshotRow = {
  entity_ref: string;
  /** metadata.name as written: entity refs are lowercased. */
  name: string;
  /** JSON: its annotations under `immutable-infra.io/`. */
  annotations: string;
  owner: string | null;
  refreshed_at: Timestamp;
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

/**
 * The snapshot row of an entity read from the catalog.
 *
 * @internal
 */
export function snapshotRow(entity: Entity, now: string): SnapshotRow {
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
 * The plugin's copy of the enrolled entities of the catalog (their
 * `immutable-infra.io/` annotations, name and owner), so entity pages and
 * the blast radius need no catalog request.
 *
 * @internal
 */
export interface EntitySnapshotStore {
  /** Records (or updates) the snapshot of one enrolled entity. */
  putSnapshot(entity: Entity): Promise<void>;

  /**
   * Replaces every snapshot with the enrolled entities the catalog lists
   * now: changed ones are written, those no longer listed are removed.
   */
  replaceSnapshots(
    entities: Entity[],
  ): Promise<{ written: number; removed: number }>;

  /** Every snapshot. */
  listSnapshots(): Promise<SnapshotRow[]>;

  /** The snapshots of those entities the plugin has a copy of, by ref. */
  getSnapshots(entityRefs: string[]): Promise<Map<string, SnapshotRow>>;
}

/**
 * Knex implementation of {@link EntitySnapshotStore}.
 *
 * @internal
 */
export class DatabaseEntitySnapshotStore implements EntitySnapshotStore {
  static create(options: { knex: Knex }): DatabaseEntitySnapshotStore {
    return new DatabaseEntitySnapshotStore(options.knex);
  }

  private constructor(private readonly db: Knex) {}

  async putSnapshot(entity: Entity): Promise<void> {
    const row = snapshotRow(entity, new Date().toISOString());
    await writeTransaction(this.db, async trx => {
      const existing = await trx<SnapshotRow>('entity_snapshots')
        .where({ entity_ref: row.entity_ref })
        .first();
      if (existing && sameSnapshot(existing, row)) {
        // Unchanged: every backend instance keeps its view.
        return { result: undefined, readModelChanged: false };
      }
      await trx('entity_snapshots')
        .insert(row)
        .onConflict('entity_ref')
        .merge();
      return { result: undefined, readModelChanged: true };
    });
  }

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
    return writeTransaction(this.db, async trx => {
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
      return {
        result: { written: changed.length, removed: gone.length },
        readModelChanged: gone.length > 0 || changed.length > 0,
      };
    });
  }

  async listSnapshots(): Promise<SnapshotRow[]> {
    return this.db<SnapshotRow>('entity_snapshots');
  }

  async getSnapshots(entityRefs: string[]): Promise<Map<string, SnapshotRow>> {
    const result = new Map<string, SnapshotRow>();
    for (let i = 0; i < entityRefs.length; i += 500) {
      const rows = await this.db<SnapshotRow>('entity_snapshots').whereIn(
        'entity_ref',
        entityRefs.slice(i, i + 500),
      );
      for (const row of rows) {
        result.set(row.entity_ref, row);
      }
    }
    return result;
  }
}
