// @ts-check

/**
 * A family's `latest` is its active version built last: this index finds it
 * by reading one entry, whatever the size of the family.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('image_versions', table => {
    table.index(
      ['family', 'state', 'created_at', 'version'],
      'image_versions_latest_idx',
    );
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('image_versions', table => {
    table.dropIndex([], 'image_versions_latest_idx');
  });
};
