// @ts-check

/**
 * Image families and the append-only audit log.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('image_families', table => {
    table.comment('Lines of machine images, one per enrolled service');
    table
      .string('name', 128)
      .primary()
      .notNullable()
      .comment('Family name, as in the image-family annotation');
    table
      .string('entity_ref', 255)
      .notNullable()
      .comment('The catalog entity that owns the family');
    table
      .timestamp('created_at', { useTz: true })
      .notNullable()
      .defaultTo(knex.fn.now());
    table.index(['entity_ref'], 'image_families_entity_ref_idx');
  });

  await knex.schema.createTable('audit_events', table => {
    table.comment('Append-only record of every mutation');
    table.bigIncrements('id').primary();
    table
      .string('actor', 255)
      .notNullable()
      .comment('User or service entity ref that made the change');
    table.string('action', 64).notNullable();
    table.string('entity_ref', 255).nullable();
    table.string('subject', 255).nullable();
    table.text('payload').nullable().comment('JSON details of the change');
    table
      .timestamp('at', { useTz: true })
      .notNullable()
      .defaultTo(knex.fn.now());
    table.index(['entity_ref', 'id'], 'audit_events_entity_ref_idx');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('audit_events');
  await knex.schema.dropTable('image_families');
};
