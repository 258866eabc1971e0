import { ImageFamily } from '@immutable-infra/backstage-plugin-common';
import { Knex } from 'knex';
import { writeTransaction } from '../audit/writeTransaction';
import { FamilyRow, toFamily } from './rows';

/**
 * Outcome of enrolling a family.
 *
 * @internal
 */
export type EnrollResult =
  | { outcome: 'created' | 'existing'; family: ImageFamily }
  | { outcome: 'taken'; family: ImageFamily };

/**
 * Image families and the entity each belongs to.
 *
 * @internal
 */
export interface FamilyStore {
  getFamily(name: string): Promise<ImageFamily | undefined>;

  listFamilies(): Promise<ImageFamily[]>;

  /**
   * Registers a family for an entity. Enrolling a family the entity already
   * owns changes nothing; a family owned by another entity is `taken`.
   */
  enrollFamily(options: {
    name: string;
    entityRef: string;
    actor: string;
  }): Promise<EnrollResult>;
}

/**
 * Knex implementation of {@link FamilyStore}.
 *
 * @internal
 */
export class DatabaseFamilyStore implements FamilyStore {
  static create(options: { knex: Knex }): DatabaseFamilyStore {
    return new DatabaseFamilyStore(options.knex);
  }

  private constructor(private readonly db: Knex) {}

  async getFamily(name: string): Promise<ImageFamily | undefined> {
    const row = await this.db<FamilyRow>('image_families')
      .where({ name })
      .first();
    return row ? toFamily(row) : undefined;
  }

  async listFamilies(): Promise<ImageFamily[]> {
    const rows = await this.db<FamilyRow>('image_families').orderBy('name');
    return rows.map(toFamily);
  }

  async enrollFamily(options: {
    name: string;
    entityRef: string;
    actor: string;
  }): Promise<EnrollResult> {
    return writeTransaction<EnrollResult>(this.db, async trx => {
      const inserted = await trx('image_families')
        .insert({
          name: options.name,
          entity_ref: options.entityRef,
          created_at: trx.fn.now(),
        })
        .onConflict('name')
        .ignore()
        .returning('name');
      const row = await trx<FamilyRow>('image_families')
        .where({ name: options.name })
        .first();
      const family = toFamily(row!);
      if (inserted.length === 0) {
        return {
          result: {
            outcome:
              family.entityRef === options.entityRef ? 'existing' : 'taken',
            family,
          },
          readModelChanged: false,
        };
      }
      return {
        result: { outcome: 'created', family },
        readModelChanged: true,
        audit: [
          {
            actor: options.actor,
            action: 'family.enroll',
            entityRef: options.entityRef,
            subject: options.name,
            payload: { family: options.name },
          },
        ],
      };
    });
  }
}
