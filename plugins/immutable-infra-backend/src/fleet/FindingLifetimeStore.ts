import { createHash } from 'node:crypto';
import { Knex } from 'knex';
import { writeTransaction } from '../audit/writeTransaction';
import { optionalIso, Timestamp, toIso } from '../database/timestamps';

/** What triggered the sync that found a finding. @internal */
export type HowSeen = 'poll' | 'event';

/**
 * Why a finding went: its instance was replaced by a rollout, or terminated
 * otherwise, or the rule no longer applies to what is still there.
 *
 * @internal
 */
export type HowGone = 'replaced' | 'terminated' | 'resolved';

/** What makes two findings of an entity the same finding. @internal */
export type FindingKey = {
  rule: string;
  rootCause: string;
  instanceId?: string;
};

/** When an open finding was first seen. @internal */
export type OpenSince = FindingKey & { firstSeenAt: string };

/** Open findings of one rule and root cause. @internal */
export type OpenGroup = {
  rule: string;
  rootCause: string;
  count: number;
  /** The first sighting of the oldest of them. */
  firstSeenAt: string;
};

/** The life of one drift finding. @internal */
export type FindingLifetime = FindingKey & {
  id: string;
  entityRef: string;
  environment?: string;
  firstSeenAt: string;
  seenBy: HowSeen;
  /** Open while undefined. */
  goneAt?: string;
  goneBy?: HowGone;
  /** The rollout that replaced its instance. */
  rolloutId?: string;
  /** Whether that rollout was started by the remediation policy. */
  automatic?: boolean;
};

/** How an open finding ends. @internal */
export type FindingClosure = {
  id: string;
  goneBy: HowGone;
  rolloutId?: string;
  automatic?: boolean;
};

/**
 * The recorded lives of drift findings: a good sync opens one for each new
 * finding and closes those it no longer finds.
 *
 * @internal
 */
export interface FindingLifetimeStore {
  /** An entity's open findings, oldest first. */
  listOpen(entityRef: string): Promise<FindingLifetime[]>;

  /**
   * When each of an entity's open findings was first seen, in no order:
   * what the drift answer reads, without the rest of each life. With
   * `findings`, only those of them that are open (looked up one by one, for
   * the few findings a page shows).
   */
  listOpenSince(
    entityRef: string,
    findings?: FindingKey[],
  ): Promise<OpenSince[]>;

  /**
   * The entity's open findings counted by rule and root cause, each with
   * its first sighting: a drift group's age without reading its findings.
   */
  countOpen(entityRef: string): Promise<OpenGroup[]>;

  /**
   * Opens and closes lives of one entity's findings at `at`, together. A
   * finding already open stays as it is (a concurrent sync opened it); a
   * life already closed stays closed.
   */
  record(options: {
    entityRef: string;
    at: string;
    open: Array<FindingKey & { environment?: string; seenBy: HowSeen }>;
    close: FindingClosure[];
  }): Promise<{ opened: number; closed: number }>;

  /** Lives that ended since `since` (of one entity, or all), oldest end first. */
  listGone(options: {
    since: string;
    entityRef?: string;
  }): Promise<FindingLifetime[]>;
}

type LifetimeRow = {
  id: string | number;
  entity_ref: string;
  rule: string;
  root_cause: string;
  instance_id: string | null;
  environment: string | null;
  first_seen_at: Timestamp;
  seen_by: string;
  gone_at: Timestamp | null;
  gone_by: string | null;
  rollout_id: string | null;
  automatic: boolean | number | null;
  open_key: string | null;
};

/** The key that holds one open life per finding of an entity. */
function openKey(entityRef: string, key: FindingKey): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        entityRef,
        key.rule,
        key.rootCause,
        key.instanceId ?? '',
      ]),
    )
    .digest('hex');
}

function fromRow(row: LifetimeRow): FindingLifetime {
  return {
    id: String(row.id),
    entityRef: row.entity_ref,
    rule: row.rule,
    rootCause: row.root_cause,
    instanceId: row.instance_id ?? undefined,
    environment: row.environment ?? undefined,
    firstSeenAt: toIso(row.first_seen_at),
    seenBy: row.seen_by as HowSeen,
    goneAt: optionalIso(row.gone_at),
    goneBy: (row.gone_by ?? undefined) as HowGone | undefined,
    rolloutId: row.rollout_id ?? undefined,
    automatic:
      row.automatic === null || row.automatic === undefined
        ? undefined
        : Boolean(row.automatic),
  };
}

/** Rows written or changed in one statement, within SQLite's bindings. */
const CHUNK = 200;

/** @internal */
export class DatabaseFindingLifetimeStore implements FindingLifetimeStore {
  static create(options: { knex: Knex }): DatabaseFindingLifetimeStore {
    return new DatabaseFindingLifetimeStore(options.knex);
  }

  private constructor(private readonly db: Knex) {}

  async listOpen(entityRef: string): Promise<FindingLifetime[]> {
    const rows = await this.db<LifetimeRow>('finding_lifetimes')
      .where({ entity_ref: entityRef })
      .whereNull('gone_at')
      .orderBy([
        { column: 'first_seen_at', order: 'asc' },
        { column: 'id', order: 'asc' },
      ]);
    return rows.map(fromRow);
  }

  async listOpenSince(
    entityRef: string,
    findings?: FindingKey[],
  ): Promise<OpenSince[]> {
    type Row = Pick<
      LifetimeRow,
      'rule' | 'root_cause' | 'instance_id' | 'first_seen_at'
    >;
    const columns = ['rule', 'root_cause', 'instance_id', 'first_seen_at'];
    let rows: Row[];
    if (findings) {
      // By the unique key of open lives.
      const keys = [...new Set(findings.map(f => openKey(entityRef, f)))];
      rows = [];
      for (let i = 0; i < keys.length; i += CHUNK) {
        const found: Row[] = await this.db('finding_lifetimes')
          .whereIn('open_key', keys.slice(i, i + CHUNK))
          .select(columns);
        rows.push(...found);
      }
    } else {
      rows = await this.db('finding_lifetimes')
        .where({ entity_ref: entityRef })
        .whereNull('gone_at')
        .select(columns);
    }
    return rows.map(row => ({
      rule: row.rule,
      rootCause: row.root_cause,
      instanceId: row.instance_id ?? undefined,
      firstSeenAt: toIso(row.first_seen_at),
    }));
  }

  async countOpen(entityRef: string): Promise<OpenGroup[]> {
    const rows: {
      rule: string;
      root_cause: string;
      count: number | string;
      first_seen_at: Timestamp;
    }[] = await this.db('finding_lifetimes')
      .where({ entity_ref: entityRef })
      .whereNull('gone_at')
      .groupBy('rule', 'root_cause')
      .select('rule', 'root_cause')
      .count({ count: '*' })
      .min({ first_seen_at: 'first_seen_at' });
    return rows.map(row => ({
      rule: row.rule,
      rootCause: row.root_cause,
      count: Number(row.count),
      firstSeenAt: toIso(row.first_seen_at),
    }));
  }

  async record(options: {
    entityRef: string;
    at: string;
    open: Array<FindingKey & { environment?: string; seenBy: HowSeen }>;
    close: FindingClosure[];
  }): Promise<{ opened: number; closed: number }> {
    if (options.open.length === 0 && options.close.length === 0) {
      return { opened: 0, closed: 0 };
    }
    return writeTransaction(this.db, async trx => {
      let opened = 0;
      const rows = [
        ...new Map(
          options.open.map(f => {
            const key = openKey(options.entityRef, f);
            return [
              key,
              {
                entity_ref: options.entityRef,
                rule: f.rule,
                root_cause: f.rootCause,
                instance_id: f.instanceId ?? null,
                environment: f.environment ?? null,
                first_seen_at: options.at,
                seen_by: f.seenBy,
                open_key: key,
              },
            ];
          }),
        ).values(),
      ];
      for (let i = 0; i < rows.length; i += CHUNK) {
        const inserted = await trx('finding_lifetimes')
          .insert(rows.slice(i, i + CHUNK))
          .onConflict('open_key')
          .ignore()
          .returning('id');
        opened += inserted.length;
      }
      let closed = 0;
      const byOutcome = new Map<string, FindingClosure[]>();
      for (const c of options.close) {
        const outcome = JSON.stringify([c.goneBy, c.rolloutId, c.automatic]);
        byOutcome.set(outcome, [...(byOutcome.get(outcome) ?? []), c]);
      }
      for (const closures of byOutcome.values()) {
        const { goneBy, rolloutId, automatic } = closures[0];
        for (let i = 0; i < closures.length; i += CHUNK) {
          closed += await trx('finding_lifetimes')
            .whereIn(
              'id',
              closures.slice(i, i + CHUNK).map(c => Number(c.id)),
            )
            .where({ entity_ref: options.entityRef })
            .whereNull('gone_at')
            .update({
              gone_at: options.at,
              gone_by: goneBy,
              rollout_id: rolloutId ?? null,
              automatic: automatic ?? null,
              open_key: null,
            });
        }
      }
      return { result: { opened, closed }, readModelChanged: false };
    });
  }

  async listGone(options: {
    since: string;
    entityRef?: string;
  }): Promise<FindingLifetime[]> {
    const query = this.db<LifetimeRow>('finding_lifetimes')
      .where('gone_at', '>=', options.since)
      .orderBy([
        { column: 'gone_at', order: 'asc' },
        { column: 'id', order: 'asc' },
      ]);
    if (options.entityRef) {
      query.where({ entity_ref: options.entityRef });
    }
    return (await query).map(fromRow);
  }
}
