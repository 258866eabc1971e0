import { CompoundEntityRef } from '@backstage/catalog-model';
import { useApi } from '@backstage/core-plugin-api';
import {
  FINISHED_ROLLOUT_STATES,
  Rollout,
  RolloutPage,
} from '@immutable-infra/backstage-plugin-common';
import { useEffect } from 'react';
import useAsyncRetry, { AsyncStateRetry } from 'react-use/esm/useAsyncRetry';
import { immutableInfraApiRef } from '../../api';
import { PagedList, usePagedList } from '../shared';

/** Rollouts per page of the history. */
export const ROLLOUTS_PAGE_SIZE = 10;

/** How often a rollout that has not ended is read again. */
export const ROLLOUT_REFRESH_MS = 3_000;

/** The entity's rollouts, newest first, page by page. */
export function useRollouts(
  entityRef: CompoundEntityRef,
): PagedList<RolloutPage> {
  const api = useApi(immutableInfraApiRef);
  const { kind, namespace, name } = entityRef;
  return usePagedList(
    cursor =>
      api.listEntityRollouts(
        { kind, namespace, name },
        { cursor, limit: ROLLOUTS_PAGE_SIZE },
      ),
    [api, kind, namespace, name],
  );
}

/**
 * One rollout with its timeline, read again every few seconds until it has
 * ended, so the page follows it without a reload.
 */
export function useRollout(
  id: string | undefined,
): AsyncStateRetry<Rollout | undefined> {
  const api = useApi(immutableInfraApiRef);
  const state = useAsyncRetry(
    async () => (id ? api.getRollout(id) : undefined),
    [api, id],
  );
  const { value, loading, retry } = state;
  const live =
    value !== undefined && !FINISHED_ROLLOUT_STATES.includes(value.state);
  useEffect(() => {
    if (!id || loading || (value && !live)) {
      return undefined;
    }
    const timer = setTimeout(retry, ROLLOUT_REFRESH_MS);
    return () => clearTimeout(timer);
  }, [id, loading, live, value, retry]);
  return state;
}
