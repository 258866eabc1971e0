// @ts-check

/**
 * Fleet inventory: the instances found for each enrolled entity, and the
 * state of each entity's last sync.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('instances', table => {
    table.comment('EC2 instances of each entity, replaced by each good sync');
    table.bigIncrements('id').primary();
    table.string('entity_ref', 255).notNullable();
    table.string('instance_id', 32).notNullable();
    table.string('environment', 64).nullable();
    table.string('account', 32).nullable();
    table.string('region', 32).notNullable();
    table.string('image_id', 64).nullable();
    table.timestamp('launch_time', { useTz: true }).nullable();
    table.string('state', 32).nullable();
    table.string('launch_template_id', 64).nullable();
    table.string('launch_template_version', 16).nullable();
    table.string('asg', 255).nullable();
    table
      .string('ssh_exposure', 16)
      .notNullable()
      .defaultTo('none')
      .comment('none, restricted or world');
    table
      .text('ssh_sources')
      .nullable()
      .comment('JSON: CIDRs and groups allowed on port 22');
    table.string('key_name', 255).nullable();
    table.text('tags').nullable().comment('JSON object');
    table.timestamp('first_seen_at', { useTz: true }).notNullable();
    table.timestamp('last_seen_at', { useTz: true }).notNullable();
    table.unique(['entity_ref', 'region', 'instance_id'], {
      indexName: 'instances_entity_instance_uq',
    });
    table.index(['image_id'], 'instances_image_idx');
  });

  await knex.schema.createTable('entity_sync_state', table => {
    table.comment('Outcome of the last fleet sync of each entity');
    table.string('entity_ref', 255).primary();
    table.timestamp('last_attempt_at', { useTz: true }).notNullable();
    table.timestamp('last_success_at', { useTz: true }).nullable();
    table.string('status', 16).notNullable().comment('ok or failed');
    table.text('error').nullable();
    table
      .text('launch_templates')
      .nullable()
      .comment('JSON: the fleet launch templates as last seen');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('entity_sync_state');
  await knex.schema.dropTable('instances');
};
