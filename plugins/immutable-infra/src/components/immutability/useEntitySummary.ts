import { CompoundEntityRef } from '@backstage/catalog-model';
import { useApi } from '@backstage/core-plugin-api';
import { EntitySummary } from '@immutable-infra/backstage-plugin-common';
import useAsyncRetry, { AsyncStateRetry } from 'react-use/esm/useAsyncRetry';
import { immutableInfraApiRef } from '../../api';

/** The entity's enrolment, blueprint, score and versions per environment. */
export function useEntitySummary(
  entityRef: CompoundEntityRef,
): AsyncStateRetry<EntitySummary> {
  const api = useApi(immutableInfraApiRef);
  const { kind, namespace, name } = entityRef;
  return useAsyncRetry(
    () => api.getEntitySummary({ kind, namespace, name }),
    [api, kind, namespace, name],
  );
}
