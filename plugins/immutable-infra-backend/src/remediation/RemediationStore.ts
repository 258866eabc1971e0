import { Knex } from 'knex';
import { AuditEventInput } from '../audit/AuditLog';
import { writeTransaction } from '../audit/writeTransaction';
import { Timestamp, toIso } from '../database/timestamps';

/**
 * What a remediation policy did about a root cause of an entity.
 *
 * @internal
 */
export type RemediationActionKind =
  | 'started'
  | 'observed'
  | 'stopped'
  | 'resumed';

/** @internal */
export type NewRemediationAction = {
  entityRef: string;
  kind: RemediationActionKind;
  rule: string;
  rootCause: string;
  environment?: string;
  rolloutId?: string;
  account?: string;
  regions?: string[];
  instanceIds?: string[];
  /** The policy, or why automation stopped and the likely source. */
  detail?: string;
  at: string;
};

/** A recorded action, with the state of its rollout when it started one. @internal */
export type RemediationAction = NewRemediationAction & {
  id: string;
  regions: string[];
  instanceIds: string[];
  detail: string;
  /** The rollout's state now; undefined when none or gone. */
  rolloutState?: string;
  /** Whether the rollout still holds its environment. */
  rolloutActive?: boolean;
  /** When the rollout last changed (its end, once it ended). */
  rolloutUpdatedAt?: string;
};

/**
 * The record of the remediation policies' actions: the daily limit, the
 * loop stop, observe mode and the Drift tab read it.
 *
 * @internal
 */
export interface RemediationStore {
  /** Records an action and its audit event in one transaction. */
  record(action: NewRemediationAction, audit: AuditEventInput): Promise<void>;
  /** An entity's actions since `since`, oldest first. */
  listSince(options: {
    entityRef: string;
    since: string;
  }): Promise<RemediationAction[]>;
  /** The latest stop or resume of each root cause of an entity, by root cause. */
  latestStops(entityRef: string): Promise<Map<string, RemediationAction>>;
  /** Started automatic rollouts that still hold their environment. */
  listActiveStarted(): Promise<RemediationAction[]>;
}

type Row = {
  id: string | number;
  entity_ref: string;
  kind: RemediationActionKind;
  rule: string;
  root_cause: string;
  environment: string | null;
  rollout_id: string | null;
  account: string | null;
  regions: string | null;
  instance_ids: string;
  detail: string;
  at: Timestamp;
  rollout_state?: string | null;
  rollout_active_key?: string | null;
  rollout_updated_at?: Timestamp | null;
};

/** The instances a row keeps: the column holds at most this many. */
const MAX_INSTANCE_IDS = 100;

function fromRow(row: Row): RemediationAction {
  const split = (value: string | null) =>
    value ? value.split(',').filter(Boolean) : [];
  return {
    id: String(row.id),
    entityRef: row.entity_ref,
    kind: row.kind,
    rule: row.rule,
    rootCause: row.root_cause,
    environment: row.environment ?? undefined,
    rolloutId: row.rollout_id ?? undefined,
    account: row.account ?? undefined,
    regions: split(row.regions),
    instanceIds: split(row.instance_ids),
    detail: row.detail,
    at: toIso(row.at),
    rolloutState: row.rollout_state ?? undefined,
    rolloutActive: row.rollout_id ? Boolean(row.rollout_active_key) : undefined,
    rolloutUpdatedAt: row.rollout_updated_at
      ? toIso(row.rollout_updated_at)
      : undefined,
  };
}

/** Cuts text to a column's length. */
function bounded(value: string, max: number): string {
  return value.length > max ? `${value.slice(0, max - 1)}…` : value;
}

/** @internal */
export class DatabaseRemediationStore implements RemediationStore {
  static create(options: { knex: Knex }): DatabaseRemediationStore {
    return new DatabaseRemediationStore(options.knex);
  }

  private constructor(private readonly db: Knex) {}

  async record(
    action: NewRemediationAction,
    audit: AuditEventInput,
  ): Promise<void> {
    await writeTransaction(this.db, async trx => {
      await trx('remediation_actions').insert({
        entity_ref: action.entityRef,
        kind: action.kind,
        rule: bounded(action.rule, 64),
        root_cause: bounded(action.rootCause, 512),
        environment: action.environment ?? null,
        rollout_id: action.rolloutId ?? null,
        account: action.account ?? null,
        regions: action.regions?.length
          ? bounded(action.regions.join(','), 255)
          : null,
        instance_ids: (action.instanceIds ?? [])
          .slice(0, MAX_INSTANCE_IDS)
          .join(','),
        detail: bounded(action.detail ?? '', 1000),
        at: new Date(action.at),
      });
      return { result: undefined, readModelChanged: false, audit: [audit] };
    });
  }

  /** Actions joined with the state of the rollout each started. */
  private withRollouts() {
    return this.db<Row>('remediation_actions as a')
      .leftJoin('rollouts as r', 'r.id', 'a.rollout_id')
      .select(
        'a.*',
        'r.state as rollout_state',
        'r.active_key as rollout_active_key',
        'r.updated_at as rollout_updated_at',
      );
  }

  async listSince(options: {
    entityRef: string;
    since: string;
  }): Promise<RemediationAction[]> {
    const rows: Row[] = await this.withRollouts()
      .where('a.entity_ref', options.entityRef)
      .where('a.at', '>=', new Date(options.since))
      .orderBy([
        { column: 'a.at', order: 'asc' },
        { column: 'a.id', order: 'asc' },
      ]);
    return rows.map(fromRow);
  }

  async latestStops(
    entityRef: string,
  ): Promise<Map<string, RemediationAction>> {
    const rows: Row[] = await this.db<Row>('remediation_actions')
      .where({ entity_ref: entityRef })
      .whereIn('kind', ['stopped', 'resumed'])
      .orderBy([
        { column: 'at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(500);
    const latest = new Map<string, RemediationAction>();
    for (const row of rows) {
      if (!latest.has(row.root_cause)) {
        latest.set(row.root_cause, fromRow(row));
      }
    }
    return latest;
  }

  async listActiveStarted(): Promise<RemediationAction[]> {
    const rows: Row[] = await this.withRollouts()
      .where('a.kind', 'started')
      .whereNotNull('r.active_key');
    return rows.map(fromRow);
  }
}
