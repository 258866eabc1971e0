// @ts-check

/**
 * The Auto Scaling groups an entity's annotation names, as each good sync
 * finds them (size, launch template version and its AMI, instances, target
 * groups), kept beside the launch templates: drift reads them, and rollouts
 * plan from them.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('entity_sync_state', table => {
    table
      .text('autoscaling_groups')
      .nullable()
      .comment('JSON: the annotated Auto Scaling groups as last seen');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('entity_sync_state', table => {
    table.dropColumn('autoscaling_groups');
  });
};
