import { CompoundEntityRef } from '@backstage/catalog-model';
import { useApi } from '@backstage/core-plugin-api';
import { DriftResponse } from '@immutable-infra/backstage-plugin-common';
import { useEffect } from 'react';
import useAsyncRetry, { AsyncStateRetry } from 'react-use/esm/useAsyncRetry';
import { immutableInfraApiRef } from '../../api';
import { FINDINGS_SHOWN } from './DriftGroupPanel';

/**
 * How often the open Drift tab reads the drift again: AWS events find drift
 * in seconds and a policy may erase it in seconds more, so the tab follows
 * without a reload (not while the page is hidden).
 */
export const DRIFT_REFRESH_MS = 10_000;

/**
 * The entity's drift findings by root cause, their counts and the sync: the
 * few findings of each group the tab shows, not the thousands of a large
 * fleet (megabytes to download and validate on the main thread). Read
 * again every {@link DRIFT_REFRESH_MS}.
 */
export function useDrift(
  entityRef: CompoundEntityRef,
): AsyncStateRetry<DriftResponse> {
  const api = useApi(immutableInfraApiRef);
  const { kind, namespace, name } = entityRef;
  const state = useAsyncRetry(
    () =>
      api.getDrift({ kind, namespace, name }, undefined, {
        findingsPerGroup: FINDINGS_SHOWN,
      }),
    [api, kind, namespace, name],
  );
  const { loading, retry } = state;
  useEffect(() => {
    if (loading) {
      return undefined;
    }
    const timer = setTimeout(function again() {
      if (document.visibilityState === 'hidden') {
        // Asked again once the page shows.
        document.addEventListener('visibilitychange', retry, { once: true });
        return;
      }
      retry();
    }, DRIFT_REFRESH_MS);
    return () => {
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', retry);
    };
  }, [loading, retry]);
  return state;
}
