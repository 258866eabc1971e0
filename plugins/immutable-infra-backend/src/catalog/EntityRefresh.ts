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

/** Every entity of the catalog with an image family annotation. @internal */
export async function listEnrolledEntities(
  catalog: CatalogService,
  credentials: BackstageCredentials,
  fields?: string[],
): Promise<Entity[]> {
  const response = await catalog.getEntities(
    {
      filter: {
        [`metadata.annotations.${ANNOTATION_IMAGE_FAMILY}`]:
          CATALOG_FILTER_EXISTS,
      },
      fields,
    },
    { credentials },
  );
  return response.items;
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
