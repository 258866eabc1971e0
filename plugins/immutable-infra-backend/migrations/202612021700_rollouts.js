// @ts-check

/**
 * Rollouts: one row per rollout (its plan and where it stands), one per
 * step once the engine starts it (what it did), and the timeline.
 * `active_key` holds `<entity_ref> <environment>` while the rollout is not
 * finished and null after: its unique index lets one active rollout per
 * entity and environment exist, whatever replica asks.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('rollouts', table => {
    table.comment('Fleet rollouts of an entity environment to a version');
    table.string('id', 36).primary();
    table.string('entity_ref', 255).notNullable();
    table.string('environment', 64).notNullable();
    table.string('family', 128).notNullable();
    table.string('from_version', 160).nullable();
    table.string('to_version', 160).notNullable();
    table.boolean('moves_channel').notNullable().defaultTo(false);
    table.string('strategy', 32).notNullable();
    table.string('state', 16).notNullable();
    table.integer('current_step').notNullable().defaultTo(0);
    table.timestamp('step_started_at', { useTz: true }).nullable();
    table
      .boolean('promoted')
      .notNullable()
      .defaultTo(false)
      .comment('a promote arrived for the current pause');
    table.text('reason').nullable();
    table.string('created_by', 255).notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.timestamp('updated_at', { useTz: true }).notNullable();
    table.integer('revision').notNullable().defaultTo(0);
    table.string('active_key', 330).nullable().unique();
    table.text('plan').notNullable().comment('JSON: fleets, steps, deadline');
    table.text('status').nullable().comment('JSON: fleets as last observed');
    table.index(['entity_ref', 'created_at'], 'rollouts_entity_idx');
    table.index(['state'], 'rollouts_state_idx');
  });

  await knex.schema.createTable('rollout_steps', table => {
    table.comment('What each step of a rollout did, per fleet');
    table.bigIncrements('id').primary();
    table
      .string('rollout_id', 36)
      .notNullable()
      .references('id')
      .inTable('rollouts')
      .onDelete('CASCADE');
    table.integer('step').notNullable();
    table.string('fleet', 330).notNullable();
    table.string('action', 32).notNullable();
    table.text('detail').nullable().comment('JSON: instances, counts');
    table.timestamp('at', { useTz: true }).notNullable();
    table.index(['rollout_id', 'step'], 'rollout_steps_rollout_idx');
  });

  await knex.schema.createTable('rollout_events', table => {
    table.comment('Timeline of each rollout');
    table.bigIncrements('id').primary();
    table
      .string('rollout_id', 36)
      .notNullable()
      .references('id')
      .inTable('rollouts')
      .onDelete('CASCADE');
    table.string('kind', 32).notNullable();
    table.text('message').notNullable();
    table.string('actor', 255).nullable();
    table.timestamp('at', { useTz: true }).notNullable();
    table.index(['rollout_id', 'id'], 'rollout_events_rollout_idx');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('rollout_events');
  await knex.schema.dropTable('rollout_steps');
  await knex.schema.dropTable('rollouts');
};
