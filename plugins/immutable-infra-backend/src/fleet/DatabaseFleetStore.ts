import { Knex } from 'knex';
import { byCodeUnits } from '../drift/order';
import { InstanceRecord, SyncState } from '../drift/types';
import { FleetInstance, InstanceFacts } from '../providers/FleetProvider';
import { writeTransaction } from '../audit/writeTransaction';
import { FleetStore, Inventory, InventoryUpdate } from './FleetStore';
import {
  isPostgres,
  optionalIso,
  Timestamp,
  toIso,
} from '../database/timestamps';

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
} & FactColumns;

/** The columns of what fleet sync reads beyond EC2's description. */
type FactColumns = {
  metadata_http_tokens: string | null;
  ssm_status: string | null;
  log_group: string | null;
  log_status: string | null;
  log_last_event_at: Timestamp | null;
  session_status: string | null;
  session_id: string | null;
  session_owner: string | null;
  session_started_at: Timestamp | null;
  /** JSON: why each fact marked unknown could not be read. */
  facts_unknown: string | null;
};

/** @internal */
export type SyncRow = {
  entity_ref: string;
  last_attempt_at: Timestamp;
  last_success_at: Timestamp | null;
  status: 'ok' | 'failed';
  error: string | null;
  launch_templates: string | null;
  /** JSON: the annotated Auto Scaling groups as the last good sync found them. */
  autoscaling_groups: string | null;
  /** JSON: the instance records of the last good sync. */
  instances: string | null;
  /** Moved by every write of the row (set by the database). */
  revision?: number | string;
};

/** The columns a sync writes; {@link mergeSync} keeps the rest. */
const SYNC_WRITTEN_COLUMNS = [
  'last_attempt_at',
  'last_success_at',
  'status',
  'error',
  'launch_templates',
  'autoscaling_groups',
  'instances',
] as const;

/**
 * The update of an entity's sync state that exists: the columns written
 * and its revision moved, so readers that cached its instances read them
 * again.
 */
function mergeSync(db: Knex) {
  return {
    ...Object.fromEntries(
      SYNC_WRITTEN_COLUMNS.map(column => [
        column,
        db.raw('??', [`excluded.${column}`]),
      ]),
    ),
    revision: db.raw('?? + 1', ['entity_sync_state.revision']),
  };
}

/**
 * Sync rows of one multi-row insert, and entity refs of one `in (...)`:
 * SQLite builds a multi-row insert as a compound select, of at most 500
 * terms.
 */
const BATCH = 500;

/** Instance rows of one insert. */
const ROWS_PER_INSERT = 5_000;

/** Columns that say what an instance is; the others say when it was seen. */
const DESCRIBING: (keyof InstanceRow)[] = [
  'environment',
  'account',
  'image_id',
  'state',
  'launch_template_id',
  'launch_template_version',
  'asg',
  'ssh_exposure',
  'ssh_sources',
  'key_name',
  'tags',
  'metadata_http_tokens',
  'ssm_status',
  'log_group',
  'log_status',
  'log_last_event_at',
  'session_status',
  'session_id',
  'session_owner',
  'session_started_at',
  'facts_unknown',
];

/** Every column an instance row is written with. */
const INSERTED: (keyof InstanceRow)[] = [
  'entity_ref',
  'instance_id',
  'region',
  'launch_time',
  'first_seen_at',
  'last_seen_at',
  ...DESCRIBING,
];

/** Columns of the timestamp type, as PostgreSQL must be told. */
const TIMESTAMPS = new Set<keyof InstanceRow>([
  'launch_time',
  'first_seen_at',
  'last_seen_at',
  'log_last_event_at',
  'session_started_at',
]);

/**
 * Inserts instance rows, thousands a statement, with a statement that does
 * not grow with them: one JSON array of rows (each an array, in column
 * order) that PostgreSQL walks with `jsonb_array_elements` and SQLite with
 * `json_each`. `JSON.stringify` is native, where binding one array per
 * column (PostgreSQL's `unnest`) escaped every element in JavaScript: the
 * JSON rows cost about half the process's CPU time and PostgreSQL's own time
 * was a quarter lower (5,000-row inserts of 50,000 instances). Bound one value
 * at a time, rows cost more to parse on both sides, and SQLite allows 500 of
 * them a statement.
 */
async function insertInstanceRows(trx: Knex.Transaction, rows: InstanceRow[]) {
  const columns = INSERTED.join(', ');
  const sql = isPostgres(trx)
    ? `insert into instances (${columns}) select ${INSERTED.map(
        (column, index) =>
          TIMESTAMPS.has(column)
            ? `(value->>${index})::timestamptz`
            : `value->>${index}`,
      ).join(', ')} from jsonb_array_elements(?::jsonb)`
    : `insert into instances (${columns}) select ${INSERTED.map(
        (_, index) => `json_extract(value, '$[${index}]')`,
      ).join(', ')} from json_each(?)`;
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    const chunk = rows.slice(i, i + ROWS_PER_INSERT);
    await trx.raw(sql, [
      JSON.stringify(chunk.map(row => INSERTED.map(column => row[column]))),
    ]);
  }
}

/** The longest reason kept of a fact that could not be read. */
const FACT_ERROR_LENGTH = 300;

/** The bounded text of a column. */
function bounded(value: string | undefined, length: number): string | null {
  return value === undefined ? null : value.slice(0, length);
}

/** The fact columns of what a sync read of an instance. */
function factColumns(i: FleetInstance): FactColumns {
  const unknown: Record<string, string> = {};
  for (const key of ['systemsManager', 'logs', 'session'] as const) {
    const fact = i[key];
    if (fact?.status === 'unknown') {
      unknown[key] = fact.error.slice(0, FACT_ERROR_LENGTH);
    }
  }
  const { systemsManager, logs, session } = i;
  const read = session?.status === 'read' ? session : undefined;
  return {
    metadata_http_tokens: bounded(i.metadataHttpTokens, 16),
    ssm_status: systemsManager?.status ?? null,
    log_group: bounded(logs?.group, 512),
    log_status: logs?.status ?? null,
    log_last_event_at:
      logs?.status === 'read' ? logs.lastEventAt ?? null : null,
    session_status: session?.status ?? null,
    session_id: bounded(read?.id, 128),
    session_owner: bounded(read?.owner, 512),
    session_started_at: read?.startedAt ?? null,
    facts_unknown:
      Object.keys(unknown).length > 0 ? JSON.stringify(unknown) : null,
  };
}

/**
 * An instance stays touched once a session was seen on it: when Systems
 * Manager no longer lists the session (or cannot be asked), the stored one
 * stays.
 */
function keepSession(row: InstanceRow, before: InstanceRow | undefined) {
  if (
    !before?.session_started_at ||
    (row.session_started_at &&
      toIso(row.session_started_at) >= toIso(before.session_started_at))
  ) {
    return;
  }
  row.session_status = 'read';
  row.session_id = before.session_id;
  row.session_owner = before.session_owner;
  row.session_started_at = toIso(before.session_started_at);
  if (row.facts_unknown) {
    const { session: _dropped, ...rest } = JSON.parse(row.facts_unknown);
    row.facts_unknown =
      Object.keys(rest).length > 0 ? JSON.stringify(rest) : null;
  }
}

/** What an instance's fact columns say, as its record holds it. */
function factsOf(
  row: FactColumns,
): InstanceFacts & Pick<InstanceRecord, 'metadataHttpTokens'> {
  const unknown: Record<string, string> = row.facts_unknown
    ? JSON.parse(row.facts_unknown)
    : {};
  const facts: InstanceFacts & Pick<InstanceRecord, 'metadataHttpTokens'> = {};
  if (row.metadata_http_tokens) {
    facts.metadataHttpTokens = row.metadata_http_tokens;
  }
  if (row.ssm_status === 'unknown') {
    facts.systemsManager = {
      status: 'unknown',
      error: unknown.systemsManager ?? '',
    };
  } else if (row.ssm_status === 'managed' || row.ssm_status === 'unmanaged') {
    facts.systemsManager = { status: row.ssm_status };
  }
  if (row.log_group && row.log_status === 'unknown') {
    facts.logs = {
      group: row.log_group,
      status: 'unknown',
      error: unknown.logs ?? '',
    };
  } else if (row.log_group) {
    facts.logs = {
      group: row.log_group,
      status: 'read',
      ...(row.log_last_event_at
        ? { lastEventAt: toIso(row.log_last_event_at) }
        : {}),
    };
  }
  if (row.session_status === 'unknown') {
    facts.session = { status: 'unknown', error: unknown.session ?? '' };
  } else if (row.session_status === 'read') {
    facts.session = {
      status: 'read',
      ...(row.session_id ? { id: row.session_id } : {}),
      ...(row.session_owner ? { owner: row.session_owner } : {}),
      ...(row.session_started_at
        ? { startedAt: toIso(row.session_started_at) }
        : {}),
    };
  }
  return facts;
}

/** By environment (untagged last), region, then instance id. */
function pageOrder(a: InstanceRecord, b: InstanceRecord): number {
  return (
    byCodeUnits(a.environment, b.environment) ||
    byCodeUnits(a.region, b.region) ||
    byCodeUnits(a.instanceId, b.instanceId)
  );
}

function instanceKey(row: Pick<InstanceRow, 'region' | 'instance_id'>) {
  return `${row.region}/${row.instance_id}`;
}

function sameInstant(stored: Timestamp | null, written: string | null) {
  return (
    stored === written ||
    (stored !== null && written !== null && toIso(stored) === written)
  );
}

/**
 * Whether an entity's stored rows already say what the new rows say, but
 * for when they were last seen.
 */
function sameInstances(stored: InstanceRow[], rows: InstanceRow[]): boolean {
  if (stored.length !== rows.length) {
    return false;
  }
  const byKey = new Map(stored.map(row => [instanceKey(row), row]));
  for (const row of rows) {
    const old = byKey.get(instanceKey(row));
    // Deleted once matched: an instance listed twice is a change.
    byKey.delete(instanceKey(row));
    if (
      !old ||
      ['launch_time' as const, ...DESCRIBING].some(column =>
        TIMESTAMPS.has(column)
          ? !sameInstant(old[column], row[column] as string | null)
          : (old[column] ?? null) !== row[column],
      )
    ) {
      return false;
    }
  }
  return true;
}

/**
 * An instance as entity pages read it, without its tags (the rows keep
 * them): what {@link toRecord} makes of its row, built without the round
 * trip through the row's JSON columns.
 */
function pageRecord(
  entityRef: string,
  instance: InventoryUpdate['instances'][number],
  facts: FactColumns,
  firstSeenAt: string,
  lastSeenAt: string,
): InstanceRecord {
  return {
    entityRef,
    instanceId: instance.instanceId,
    environment: instance.environment ?? undefined,
    account: instance.account ?? undefined,
    region: instance.region,
    imageId: instance.imageId ?? undefined,
    launchTime: instance.launchTime?.toISOString(),
    state: instance.state ?? undefined,
    launchTemplateId: instance.launchTemplateId ?? undefined,
    launchTemplateVersion: instance.launchTemplateVersion ?? undefined,
    asg: instance.asg ?? undefined,
    sshExposure: instance.sshExposure,
    sshSources: instance.sshSources ?? [],
    keyName: instance.keyName ?? undefined,
    ...factsOf(facts),
    ...(instance.ownedAlsoBy?.length
      ? { ownedAlsoBy: instance.ownedAlsoBy }
      : {}),
    firstSeenAt,
    lastSeenAt,
  };
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
    ...factsOf(row),
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
    return { instances: [], launchTemplates: [], autoscalingGroups: [] };
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
    autoscalingGroups: sync.autoscaling_groups
      ? JSON.parse(sync.autoscaling_groups)
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

  async replaceInventory(update: InventoryUpdate): Promise<void> {
    await this.replaceInventories([update]);
  }

  async replaceInventories(updates: InventoryUpdate[]): Promise<void> {
    // The last update of an entity wins, as it would one transaction later.
    const byEntity = new Map(updates.map(u => [u.entityRef, u]));
    if (byEntity.size === 0) {
      return;
    }
    const refs = [...byEntity.keys()];
    // ISO strings: the same instant on PostgreSQL and SQLite, whatever the
    // server's time zone.
    const now = new Date().toISOString();
    await writeTransaction(this.db, async trx => {
      const stored = new Map<string, InstanceRow[]>();
      for (let i = 0; i < refs.length; i += BATCH) {
        const rows = await trx<InstanceRow>('instances')
          .whereIn('entity_ref', refs.slice(i, i + BATCH))
          .select(INSERTED);
        for (const row of rows) {
          const list = stored.get(row.entity_ref);
          if (list) {
            list.push(row);
          } else {
            stored.set(row.entity_ref, [row]);
          }
        }
      }

      /** Entities whose stored rows give way to new ones. */
      const replaced: string[] = [];
      const unchanged: string[] = [];
      const inserts: InstanceRow[] = [];
      const syncRows: SyncRow[] = [];
      for (const update of byEntity.values()) {
        const before = stored.get(update.entityRef) ?? [];
        const previous = new Map(before.map(row => [instanceKey(row), row]));
        const rows: InstanceRow[] = [];
        const records: InstanceRecord[] = [];
        for (const i of update.instances) {
          const old = previous.get(`${i.region}/${i.instanceId}`);
          const seen = old?.first_seen_at;
          const row: InstanceRow = {
            entity_ref: update.entityRef,
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
            first_seen_at: seen ?? now,
            last_seen_at: now,
            ...factColumns(i),
          };
          keepSession(row, old);
          rows.push(row);
          records.push(
            pageRecord(
              update.entityRef,
              i,
              row,
              seen === undefined ? now : toIso(seen),
              now,
            ),
          );
        }
        // An unchanged fleet keeps its rows (and their indexes) as they are:
        // only when they were last seen moves.
        if (before.length > 0 && sameInstances(before, rows)) {
          unchanged.push(update.entityRef);
        } else {
          if (before.length > 0) {
            replaced.push(update.entityRef);
          }
          inserts.push(...rows);
        }
        syncRows.push({
          entity_ref: update.entityRef,
          last_attempt_at: now,
          last_success_at: now,
          status: 'ok',
          error: null,
          launch_templates: JSON.stringify(update.launchTemplates),
          autoscaling_groups: JSON.stringify(update.autoscalingGroups),
          // What entity pages read, in one document, in the order pages list
          // them; tags stay in the rows.
          instances: JSON.stringify(records.sort(pageOrder)),
        });
      }

      for (let i = 0; i < replaced.length; i += BATCH) {
        await trx('instances')
          .whereIn('entity_ref', replaced.slice(i, i + BATCH))
          .delete();
      }
      for (let i = 0; i < unchanged.length; i += BATCH) {
        await trx('instances')
          .whereIn('entity_ref', unchanged.slice(i, i + BATCH))
          .update({ last_seen_at: now });
      }
      await insertInstanceRows(trx, inserts);
      for (let i = 0; i < syncRows.length; i += BATCH) {
        await trx('entity_sync_state')
          .insert(syncRows.slice(i, i + BATCH))
          .onConflict('entity_ref')
          .merge(mergeSync(trx));
      }
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
        autoscaling_groups: existing?.autoscaling_groups ?? null,
        instances: existing?.instances ?? null,
      });
      return { result: undefined, readModelChanged: false };
    });
  }

  private async upsertSync(trx: Knex.Transaction, row: SyncRow) {
    await trx('entity_sync_state')
      .insert(row)
      .onConflict('entity_ref')
      .merge(mergeSync(trx));
  }

  async getInventory(entityRef: string): Promise<Inventory> {
    const sync = await this.db<SyncRow>('entity_sync_state')
      .where({ entity_ref: entityRef })
      .first();
    return inventoryOf(this.db, entityRef, sync);
  }

  async findOwners(instanceIds: string[]): Promise<Map<string, string[]>> {
    const owners = new Map<string, string[]>();
    const ids = [...new Set(instanceIds)];
    // By the instance id index, a batch of ids a query.
    for (let i = 0; i < ids.length; i += BATCH) {
      const rows = await this.db<InstanceRow>('instances')
        .whereIn('instance_id', ids.slice(i, i + BATCH))
        .select('instance_id', 'entity_ref');
      for (const row of rows) {
        owners.set(row.instance_id, [
          ...(owners.get(row.instance_id) ?? []),
          row.entity_ref,
        ]);
      }
    }
    return owners;
  }

  async lastSyncAttempts(entityRefs: string[]): Promise<Map<string, number>> {
    const attempts = new Map<string, number>();
    const refs = [...new Set(entityRefs)];
    for (let i = 0; i < refs.length; i += BATCH) {
      const rows = await this.db<SyncRow>('entity_sync_state')
        .whereIn('entity_ref', refs.slice(i, i + BATCH))
        .select('entity_ref', 'last_attempt_at');
      for (const row of rows) {
        attempts.set(row.entity_ref, Date.parse(toIso(row.last_attempt_at)));
      }
    }
    return attempts;
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
