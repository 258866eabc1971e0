import { Knex } from 'knex';

/**
 * The one definition of a family's `latest`: its active version built last,
 * the highest number among those built at the same time. By build time, not
 * number: discovery may number an old AMI after newer registered ones.
 * Answers a query of the ids of the latest versions (of `families`, or of
 * every family), to join or filter on.
 *
 * @internal
 */
export function latestVersionIds(
  db: Knex,
  families?: string[],
): Knex.QueryBuilder {
  const ranked = db('image_versions')
    .where('state', 'active')
    .select(
      'id',
      db.raw(
        'row_number() over (partition by ?? order by ?? desc, ?? desc) as ??',
        ['family', 'created_at', 'version', 'newest'],
      ),
    );
  if (families) {
    ranked.whereIn('family', families);
  }
  return db
    .from(ranked.as('ranked'))
    .where('ranked.newest', 1)
    .select('ranked.id');
}
