// @ts-check

/**
 * What the remediation policies did: an automatic rollout started for a
 * root cause of an entity (with the rollout's id, so its state is read from
 * `rollouts`), what observe mode would have replaced, and a root cause for
 * which automation stopped (it came back after automatic replacements) or
 * resumed. The daily limit, the loop stop and the Drift tab read it.
 *
 * Adds a table only: the previous version keeps working during a rolling
 * upgrade.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('remediation_actions', table => {
    table.comment(
      'What the remediation policies did, per entity and root cause',
    );
    table.bigIncrements('id').primary();
    table.string('entity_ref', 255).notNullable();
    table
      .string('kind', 16)
      .notNullable()
      .comment('started, observed, stopped or resumed');
    table.string('rule', 64).notNullable().comment('the drift rule id');
    table
      .string('root_cause', 512)
      .notNullable()
      .comment('the Drift tab group the action is about');
    table
      .string('environment', 255)
      .nullable()
      .comment('the environment of a started rollout');
    table
      .string('rollout_id', 36)
      .nullable()
      .comment('the automatic rollout started');
    table
      .string('account', 12)
      .nullable()
      .comment('the AWS account of a started rollout, when annotated');
    table
      .string('regions', 255)
      .nullable()
      .comment('the regions of a started rollout, comma-separated');
    table
      .string('instance_ids', 2400)
      .notNullable()
      .defaultTo('')
      .comment('the instances concerned, comma-separated, at most 100');
    table
      .string('detail', 1000)
      .notNullable()
      .defaultTo('')
      .comment('the policy, or why automation stopped and the likely source');
    table.timestamp('at', { useTz: true }).notNullable();
    table.index(['entity_ref', 'at'], 'remediation_actions_entity_idx');
    table.index(['kind', 'at'], 'remediation_actions_kind_idx');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('remediation_actions');
};
