import { ConflictError, NotFoundError } from '@backstage/errors';
import {
  InitiativeGoal,
  InitiativeScope,
} from '@immutable-infra/backstage-plugin-common';
import { Knex } from 'knex';
import { AuditEventInput } from '../audit/AuditLog';
import { writeTransaction } from '../audit/writeTransaction';
import {
  isPostgres,
  optionalIso,
  Timestamp,
  toIso,
} from '../database/timestamps';
import { applySnapshotFilter } from './AdoptionStore';
import { AdoptionLevel, AdoptionSnapshot, SnapshotFilter } from './types';

/** An initiative as stored. @internal */
export type InitiativeRecord = {
  id: string;
  title: string;
  description?: string;
  goal: InitiativeGoal;
  scope: InitiativeScope;
  startsOn: string;
  deadline: string;
  state: 'active' | 'closed';
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  closedAt?: string;
  revision: number;
};

type InitiativeRow = {
  id: string;
  title: string;
  description: string | null;
  goal_kind: string;
  goal_value: string;
  production_only: boolean | number;
  starts_on: string;
  deadline: string;
  state: string;
  created_by: string;
  created_at: Timestamp;
  updated_at: Timestamp;
  closed_at: Timestamp | null;
  revision: number;
};

type ScopeRow = { initiative_id: string; kind: string; value: string };

/** The goals whose value is a number, kept as text in `goal_value`. */
const NUMERIC_GOALS: readonly string[] = ['driftLifetime', 'erasedShare'];

function goalOf(row: InitiativeRow): InitiativeGoal {
  return {
    kind: row.goal_kind,
    value: NUMERIC_GOALS.includes(row.goal_kind)
      ? Number(row.goal_value)
      : row.goal_value,
  } as InitiativeGoal;
}

function toRecord(row: InitiativeRow, scopes: ScopeRow[]): InitiativeRecord {
  const mine = scopes.filter(s => s.initiative_id === row.id);
  return {
    id: row.id,
    title: row.title,
    description: row.description ?? undefined,
    goal: goalOf(row),
    scope: {
      owners: mine
        .filter(s => s.kind === 'owner')
        .map(s => s.value)
        .sort(),
      systems: mine
        .filter(s => s.kind === 'system')
        .map(s => s.value)
        .sort(),
      productionOnly: Boolean(row.production_only),
    },
    startsOn: row.starts_on,
    deadline: row.deadline,
    state: row.state as InitiativeRecord['state'],
    createdBy: row.created_by,
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
    closedAt: optionalIso(row.closed_at),
    revision: row.revision,
  };
}

const LEVELS_AT_LEAST: Record<string, AdoptionLevel[]> = {
  gold: ['gold'],
  silver: ['gold', 'silver'],
  bronze: ['gold', 'silver', 'bronze'],
};

/**
 * Adoption initiatives and the burn-up of their goal, computed from the
 * daily snapshots.
 *
 * @internal
 */
export class DatabaseInitiativeStore {
  static create(options: { knex: Knex }): DatabaseInitiativeStore {
    return new DatabaseInitiativeStore(options.knex);
  }

  private constructor(private readonly db: Knex) {}

  async create(
    record: Omit<InitiativeRecord, 'revision' | 'updatedAt' | 'closedAt'>,
    audit: AuditEventInput,
  ): Promise<InitiativeRecord> {
    await writeTransaction(this.db, async trx => {
      await trx('initiatives').insert({
        id: record.id,
        title: record.title,
        description: record.description ?? null,
        goal_kind: record.goal.kind,
        goal_value: String(record.goal.value),
        production_only: record.scope.productionOnly,
        starts_on: record.startsOn,
        deadline: record.deadline,
        state: record.state,
        created_by: record.createdBy,
        created_at: record.createdAt,
        updated_at: record.createdAt,
        revision: 0,
      });
      const scopes = [
        ...record.scope.owners.map(value => ({ kind: 'owner', value })),
        ...record.scope.systems.map(value => ({ kind: 'system', value })),
      ];
      if (scopes.length > 0) {
        await trx('initiative_scopes').insert(
          scopes.map(s => ({ initiative_id: record.id, ...s })),
        );
      }
      return { result: undefined, readModelChanged: false, audit: [audit] };
    });
    return (await this.get(record.id))!;
  }

  async get(id: string): Promise<InitiativeRecord | undefined> {
    const row = await this.db<InitiativeRow>('initiatives')
      .where({ id })
      .first();
    if (!row) {
      return undefined;
    }
    const scopes = await this.db<ScopeRow>('initiative_scopes').where({
      initiative_id: id,
    });
    return toRecord(row, scopes);
  }

  /** Every initiative, active ones first, then by deadline. */
  async list(): Promise<InitiativeRecord[]> {
    const rows = await this.db<InitiativeRow>('initiatives').orderBy([
      { column: 'state', order: 'asc' },
      { column: 'deadline', order: 'asc' },
      { column: 'id', order: 'asc' },
    ]);
    const scopes = await this.db<ScopeRow>('initiative_scopes');
    return rows.map(row => toRecord(row, scopes));
  }

  /**
   * Changes an initiative as of the revision the caller read; a concurrent
   * change answers 409, a missing one 404.
   */
  async update(
    id: string,
    revision: number,
    change: {
      title?: string;
      description?: string;
      deadline?: string;
      state?: 'closed';
    },
    audit: AuditEventInput,
  ): Promise<InitiativeRecord> {
    const now = new Date().toISOString();
    await writeTransaction(this.db, async trx => {
      const updated = await trx('initiatives')
        .where({ id, revision })
        .update({
          ...(change.title !== undefined ? { title: change.title } : {}),
          ...(change.description !== undefined
            ? { description: change.description }
            : {}),
          ...(change.deadline !== undefined
            ? { deadline: change.deadline }
            : {}),
          ...(change.state ? { state: change.state, closed_at: now } : {}),
          updated_at: now,
          revision: revision + 1,
        });
      if (updated === 0) {
        const exists = await trx('initiatives').where({ id }).first();
        if (!exists) {
          throw new NotFoundError(`No initiative ${id}`);
        }
        throw new ConflictError(
          `Initiative ${id} was changed at the same time; read it again and retry`,
        );
      }
      return { result: undefined, readModelChanged: false, audit: [audit] };
    });
    return (await this.get(id))!;
  }

  /**
   * Per day from `from` to `to`, the components the filter covers and how
   * many of them meet the goal.
   */
  async burnUp(options: {
    goal: InitiativeGoal;
    from: string;
    to: string;
    filter: SnapshotFilter;
  }): Promise<Array<{ day: string; done: number; total: number }>> {
    const { db } = this;
    const met = meetsGoalSql(db, options.goal);
    const query = db('adoption_snapshots')
      .whereBetween('day', [options.from, options.to])
      .select('day')
      .count({ total: '*' })
      .select(
        db.raw(
          `sum(case when ${met.sql} then 1 else 0 end) as done`,
          met.bindings,
        ),
      )
      .groupBy('day')
      .orderBy('day');
    applySnapshotFilter(db, query, options.filter);
    const rows = await query;
    return rows.map((r: any) => ({
      day: r.day,
      done: Number(r.done ?? 0),
      total: Number(r.total),
    }));
  }
}

/** Whether a snapshot row meets the goal, as SQL. */
function meetsGoalSql(db: Knex, goal: InitiativeGoal) {
  const enrolled = isPostgres(db) ? true : 1;
  switch (goal.kind) {
    case 'level': {
      const levels = LEVELS_AT_LEAST[goal.value];
      return {
        sql: `(enrolled = ? and level in (${levels
          .map(() => '?')
          .join(', ')}))`,
        bindings: [enrolled, ...levels],
      };
    }
    case 'check':
      // A check id is letters and dashes: found as a JSON string in the list.
      return {
        sql: 'passing_checks like ?',
        bindings: [`%"${goal.value}"%`],
      };
    case 'driftLifetime':
      return {
        sql: '(enrolled = ? and (drift_lifetime_p95_minutes is null or drift_lifetime_p95_minutes <= ?))',
        bindings: [enrolled, goal.value],
      };
    case 'erasedShare':
      return {
        sql: '(enrolled = ? and (findings_gone = 0 or findings_erased_automatically >= cast(? as double precision) * findings_gone))',
        bindings: [enrolled, goal.value],
      };
    default:
      throw new Error(`unknown goal ${JSON.stringify(goal)}`);
  }
}

/** Whether a snapshot meets the goal. @internal */
export function meetsGoal(
  snapshot: Pick<
    AdoptionSnapshot,
    'enrolled' | 'level' | 'passingChecks' | 'drift'
  >,
  goal: InitiativeGoal,
): boolean {
  switch (goal.kind) {
    case 'level':
      return (
        snapshot.enrolled &&
        snapshot.level !== undefined &&
        LEVELS_AT_LEAST[goal.value].includes(snapshot.level)
      );
    case 'check':
      return snapshot.passingChecks.includes(goal.value);
    case 'driftLifetime':
      return (
        snapshot.enrolled &&
        (snapshot.drift.lifetimeP95Minutes === undefined ||
          snapshot.drift.lifetimeP95Minutes <= goal.value)
      );
    case 'erasedShare':
      return (
        snapshot.enrolled &&
        (snapshot.drift.gone === 0 ||
          snapshot.drift.erasedAutomatically >=
            goal.value * snapshot.drift.gone)
      );
    default:
      return false;
  }
}
