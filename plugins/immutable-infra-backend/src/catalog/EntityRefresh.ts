import {
  AuthService,
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import { Entity } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { ANNOTATION_IMAGE_FAMILY } from '@immutable-infra/backstage-plugin-common';
import { EntitySnapshotStore } from './EntitySnapshotStore';

/**
 * Entities of one page of the catalog's paged query: the catalog is read a
 * page at a time, never in one answer of the whole catalog.
 *
 * @internal
 */
export const ENTITY_PAGE_SIZE = 500;

/**
 * Every entity of the catalog with an image family annotation, read in
 * pages of {@link ENTITY_PAGE_SIZE} (`queryEntities`, each page's cursor
 * followed).
 *
 * @internal
 */
export async function listEnrolledEntities(
  catalog: CatalogService,
  credentials: BackstageCredentials,
  fields?: string[],
  pageSize: number = ENTITY_PAGE_SIZE,
): Promise<Entity[]> {
  const entities: Entity[] = [];
  let cursor: string | undefined;
  do {
    const page = await catalog.queryEntities(
      cursor
        ? { cursor, limit: pageSize, fields }
        : {
            filter: {
              [`metadata.annotations.${ANNOTATION_IMAGE_FAMILY}`]:
                CATALOG_FILTER_EXISTS,
            },
            fields,
            limit: pageSize,
            // Only the pages are wanted, not the count of them.
            totalItems: 'exclude',
          },
      { credentials },
    );
    entities.push(...page.items);
    cursor = page.pageInfo.nextCursor;
  } while (cursor);
  return entities;
}

/**
 * Keeps the plugin's copy of enrolled entities in step with the catalog:
 * annotation changes, new enrolments and removed entities show within one
 * run's period.
 *
 * @internal
 */
export class EntityRefresh {
  constructor(
    private readonly options: {
      catalog: CatalogService;
      auth: AuthService;
      snapshots: EntitySnapshotStore;
      logger: LoggerService;
    },
  ) {}

  async run(): Promise<{ written: number; removed: number }> {
    const entities = await listEnrolledEntities(
      this.options.catalog,
      await this.options.auth.getOwnServiceCredentials(),
      [
        'kind',
        'metadata.name',
        'metadata.namespace',
        'metadata.annotations',
        'spec.owner',
      ],
    );
    const outcome = await this.options.snapshots.replaceSnapshots(entities);
    // One line per run, so operators see which replica ran it.
    this.options.logger.info(
      `Entity refresh: ${entities.length} enrolled entities, ${outcome.written} written, ${outcome.removed} removed`,
    );
    return outcome;
  }
}
