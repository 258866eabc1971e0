import { Knex } from 'knex';

/**
 * Marks the read model as changed. Every transaction that changes families,
 * versions, artifacts, channels or entity snapshots calls this as its last
 * statement (so its lock on the one row is held only until the commit, and
 * never before a lock on another row). Page reads compare the generation
 * with that of the data they keep in memory.
 *
 * @internal
 */
export async function bumpReadModelGeneration(trx: Knex.Transaction) {
  await trx('read_model_state').where({ id: 1 }).increment('generation', 1);
}
