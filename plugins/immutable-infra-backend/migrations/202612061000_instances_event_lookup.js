// @ts-check

/**
 * The drift events consumer finds the entities an event touches by instance
 * id and by Auto Scaling group: indexes for those reads, so that an event
 * costs a lookup, not a scan of every instance.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('instances', table => {
    table.index(['instance_id'], 'instances_instance_id_idx');
    table.index(['asg'], 'instances_asg_idx');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('instances', table => {
    table.dropIndex(['instance_id'], 'instances_instance_id_idx');
    table.dropIndex(['asg'], 'instances_asg_idx');
  });
};
