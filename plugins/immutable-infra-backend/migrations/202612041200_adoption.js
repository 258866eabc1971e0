// @ts-check

/**
 * Adoption across the catalog: one snapshot row per component per day (what
 * its trends and the initiatives' burn-ups are computed from), initiatives
 * with their scopes, the images whose revocation reached a fleet (time to
 * replace, one notice per revocation and entity), and the notifications
 * sent (each once).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('adoption_snapshots', table => {
    table.comment('One row per component per day: its adoption figures');
    table.string('day', 10).notNullable().comment('YYYY-MM-DD, UTC');
    table.string('entity_ref', 255).notNullable();
    table.string('owner', 255).nullable();
    table.string('system', 255).nullable();
    table.string('domain', 255).nullable();
    table.string('type', 64).nullable();
    table.string('lifecycle', 64).nullable();
    table.boolean('enrolled').notNullable();
    table.string('level', 8).nullable().comment('gold, silver, bronze, none');
    table.integer('score').nullable();
    table
      .text('passing_checks')
      .nullable()
      .comment('JSON: ids of the score checks that pass');
    table.integer('findings_critical').notNullable().defaultTo(0);
    table.integer('findings_high').notNullable().defaultTo(0);
    table.integer('findings_medium').notNullable().defaultTo(0);
    table.integer('findings_low').notNullable().defaultTo(0);
    table.integer('instances').notNullable().defaultTo(0);
    table
      .integer('instances_on_channel')
      .notNullable()
      .defaultTo(0)
      .comment('instances running their environment channel version');
    table
      .integer('image_age_days')
      .nullable()
      .comment('age of the oldest registered image its instances run');
    table.integer('image_age_policy_days').nullable();
    table.integer('rollouts_succeeded').notNullable().defaultTo(0);
    table.integer('rollouts_failed').notNullable().defaultTo(0);
    table.integer('rollouts_aborted').notNullable().defaultTo(0);
    table.timestamp('taken_at', { useTz: true }).notNullable();
    table.primary(['day', 'entity_ref']);
    table.index(['entity_ref', 'day'], 'adoption_snapshots_entity_idx');
  });

  await knex.schema.createTable('initiatives', table => {
    table.comment('Adoption goals with a scope and a deadline');
    table.string('id', 36).primary();
    table.string('title', 200).notNullable();
    table.string('description', 2000).nullable();
    table.string('goal_kind', 16).notNullable().comment('level or check');
    table
      .string('goal_value', 64)
      .notNullable()
      .comment('the level to reach, or the id of a score check to pass');
    table
      .boolean('production_only')
      .notNullable()
      .defaultTo(false)
      .comment('only components whose lifecycle is production');
    table.string('starts_on', 10).notNullable().comment('YYYY-MM-DD');
    table.string('deadline', 10).notNullable().comment('YYYY-MM-DD');
    table.string('state', 16).notNullable().comment('active or closed');
    table.string('created_by', 255).notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.timestamp('updated_at', { useTz: true }).notNullable();
    table.timestamp('closed_at', { useTz: true }).nullable();
    table.integer('revision').notNullable().defaultTo(0);
    table.index(['state'], 'initiatives_state_idx');
  });

  await knex.schema.createTable('initiative_scopes', table => {
    table.comment('The owners and systems an initiative covers');
    table
      .string('initiative_id', 36)
      .notNullable()
      .references('id')
      .inTable('initiatives')
      .onDelete('CASCADE');
    table.string('kind', 16).notNullable().comment('owner or system');
    table.string('value', 255).notNullable().comment('an entity ref');
    table.primary(['initiative_id', 'kind', 'value']);
  });

  await knex.schema.createTable('revoked_image_exposures', table => {
    table.comment(
      'A revoked version seen running in an entity fleet, until replaced',
    );
    table.string('version_id', 160).notNullable().comment('<family>@<n>');
    table.string('entity_ref', 255).notNullable();
    table.timestamp('revoked_at', { useTz: true }).notNullable();
    table.timestamp('first_seen_at', { useTz: true }).notNullable();
    table.timestamp('replaced_at', { useTz: true }).nullable();
    table.primary(['version_id', 'entity_ref']);
    table.index(['replaced_at'], 'revoked_image_exposures_replaced_idx');
  });

  await knex.schema.createTable('notifications_sent', table => {
    table.comment('Notifications sent, each once: the key says what and why');
    table.string('dedupe_key', 512).primary();
    table.string('recipient', 255).notNullable();
    table.string('reason', 64).notNullable();
    table.timestamp('sent_at', { useTz: true }).notNullable();
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('notifications_sent');
  await knex.schema.dropTable('revoked_image_exposures');
  await knex.schema.dropTable('initiative_scopes');
  await knex.schema.dropTable('initiatives');
  await knex.schema.dropTable('adoption_snapshots');
};
