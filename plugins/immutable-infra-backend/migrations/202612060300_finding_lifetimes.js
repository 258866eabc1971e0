// @ts-check

/**
 * How long drift lives: each drift finding's life, from the sync that first
 * found it (by the poll or after an event) to the good sync that no longer
 * did, and why it went (its instance replaced by a rollout, automatic or
 * not; terminated otherwise; the rule no longer applying). The per-service
 * drift lifetime and the adoption figures "drift lifetime" and "erased
 * automatically" are taken from it; the snapshots keep each component's
 * figures of the 30 days before their day. The days of figures kept before
 * lack the new ones: they are emptied, and the snapshot task's first run
 * computes them again.
 *
 * Adds tables and columns only: the previous version keeps working during a
 * rolling upgrade.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('finding_lifetimes', table => {
    table.comment('The life of each drift finding, from first seen to gone');
    table.bigIncrements('id').primary();
    table.string('entity_ref', 255).notNullable();
    table.string('rule', 64).notNullable().comment('the drift rule id');
    table
      .string('root_cause', 512)
      .notNullable()
      .comment('findings with the same root cause are one problem');
    table
      .string('instance_id', 64)
      .nullable()
      .comment('the instance of the finding; none for a template or group');
    table.string('environment', 255).nullable();
    table.timestamp('first_seen_at', { useTz: true }).notNullable();
    table
      .string('seen_by', 8)
      .notNullable()
      .comment('poll or event: what triggered the sync that found it');
    table
      .timestamp('gone_at', { useTz: true })
      .nullable()
      .comment('the good sync that no longer found it; open while null');
    table
      .string('gone_by', 16)
      .nullable()
      .comment('replaced, terminated or resolved');
    table
      .string('rollout_id', 36)
      .nullable()
      .comment('the rollout that replaced its instance');
    table
      .boolean('automatic')
      .nullable()
      .comment('whether that rollout was started by the remediation policy');
    table
      .string('open_key', 64)
      .nullable()
      .unique({ indexName: 'finding_lifetimes_open_key' })
      .comment(
        'sha256 of entity, rule, root cause and instance while open: one open life per finding',
      );
    table.index(['entity_ref', 'gone_at'], 'finding_lifetimes_entity_idx');
    table.index(['gone_at'], 'finding_lifetimes_gone_idx');
  });

  await knex.schema.alterTable('adoption_snapshots', table => {
    table
      .integer('drift_lifetime_p50_minutes')
      .nullable()
      .comment('median life of its findings gone in the 30 days before');
    table
      .integer('drift_lifetime_p95_minutes')
      .nullable()
      .comment('p95 life of its findings gone in the 30 days before');
    table
      .integer('findings_gone')
      .notNullable()
      .defaultTo(0)
      .comment('its findings gone in the 30 days before');
    table
      .integer('findings_erased_automatically')
      .notNullable()
      .defaultTo(0)
      .comment('of those, replaced by an automatic rollout');
  });

  await knex('adoption_daily_figures').delete();
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('adoption_snapshots', table => {
    table.dropColumn('drift_lifetime_p50_minutes');
    table.dropColumn('drift_lifetime_p95_minutes');
    table.dropColumn('findings_gone');
    table.dropColumn('findings_erased_automatically');
  });
  await knex.schema.dropTable('finding_lifetimes');
  await knex('adoption_daily_figures').delete();
};
