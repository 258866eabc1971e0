import { Knex } from 'knex';
import { byCodeUnits } from '../drift/order';
import { InstanceRecord, SyncState } from '../drift/types';
import {
  FleetInstance,
  LaunchTemplateDefault,
} from '../providers/FleetProvider';
import { writeTransaction } from '../audit/writeTransaction';
import { FleetStore, Inventory } from './FleetStore';
import { optionalIso, Timestamp, toIso } from '../database/timestamps';

type InstanceRow = {
  entity_ref: string;
  instance_id: string;
  environment: string | null;
  account: string | null;
  region: string;
  image_id: string | null;
  launch_time: Timestamp | null;
  state: string | null;
  launch_template_id: string | null;
  launch_template_version: string | null;
  asg: string | null;
  ssh_exposure: InstanceRecord['sshExposure'];
  ssh_sources: string | null;
  key_name: string | null;
  tags: string | null;
  first_seen_at: Timestamp;
  last_seen_at: Timestamp;
};

/** @internal */
export type SyncRow = {
  entity_ref: string;
  last_attempt_at: Timestamp;
  last_success_at: Timestamp | null;
  status: 'ok' | 'failed';
  error: string | null;
  launch_templates: string | null;
  /** JSON: the instance records of the last good sync. */
  instances: string | null;
};

const BATCH = 500;

/** By environment (untagged last), region, then instance id. */
function pageOrder(
  a: Pick<InstanceRow, 'environment' | 'region' | 'instance_id'>,
  b: Pick<InstanceRow, 'environment' | 'region' | 'instance_id'>,
): number {
  return (
    byCodeUnits(a.environment, b.environment) ||
    byCodeUnits(a.region, b.region) ||
    byCodeUnits(a.instance_id, b.instance_id)
  );
}

function toRecord(row: InstanceRow): InstanceRecord {
  return {
    entityRef: row.entity_ref,
    instanceId: row.instance_id,
    environment: row.environment ?? undefined,
    account: row.account ?? undefined,
    region: row.region,
    imageId: row.image_id ?? undefined,
    launchTime: optionalIso(row.launch_time),
    state: row.state ?? undefined,
    launchTemplateId: row.launch_template_id ?? undefined,
    launchTemplateVersion: row.launch_template_version ?? undefined,
    asg: row.asg ?? undefined,
    sshExposure: row.ssh_exposure,
    sshSources: row.ssh_sources ? JSON.parse(row.ssh_sources) : [],
    keyName: row.key_name ?? undefined,
    tags: row.tags ? JSON.parse(row.tags) : {},
    firstSeenAt: toIso(row.first_seen_at),
    lastSeenAt: toIso(row.last_seen_at),
  };
}

/** An entity's instance rows, as records. */
async function readInstanceRecords(
  db: Knex,
  entityRef: string,
): Promise<InstanceRecord[]> {
  const rows = await db<InstanceRow>('instances')
    .where({ entity_ref: entityRef })
    .orderBy([
      { column: 'environment' },
      { column: 'region' },
      { column: 'instance_id' },
    ]);
  return rows.map(toRecord);
}

/**
 * An entity's inventory from its sync row: the one representation that
 * entity pages, the API and tests read. The instances are the document the
 * last good sync wrote; an entity synced before documents were kept has its
 * instance rows read instead.
 *
 * @internal
 */
export async function inventoryOf(
  db: Knex,
  entityRef: string,
  sync: Omit<SyncRow, 'entity_ref'> | undefined,
): Promise<Inventory> {
  if (!sync) {
    return { instances: [], launchTemplates: [] };
  }
  const state: SyncState = {
    entityRef,
    status: sync.status,
    lastAttemptAt: toIso(sync.last_attempt_at),
    lastSuccessAt: optionalIso(sync.last_success_at),
    error: sync.error ?? undefined,
  };
  return {
    instances: sync.instances
      ? JSON.parse(sync.instances)
      : await readInstanceRecords(db, entityRef),
    launchTemplates: sync.launch_templates
      ? JSON.parse(sync.launch_templates)
      : [],
    sync: state,
  };
}

/**
 * Knex implementation of {@link FleetStore}.
 *
 * @internal
 */
export class DatabaseFleetStore implements FleetStore {
  static create(options: { knex: Knex }): DatabaseFleetStore {
    return new DatabaseFleetStore(options.knex);
  }

  private constructor(private readonly db: Knex) {}

  async replaceInventory(options: {
    entityRef: string;
    instances: (FleetInstance & { environment?: string })[];
    launchTemplates: LaunchTemplateDefault[];
  }): Promise<void> {
    // ISO strings: the same instant on PostgreSQL and SQLite, whatever the
    // server's time zone.
    const now = new Date().toISOString();
    await writeTransaction(this.db, async trx => {
      const previous = await trx<InstanceRow>('instances')
        .where({ entity_ref: options.entityRef })
        .select('region', 'instance_id', 'first_seen_at');
      const firstSeen = new Map(
        previous.map(p => [`${p.region}/${p.instance_id}`, p.first_seen_at]),
      );
      await trx('instances').where({ entity_ref: options.entityRef }).delete();
      const rows = options.instances.map(i => ({
        entity_ref: options.entityRef,
        instance_id: i.instanceId,
        environment: i.environment ?? null,
        account: i.account ?? null,
        region: i.region,
        image_id: i.imageId ?? null,
        launch_time: i.launchTime?.toISOString() ?? null,
        state: i.state ?? null,
        launch_template_id: i.launchTemplateId ?? null,
        launch_template_version: i.launchTemplateVersion ?? null,
        asg: i.asg ?? null,
        ssh_exposure: i.sshExposure,
        ssh_sources: JSON.stringify(i.sshSources),
        key_name: i.keyName ?? null,
        tags: JSON.stringify(i.tags),
        first_seen_at: firstSeen.get(`${i.region}/${i.instanceId}`) ?? now,
        last_seen_at: now,
      }));
      for (let i = 0; i < rows.length; i += BATCH) {
        await trx('instances').insert(rows.slice(i, i + BATCH));
      }
      await this.upsertSync(trx, {
        entity_ref: options.entityRef,
        last_attempt_at: now,
        last_success_at: now,
        status: 'ok',
        error: null,
        launch_templates: JSON.stringify(options.launchTemplates),
        // What entity pages read, in one document, in the order pages list
        // them; tags stay in the rows.
        instances: JSON.stringify(
          [...rows]
            .sort(pageOrder)
            .map(row => ({ ...toRecord(row), tags: undefined })),
        ),
      });
      return { result: undefined, readModelChanged: false };
    });
  }

  async recordSyncFailure(options: {
    entityRef: string;
    error: string;
  }): Promise<void> {
    await writeTransaction(this.db, async trx => {
      const existing = await trx<SyncRow>('entity_sync_state')
        .where({ entity_ref: options.entityRef })
        .first();
      await this.upsertSync(trx, {
        entity_ref: options.entityRef,
        last_attempt_at: new Date().toISOString(),
        last_success_at: existing?.last_success_at ?? null,
        status: 'failed',
        error: options.error.slice(0, 2000),
        launch_templates: existing?.launch_templates ?? null,
        instances: existing?.instances ?? null,
      });
      return { result: undefined, readModelChanged: false };
    });
  }

  private async upsertSync(trx: Knex.Transaction, row: SyncRow) {
    await trx('entity_sync_state').insert(row).onConflict('entity_ref').merge();
  }

  async getInventory(entityRef: string): Promise<Inventory> {
    const sync = await this.db<SyncRow>('entity_sync_state')
      .where({ entity_ref: entityRef })
      .first();
    return inventoryOf(this.db, entityRef, sync);
  }

  async findInstancesByImage(imageIds: string[]): Promise<InstanceRecord[]> {
    if (imageIds.length === 0) {
      return [];
    }
    const rows = await this.db<InstanceRow>('instances')
      .whereIn('image_id', imageIds)
      .orderBy([{ column: 'entity_ref' }, { column: 'instance_id' }]);
    return rows.map(toRecord);
  }
}
