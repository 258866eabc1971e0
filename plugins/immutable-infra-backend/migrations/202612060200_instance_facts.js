// @ts-check

/**
 * What fleet sync reads of each instance beyond its EC2 description, for the
 * drift rules imdsv1-allowed, not-managed, logs-not-shipped and
 * interactive-session: EC2's metadata options, whether Systems Manager
 * manages it, the newest event of its log streams, and the latest
 * interactive session on it. A fact that could not be read is kept as
 * `unknown`, with why, so that no rule takes it as good.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('instances', table => {
    table
      .string('metadata_http_tokens', 16)
      .nullable()
      .comment("EC2 MetadataOptions.HttpTokens: 'required' or 'optional'");
    table
      .string('ssm_status', 16)
      .nullable()
      .comment('managed, unmanaged or unknown; null when not asked');
    table
      .string('log_group', 512)
      .nullable()
      .comment('The CloudWatch Logs group looked in; null when not asked');
    table.string('log_status', 16).nullable().comment('read or unknown');
    table
      .timestamp('log_last_event_at', { useTz: true })
      .nullable()
      .comment("Newest event of the instance's streams in the window");
    table.string('session_status', 16).nullable().comment('read or unknown');
    table.string('session_id', 128).nullable();
    table
      .string('session_owner', 512)
      .nullable()
      .comment('ARN of who opened the latest interactive session');
    table.timestamp('session_started_at', { useTz: true }).nullable();
    table
      .string('facts_unknown', 1024)
      .nullable()
      .comment('JSON: why each fact marked unknown could not be read');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('instances', table => {
    table.dropColumn('metadata_http_tokens');
    table.dropColumn('ssm_status');
    table.dropColumn('log_group');
    table.dropColumn('log_status');
    table.dropColumn('log_last_event_at');
    table.dropColumn('session_status');
    table.dropColumn('session_id');
    table.dropColumn('session_owner');
    table.dropColumn('session_started_at');
    table.dropColumn('facts_unknown');
  });
};
