// @ts-check

/**
 * The ticks in a row whose cloud calls failed, per rollout: kept in the row
 * (not a replica's memory) so that a restart or another replica taking the
 * engine's task counts on towards the pause, and a success resets it.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('rollouts', table => {
    table
      .integer('failed_attempts')
      .notNullable()
      .defaultTo(0)
      .comment('ticks in a row whose cloud calls failed');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('rollouts', table => {
    table.dropColumn('failed_attempts');
  });
};
