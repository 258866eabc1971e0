import { CompoundEntityRef } from '@backstage/catalog-model';
import { useApi } from '@backstage/core-plugin-api';
import { DriftResponse } from '@immutable-infra/backstage-plugin-common';
import useAsyncRetry, { AsyncStateRetry } from 'react-use/esm/useAsyncRetry';
import { immutableInfraApiRef } from '../../api';

/** The entity's drift findings by root cause, their counts and the sync. */
export function useDrift(
  entityRef: CompoundEntityRef,
): AsyncStateRetry<DriftResponse> {
  const api = useApi(immutableInfraApiRef);
  const { kind, namespace, name } = entityRef;
  return useAsyncRetry(
    () => api.getDrift({ kind, namespace, name }),
    [api, kind, namespace, name],
  );
}
