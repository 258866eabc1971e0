import { Knex } from 'knex';

/**
 * Marks the read model as changed. Only {@link writeTransaction} calls it,
 * as the last statement of a transaction that changed families, versions,
 * artifacts, channels or entity snapshots. Page reads compare the generation
 * with that of the data they keep in memory.
 *
 * @internal
 */
export async function bumpReadModelGeneration(trx: Knex.Transaction) {
  await trx('read_model_state').where({ id: 1 }).increment('generation', 1);
}

/** The read model's generation now. @internal */
export async function readModelGeneration(db: Knex): Promise<number> {
  const row = await db('read_model_state').where({ id: 1 }).first('generation');
  return Number(row.generation);
}
