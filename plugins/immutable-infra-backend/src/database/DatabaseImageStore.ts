import { ImageFamily } from '@immutable-infra/backstage-plugin-common';
import { Knex } from 'knex';
import { writeAuditEvent } from './auditLog';
import { EnrollResult, ImageStore } from './ImageStore';

type FamilyRow = {
  name: string;
  entity_ref: string;
  created_at: string | Date;
};

function toIso(value: string | Date): string {
  // SQLite hands timestamps back as "YYYY-MM-DD HH:MM:SS" strings in UTC.
  if (value instanceof Date) {
    return value.toISOString();
  }
  return new Date(
    /[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value.replace(' ', 'T')}Z`,
  ).toISOString();
}

function toFamily(row: FamilyRow): ImageFamily {
  return {
    name: row.name,
    entityRef: row.entity_ref,
    createdAt: toIso(row.created_at),
  };
}

/**
 * Knex implementation of {@link ImageStore} for PostgreSQL and SQLite.
 *
 * @internal
 */
export class DatabaseImageStore implements ImageStore {
  static create(options: { knex: Knex }): DatabaseImageStore {
    return new DatabaseImageStore(options.knex);
  }

  private constructor(private readonly db: Knex) {}

  async getFamily(name: string): Promise<ImageFamily | undefined> {
    const row = await this.db<FamilyRow>('image_families')
      .where({ name })
      .first();
    return row ? toFamily(row) : undefined;
  }

  async enrollFamily(options: {
    name: string;
    entityRef: string;
    actor: string;
  }): Promise<EnrollResult> {
    return this.db.transaction(async trx => {
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
          outcome:
            family.entityRef === options.entityRef ? 'existing' : 'taken',
          family,
        };
      }
      await writeAuditEvent(trx, {
        actor: options.actor,
        action: 'family.enroll',
        entityRef: options.entityRef,
        subject: options.name,
        payload: { family: options.name },
      });
      return { outcome: 'created', family };
    });
  }
}
