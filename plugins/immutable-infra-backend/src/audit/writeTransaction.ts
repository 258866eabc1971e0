import { Knex } from 'knex';
import { bumpReadModelGeneration } from '../database/readModelGeneration';
import { AuditEventInput, insertAuditEvents } from './AuditLog';

/**
 * What a write did: its answer, whether it changed what entity pages keep
 * in memory, and the audit events that record it.
 *
 * @internal
 */
export type WriteOutcome<T> = {
  result: T;
  /**
   * Whether families, versions, artifacts, channels or entity snapshots
   * changed: then every backend instance reads them again on its next page.
   */
  readModelChanged: boolean;
  /** Written in the same transaction as the change. */
  audit?: AuditEventInput[];
};

/**
 * The one way the plugin writes to its database. The change, its audit
 * events and the bump of the read-model generation commit together, the bump
 * last (its lock on the one generation row is then held only until the
 * commit, and never taken before a lock on another row). A writer cannot
 * forget either: it must say whether the read model changed and may not
 * bump the generation itself (an architecture test checks that only this
 * file opens transactions).
 *
 * @internal
 */
export async function writeTransaction<T>(
  db: Knex,
  write: (trx: Knex.Transaction) => Promise<WriteOutcome<T>>,
): Promise<T> {
  return db.transaction(async trx => {
    const outcome = await write(trx);
    if (outcome.audit?.length) {
      await insertAuditEvents(trx, outcome.audit);
    }
    if (outcome.readModelChanged) {
      await bumpReadModelGeneration(trx);
    }
    return outcome.result;
  });
}
