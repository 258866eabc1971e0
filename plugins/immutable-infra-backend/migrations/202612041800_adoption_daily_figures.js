// @ts-check

/**
 * The figures of each day over every component of that day, written with
 * the day's snapshots: the history of the whole catalog, read by a caller
 * who may read every entity, without grouping a year of snapshot rows. The
 * days written before this table are filled in by the snapshot task's first
 * run.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('adoption_daily_figures', table => {
    table.comment('The adoption figures of each day over all of its snapshots');
    table.string('day', 10).primary().comment('YYYY-MM-DD, UTC');
    table
      .text('figures')
      .notNullable()
      .comment('JSON: the figures of the day (services, levels, ages, …)');
    table.timestamp('computed_at', { useTz: true }).notNullable();
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('adoption_daily_figures');
};
