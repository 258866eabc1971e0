import { Knex } from 'knex';

/**
 * The one definition of a family's `latest`: its active version built last,
 * the highest number among those built at the same time. By build time, not
 * number: discovery may number an old AMI after newer registered ones. Both
 * queries below order by it; an index on `(family, state, created_at,
 * version)` serves them.
 */
const LATEST_ORDER = [
  { column: 'created_at', order: 'desc' },
  { column: 'version', order: 'desc' },
] as const;

/**
 * The latest version row of one family (id, family, version, state,
 * created_at), read through the index: one entry whatever the family's size.
 *
 * @internal
 */
export function latestVersionOf(db: Knex, family: string) {
  return db('image_versions')
    .where({ family, state: 'active' })
    .orderBy([...LATEST_ORDER])
    .first('id', 'family', 'version', 'state', 'created_at');
}

/**
 * A query of the ids of every family's latest version, to join on when
 * every family is read at once (the read model's view).
 *
 * @internal
 */
export function latestVersionIds(db: Knex): Knex.QueryBuilder {
  const ranked = db('image_versions')
    .where('state', 'active')
    .select(
      'id',
      db.raw(
        `row_number() over (partition by ?? order by ${LATEST_ORDER.map(
          o => `?? ${o.order}`,
        ).join(', ')}) as ??`,
        ['family', ...LATEST_ORDER.map(o => o.column), 'newest'],
      ),
    );
  return db
    .from(ranked.as('ranked'))
    .where('ranked.newest', 1)
    .select('ranked.id');
}
