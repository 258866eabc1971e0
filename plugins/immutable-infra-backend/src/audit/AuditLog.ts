import { AuditEventPage } from '@immutable-infra/backstage-plugin-common';
import { Knex } from 'knex';
import { Timestamp, toIso } from '../database/timestamps';

/**
 * One row of the append-only audit log.
 *
 * @internal
 */
export type AuditEventInput = {
  /** User or service entity ref that made the change. */
  actor: string;
  /** What was done, e.g. `family.enroll`. */
  action: string;
  /** The catalog entity the change concerns, when there is one. */
  entityRef?: string;
  /** The object changed, e.g. a family name or image id. */
  subject?: string;
  payload?: Record<string, unknown>;
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

/**
 * Inserts audit events. Only {@link writeTransaction} calls it, inside the
 * transaction of the change the events record.
 *
 * @internal
 */
export async function insertAuditEvents(
  trx: Knex.Transaction,
  events: AuditEventInput[],
): Promise<void> {
  for (const event of events) {
    await trx('audit_events').insert({
      actor: event.actor,
      action: event.action,
      entity_ref: event.entityRef ?? null,
      subject: event.subject ?? null,
      payload: event.payload ? JSON.stringify(event.payload) : null,
      at: trx.fn.now(),
    });
  }
}

/**
 * Reads the audit log.
 *
 * @internal
 */
export interface AuditLog {
  /** An entity's events, newest first, paged by event id. */
  listEntityEvents(options: {
    entityRef: string;
    cursor?: string;
    limit: number;
  }): Promise<AuditEventPage>;
}

/**
 * Knex implementation of {@link AuditLog}.
 *
 * @internal
 */
export class DatabaseAuditLog implements AuditLog {
  static create(options: { knex: Knex }): DatabaseAuditLog {
    return new DatabaseAuditLog(options.knex);
  }

  private constructor(private readonly db: Knex) {}

  async listEntityEvents(options: {
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
