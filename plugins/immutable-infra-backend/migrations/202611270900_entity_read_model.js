// @ts-check

/**
 * The read side of entity pages, so a page costs one query:
 * - entity_snapshots: what the catalog says of each enrolled entity (its
 *   immutable-infra annotations and owner), refreshed from the catalog; the
 *   caller's right to read the entity is still checked on each request.
 * - entity_sync_state.instances: the entity's instances as last synced, as
 *   one document written with the instance rows.
 * - read_model_state.generation: bumped by every change to the registry or
 *   to the snapshots, so a process may keep those in memory and know, with
 *   the same query, whether they are current.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('entity_snapshots', table => {
    table.comment('Enrolled catalog entities as last read from the catalog');
    table.string('entity_ref', 255).primary();
    table
      .text('annotations')
      .notNullable()
      .comment('JSON: the entity annotations under immutable-infra.io/');
    table
      .string('name', 255)
      .notNullable()
      .comment('metadata.name as written (refs are lowercased)');
    table.string('owner', 255).nullable();
    table.timestamp('refreshed_at', { useTz: true }).notNullable();
  });

  await knex.schema.alterTable('entity_sync_state', table => {
    table
      .text('instances')
      .nullable()
      .comment('JSON: the instances of the last good sync, for page reads');
  });

  await knex.schema.createTable('read_model_state', table => {
    table.comment('One row: the generation of the registry and snapshots');
    table.integer('id').primary();
    table
      .bigInteger('generation')
      .notNullable()
      .defaultTo(0)
      .comment('Bumped by every change to the registry or the snapshots');
  });
  await knex('read_model_state').insert({ id: 1, generation: 0 });

  // A family's latest is its active version built last.
  await knex.schema.alterTable('image_versions', table => {
    table.index(['family', 'created_at'], 'image_versions_built_idx');
  });
  // SQLite compares timestamps as text: bring versions registered without a
  // build time ("YYYY-MM-DD HH:MM:SS", UTC) to ISO 8601 like the others.
  if (['better-sqlite3', 'sqlite3'].includes(knex.client.config.client)) {
    await knex('image_versions')
      .where('created_at', 'like', '____-__-__ __:__:__')
      .update({
        created_at: knex.raw("replace(created_at, ' ', 'T') || '.000Z'"),
      });
  }
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('image_versions', table => {
    table.dropIndex(['family', 'created_at'], 'image_versions_built_idx');
  });
  await knex.schema.dropTable('read_model_state');
  await knex.schema.alterTable('entity_sync_state', table => {
    table.dropColumn('instances');
  });
  await knex.schema.dropTable('entity_snapshots');
};
