import { CompoundEntityRef } from '@backstage/catalog-model';
import { useApi } from '@backstage/core-plugin-api';
import { DriftResponse } from '@immutable-infra/backstage-plugin-common';
import useAsyncRetry, { AsyncStateRetry } from 'react-use/esm/useAsyncRetry';
import { immutableInfraApiRef } from '../../api';
import { FINDINGS_SHOWN } from './DriftGroupPanel';

/**
 * The entity's drift findings by root cause, their counts and the sync: the
 * few findings of each group the tab shows, not the thousands of a large
 * fleet (megabytes to download and validate on the main thread).
 */
export function useDrift(
  entityRef: CompoundEntityRef,
): AsyncStateRetry<DriftResponse> {
  const api = useApi(immutableInfraApiRef);
  const { kind, namespace, name } = entityRef;
  return useAsyncRetry(
    () =>
      api.getDrift({ kind, namespace, name }, undefined, {
        findingsPerGroup: FINDINGS_SHOWN,
      }),
    [api, kind, namespace, name],
  );
}
