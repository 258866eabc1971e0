import { CompoundEntityRef } from '@backstage/catalog-model';
import { useApi } from '@backstage/core-plugin-api';
import { InstancePage } from '@immutable-infra/backstage-plugin-common';
import { immutableInfraApiRef } from '../../api';
import { PagedList, usePagedList } from '../shared';

/** Instances per page, in the backend and in the table. */
export const INSTANCES_PAGE_SIZE = 25;

/** The entity's fleet, page by page; `lastPage.total` counts them all. */
export function useInstances(
  entityRef: CompoundEntityRef,
): PagedList<InstancePage> {
  const api = useApi(immutableInfraApiRef);
  const { kind, namespace, name } = entityRef;
  return usePagedList(
    cursor =>
      api.listInstances(
        { kind, namespace, name },
        { limit: INSTANCES_PAGE_SIZE, cursor },
      ),
    [api, kind, namespace, name],
  );
}
