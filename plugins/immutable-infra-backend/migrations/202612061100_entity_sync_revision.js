// @ts-check

/**
 * A counter each write of an entity's sync state moves: entity pages read
 * it (with the read model's generation) to tell whether the instances they
 * parsed for an earlier request are still the entity's, without reading
 * the instances again. Timestamps cannot tell two writes in one
 * millisecond apart.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('entity_sync_state', table => {
    table
      .bigInteger('revision')
      .notNullable()
      .defaultTo(0)
      .comment('Moved by every write of the row');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('entity_sync_state', table => {
    table.dropColumn('revision');
  });
};
