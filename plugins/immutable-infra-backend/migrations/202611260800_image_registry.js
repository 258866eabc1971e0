// @ts-check

/**
 * The image registry: versions, their artifacts (AMIs), channels and the
 * append-only history of channel assignments.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('image_families', table => {
    table
      .integer('last_version')
      .notNullable()
      .defaultTo(0)
      .comment('Highest version number handed out; numbers never repeat');
  });

  await knex.schema.createTable('image_versions', table => {
    table.comment('Numbered, hashed machine image versions of a family');
    table.bigIncrements('id').primary();
    table
      .string('family', 128)
      .notNullable()
      .references('name')
      .inTable('image_families')
      .onDelete('RESTRICT');
    table.integer('version').notNullable();
    table
      .string('fingerprint', 128)
      .notNullable()
      .comment('The git commit the image was built from, or its digest');
    table
      .string('digest', 64)
      .notNullable()
      .comment('sha256 of the canonical manifest');
    table.string('git_repo', 512).nullable();
    table.string('git_commit', 64).nullable();
    table.string('build_url', 1024).nullable();
    table.string('packer_run_uuid', 64).nullable();
    table
      .string('parent', 255)
      .nullable()
      .comment('Base image as given: an AMI id or family@version');
    table
      .bigInteger('parent_version_id')
      .nullable()
      .references('id')
      .inTable('image_versions')
      .onDelete('SET NULL');
    table
      .string('source', 16)
      .notNullable()
      .defaultTo('registered')
      .comment('registered (API) or discovered (found in EC2)');
    table.string('state', 16).notNullable().defaultTo('active');
    table.timestamp('revoked_at', { useTz: true }).nullable();
    table.string('revoke_reason', 1024).nullable();
    table.string('revoked_by', 255).nullable();
    table
      .timestamp('missing_since', { useTz: true })
      .nullable()
      .comment('When discovery last found none of its AMIs in EC2');
    table
      .timestamp('created_at', { useTz: true })
      .notNullable()
      .defaultTo(knex.fn.now());
    table.unique(['family', 'version'], {
      indexName: 'image_versions_family_version_uq',
    });
    table.unique(['family', 'digest'], {
      indexName: 'image_versions_family_digest_uq',
    });
    table.index(['parent_version_id'], 'image_versions_parent_idx');
  });

  await knex.schema.createTable('image_artifacts', table => {
    table.comment('The provider images (AMIs) of a version, one per region');
    table.bigIncrements('id').primary();
    table
      .bigInteger('version_id')
      .notNullable()
      .references('id')
      .inTable('image_versions')
      .onDelete('CASCADE');
    table.string('provider', 16).notNullable().defaultTo('aws');
    table.string('account', 32).nullable();
    table.string('region', 32).notNullable();
    table.string('image_id', 64).notNullable();
    table.unique(['region', 'image_id'], {
      indexName: 'image_artifacts_region_image_uq',
    });
    table.index(['version_id'], 'image_artifacts_version_idx');
    table.index(['image_id'], 'image_artifacts_image_idx');
  });

  await knex.schema.createTable('channels', table => {
    table.comment('The version each channel (environment) of a family runs');
    table.bigIncrements('id').primary();
    table
      .string('family', 128)
      .notNullable()
      .references('name')
      .inTable('image_families')
      .onDelete('CASCADE');
    table.string('name', 64).notNullable();
    table
      .bigInteger('version_id')
      .notNullable()
      .references('id')
      .inTable('image_versions')
      .onDelete('RESTRICT');
    table.timestamp('updated_at', { useTz: true }).notNullable();
    table.string('updated_by', 255).notNullable();
    table.unique(['family', 'name'], { indexName: 'channels_family_name_uq' });
  });

  await knex.schema.createTable('channel_assignments', table => {
    table.comment('Append-only history of channel assignments');
    table.bigIncrements('id').primary();
    table.string('family', 128).notNullable();
    table.string('channel', 64).notNullable();
    table.bigInteger('from_version_id').nullable();
    table.bigInteger('to_version_id').notNullable();
    table.string('actor', 255).notNullable();
    table.string('kind', 16).notNullable().comment('assign or rollback');
    table.string('reason', 1024).nullable();
    table
      .timestamp('at', { useTz: true })
      .notNullable()
      .defaultTo(knex.fn.now());
    table.index(['family', 'channel', 'id'], 'channel_assignments_idx');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('channel_assignments');
  await knex.schema.dropTable('channels');
  await knex.schema.dropTable('image_artifacts');
  await knex.schema.dropTable('image_versions');
  await knex.schema.alterTable('image_families', table => {
    table.dropColumn('last_version');
  });
};
