import { ConflictError } from '@backstage/errors';
import { Rollout, RolloutPage } from '@immutable-infra/backstage-plugin-common';
import { Knex } from 'knex';
import { writeTransaction } from '../audit/writeTransaction';
import {
  isUniqueViolation,
  optionalIso,
  Timestamp,
  toIso,
} from '../database/timestamps';
import { pointChannelIn } from '../registry/DatabaseChannelStore';
import { VersionRow } from '../registry/rows';
import {
  activeRolloutConflict,
  ChannelRefusedError,
  FinishedRollout,
  RolloutChange,
  RolloutRecord,
  RolloutStore,
  viewOf,
} from './RolloutStore';

type RolloutRow = {
  id: string;
  entity_ref: string;
  environment: string;
  family: string;
  from_version: string | null;
  to_version: string;
  moves_channel: boolean | number;
  strategy: string;
  state: string;
  current_step: number;
  step_started_at: Timestamp | null;
  promoted: boolean | number;
  reason: string | null;
  created_by: string;
  created_at: Timestamp;
  updated_at: Timestamp;
  revision: number;
  active_key: string | null;
  plan: string;
  status: string | null;
  failed_attempts: number;
};

type EventRow = {
  rollout_id: string;
  id: number | string;
  kind: string;
  message: string;
  actor: string | null;
  at: Timestamp;
};

function activeKey(entityRef: string, environment: string) {
  return `${entityRef} ${environment}`;
}

function toRecord(row: RolloutRow): RolloutRecord {
  return {
    id: row.id,
    entityRef: row.entity_ref,
    environment: row.environment,
    family: row.family,
    fromVersion: row.from_version ?? undefined,
    toVersion: row.to_version,
    movesChannel: Boolean(row.moves_channel),
    strategy: row.strategy as RolloutRecord['strategy'],
    state: row.state as RolloutRecord['state'],
    currentStep: row.current_step,
    stepStartedAt: optionalIso(row.step_started_at),
    promoted: Boolean(row.promoted),
    reason: row.reason ?? undefined,
    createdBy: row.created_by,
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
    revision: row.revision,
    active: row.active_key !== null,
    plan: JSON.parse(row.plan),
    status: row.status ? JSON.parse(row.status) : [],
    failedAttempts: row.failed_attempts ?? 0,
  };
}

/**
 * Knex implementation of {@link RolloutStore}. One active rollout per
 * entity and environment is the unique index on `active_key`.
 *
 * @internal
 */
export class DatabaseRolloutStore implements RolloutStore {
  static create(options: { knex: Knex }): DatabaseRolloutStore {
    return new DatabaseRolloutStore(options.knex);
  }

  private constructor(private readonly db: Knex) {}

  async create(
    options: Parameters<RolloutStore['create']>[0],
  ): Promise<RolloutRecord> {
    const { rollout } = options;
    const now = new Date().toISOString();
    try {
      await writeTransaction(this.db, async trx => {
        await trx<RolloutRow>('rollouts').insert({
          id: rollout.id,
          entity_ref: rollout.entityRef,
          environment: rollout.environment,
          family: rollout.family,
          from_version: rollout.fromVersion ?? null,
          to_version: rollout.toVersion,
          moves_channel: rollout.movesChannel,
          strategy: rollout.strategy,
          state: rollout.state,
          current_step: rollout.currentStep,
          step_started_at: rollout.stepStartedAt ?? null,
          promoted: rollout.promoted,
          reason: rollout.reason ?? null,
          created_by: rollout.createdBy,
          created_at: now,
          updated_at: now,
          revision: 0,
          active_key: activeKey(rollout.entityRef, rollout.environment),
          plan: JSON.stringify(rollout.plan),
          status: null,
        });
        await this.insertEvents(trx, rollout.id, options.events, now);
        return {
          result: undefined,
          readModelChanged: false,
          audit: options.audit,
        };
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw activeRolloutConflict(
          rollout.entityRef,
          rollout.environment,
          await this.findActive(rollout.entityRef, rollout.environment),
        );
      }
      throw error;
    }
    return (await this.get(rollout.id))!;
  }

  async get(id: string): Promise<RolloutRecord | undefined> {
    const row = await this.db<RolloutRow>('rollouts').where({ id }).first();
    return row ? toRecord(row) : undefined;
  }

  async getView(id: string): Promise<Rollout | undefined> {
    const record = await this.get(id);
    if (!record) {
      return undefined;
    }
    const events = await this.db<EventRow>('rollout_events')
      .where({ rollout_id: id })
      .orderBy('id', 'asc');
    return {
      ...viewOf(record),
      events: events.map(e => ({
        id: String(e.id),
        kind: e.kind,
        message: e.message,
        actor: e.actor ?? undefined,
        at: toIso(e.at),
      })),
    };
  }

  async findActive(
    entityRef: string,
    environment: string,
  ): Promise<RolloutRecord | undefined> {
    const row = await this.db<RolloutRow>('rollouts')
      .where({ active_key: activeKey(entityRef, environment) })
      .first();
    return row ? toRecord(row) : undefined;
  }

  async listByEntity(options: {
    entityRef: string;
    cursor?: string;
    limit: number;
  }): Promise<RolloutPage> {
    const offset = options.cursor ? Number(options.cursor) : 0;
    const rows = await this.db<RolloutRow>('rollouts')
      .where({ entity_ref: options.entityRef })
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .offset(offset)
      .limit(options.limit + 1);
    return {
      items: rows.slice(0, options.limit).map(row => viewOf(toRecord(row))),
      nextCursor:
        rows.length > options.limit
          ? String(offset + options.limit)
          : undefined,
    };
  }

  async listActive(entityRef?: string): Promise<RolloutRecord[]> {
    const query = this.db<RolloutRow>('rollouts').whereNotNull('active_key');
    if (entityRef) {
      query.where({ entity_ref: entityRef });
    }
    const rows = await query.orderBy('created_at', 'asc');
    return rows.map(toRecord);
  }

  async listFinished(options: { since: string }): Promise<FinishedRollout[]> {
    const rows = await this.db<RolloutRow>('rollouts')
      .whereIn('state', ['succeeded', 'failed', 'aborted'])
      .where('updated_at', '>=', options.since)
      .orderBy('updated_at', 'asc')
      .select(
        'id',
        'entity_ref',
        'environment',
        'to_version',
        'state',
        'created_at',
        'updated_at',
      );
    return rows.map(row => ({
      id: row.id,
      entityRef: row.entity_ref,
      environment: row.environment,
      toVersion: row.to_version,
      state: row.state as FinishedRollout['state'],
      createdAt: toIso(row.created_at),
      finishedAt: toIso(row.updated_at),
    }));
  }

  async setFailedAttempts(id: string, failedAttempts: number): Promise<void> {
    await this.db<RolloutRow>('rollouts')
      .where({ id })
      .update({ failed_attempts: failedAttempts });
  }

  async update(
    id: string,
    revision: number,
    change: RolloutChange,
    expected: { currentStep?: number } = {},
  ): Promise<boolean> {
    const now = new Date().toISOString();
    try {
      return await writeTransaction(this.db, async trx => {
        const row = await trx<RolloutRow>('rollouts').where({ id }).first();
        const values: Partial<RolloutRow> = {
          updated_at: now,
          revision: revision + 1,
        };
        if (change.state !== undefined) values.state = change.state;
        if (change.currentStep !== undefined)
          values.current_step = change.currentStep;
        if (change.stepStartedAt !== undefined)
          values.step_started_at = change.stepStartedAt;
        if (change.promoted !== undefined) values.promoted = change.promoted;
        if (change.reason !== undefined) values.reason = change.reason;
        if (change.plan !== undefined)
          values.plan = JSON.stringify(change.plan);
        if (change.status !== undefined)
          values.status = JSON.stringify(change.status);
        if (change.failedAttempts !== undefined)
          values.failed_attempts = change.failedAttempts;
        if (change.release) values.active_key = null;
        if (change.reacquire && row)
          values.active_key = activeKey(row.entity_ref, row.environment);
        const where: Partial<RolloutRow> = { id, revision };
        if (expected.currentStep !== undefined)
          where.current_step = expected.currentStep;
        const updated = await trx<RolloutRow>('rollouts')
          .where(where)
          .update(values);
        if (updated === 0) {
          return { result: false, readModelChanged: false };
        }
        const moved = change.channel
          ? await moveChannel(trx, change.channel)
          : undefined;
        await this.insertEvents(trx, id, change.events ?? [], now);
        for (const step of change.steps ?? []) {
          await trx('rollout_steps').insert({
            rollout_id: id,
            step: step.step,
            fleet: step.fleet,
            action: step.action,
            detail: step.detail ? JSON.stringify(step.detail) : null,
            at: now,
          });
        }
        return {
          result: true,
          readModelChanged: moved?.readModelChanged ?? false,
          audit: [...(change.audit ?? []), ...(moved?.audit ?? [])],
        };
      });
    } catch (error) {
      if (change.reacquire && isUniqueViolation(error)) {
        const row = await this.get(id);
        const active = row
          ? await this.findActive(row.entityRef, row.environment)
          : undefined;
        throw new ConflictError(
          `another rollout is active in this environment${
            active ? `: ${active.id}` : ''
          }; it must end first`,
        );
      }
      throw error;
    }
  }

  private async insertEvents(
    trx: Knex.Transaction,
    rolloutId: string,
    events: { kind: string; message: string; actor?: string }[],
    at: string,
  ) {
    for (const event of events) {
      await trx('rollout_events').insert({
        rollout_id: rolloutId,
        kind: event.kind,
        message: event.message.slice(0, 4000),
        actor: event.actor ?? null,
        at,
      });
    }
  }
}

/**
 * A rollout's channel move, in the rollout's transaction; a version that
 * is gone or no longer usable throws and takes the whole change back.
 */
async function moveChannel(
  trx: Knex.Transaction,
  channel: NonNullable<RolloutChange['channel']>,
) {
  const target = await trx<VersionRow>('image_versions')
    .where({ family: channel.family, version: channel.version })
    .first();
  const ref = `${channel.family}@${channel.version}`;
  if (!target) {
    throw new ChannelRefusedError(`${ref} is not registered`);
  }
  const outcome = await pointChannelIn(trx, {
    family: channel.family,
    channel: channel.channel,
    targetId: target.id,
    actor: channel.actor,
    reason: channel.reason,
    kind: 'assign',
  });
  if (outcome.result === 'unusable') {
    throw new ChannelRefusedError(
      `${ref} is ${target.state}${
        target.revoke_reason ? `: ${target.revoke_reason}` : ''
      }; the ${channel.channel} channel does not move to it`,
    );
  }
  return outcome;
}
