import { CompoundEntityRef } from '@backstage/catalog-model';
import { useApi } from '@backstage/core-plugin-api';
import { ImageVersionPage } from '@immutable-infra/backstage-plugin-common';
import { immutableInfraApiRef } from '../../api';
import { PagedList, usePagedList } from '../shared';

/** Versions per page, in the backend and in the table. */
export const IMAGE_VERSIONS_PAGE_SIZE = 25;

/**
 * The versions of the entity's image family, newest first, page by page;
 * `lastPage.family` names the family.
 */
export function useImageVersions(
  entityRef: CompoundEntityRef,
): PagedList<ImageVersionPage> {
  const api = useApi(immutableInfraApiRef);
  const { kind, namespace, name } = entityRef;
  return usePagedList(
    cursor =>
      api.listEntityImages(
        { kind, namespace, name },
        { limit: IMAGE_VERSIONS_PAGE_SIZE, cursor },
      ),
    [api, kind, namespace, name],
  );
}
