import { Knex } from 'knex';

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

/**
 * Writes an audit event inside the transaction of the change it records, so
 * that neither exists without the other.
 *
 * @internal
 */
export async function writeAuditEvent(
  trx: Knex.Transaction,
  event: AuditEventInput,
): Promise<void> {
  await trx('audit_events').insert({
    actor: event.actor,
    action: event.action,
    entity_ref: event.entityRef ?? null,
    subject: event.subject ?? null,
    payload: event.payload ? JSON.stringify(event.payload) : null,
    at: trx.fn.now(),
  });
}
