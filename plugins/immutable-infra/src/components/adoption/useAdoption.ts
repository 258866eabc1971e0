import { useApi } from '@backstage/core-plugin-api';
import {
  ADOPTION_GROUPINGS,
  ADOPTION_LEVELS,
  ADOPTION_SORTS,
  AdoptionHistoryResponse,
  adoptionQueryParams,
  AdoptionResponse,
  AdoptionViewRequest,
} from '@immutable-infra/backstage-plugin-common';
import { useCallback, useMemo } from 'react';
import { useSearchParams } from 'react-router-dom';
import useAsyncRetry, { AsyncStateRetry } from 'react-use/esm/useAsyncRetry';
import { immutableInfraApiRef } from '../../api';

const list = (value: string | null) =>
  value
    ? value
        .split(',')
        .map(v => v.trim())
        .filter(Boolean)
    : undefined;

function oneOf<T extends string>(
  values: readonly T[],
  value: string | null,
): T | undefined {
  return values.find(v => v === value);
}

/**
 * The adoption view the page shows, kept in its URL so that a view can be
 * shared: filters, grouping, sort and page. Values the API would refuse
 * are dropped.
 */
export function useAdoptionView(): [
  AdoptionViewRequest,
  (change: Partial<AdoptionViewRequest>) => void,
] {
  const [params, setParams] = useSearchParams();
  const key = params.toString();
  const view = useMemo<AdoptionViewRequest>(() => {
    const enrolled = params.get('enrolled');
    const limit = Number(params.get('limit'));
    return {
      owner: list(params.get('owner')),
      system: list(params.get('system')),
      domain: list(params.get('domain')),
      lifecycle: list(params.get('lifecycle')),
      type: list(params.get('type')),
      level: list(params.get('level'))?.filter(
        (l): l is (typeof ADOPTION_LEVELS)[number] =>
          (ADOPTION_LEVELS as readonly string[]).includes(l),
      ),
      enrolled: enrolled === null ? undefined : enrolled === 'true',
      groupBy: oneOf(ADOPTION_GROUPINGS, params.get('groupBy')),
      sort: oneOf(ADOPTION_SORTS, params.get('sort')),
      order: oneOf(['asc', 'desc'] as const, params.get('order')),
      cursor: /^\d{1,15}$/.test(params.get('cursor') ?? '')
        ? params.get('cursor')!
        : undefined,
      limit: limit >= 1 && limit <= 500 ? limit : undefined,
    };
    // The params object changes identity on every render.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  const update = useCallback(
    (change: Partial<AdoptionViewRequest>) => {
      // Another filter or sort starts again from the first page.
      const next = { ...view, cursor: undefined, ...change };
      setParams(adoptionQueryParams(next), { replace: false });
    },
    [view, setParams],
  );
  return [view, update];
}

/** The figures, roll-ups and page of services of a view. */
export function useAdoption(
  view: AdoptionViewRequest,
): AsyncStateRetry<AdoptionResponse> {
  const api = useApi(immutableInfraApiRef);
  const key = JSON.stringify(adoptionQueryParams(view));
  // eslint-disable-next-line react-hooks/exhaustive-deps
  return useAsyncRetry(() => api.getAdoption(view), [api, key]);
}

/** The view's figures of each of the last 90 days (its filters only). */
export function useAdoptionHistory(
  view: AdoptionViewRequest,
): AsyncStateRetry<AdoptionHistoryResponse> {
  const api = useApi(immutableInfraApiRef);
  const filters = {
    owner: view.owner,
    system: view.system,
    domain: view.domain,
    lifecycle: view.lifecycle,
    type: view.type,
    level: view.level,
    enrolled: view.enrolled,
  };
  const key = JSON.stringify(adoptionQueryParams(filters));
  return useAsyncRetry(
    () => api.getAdoptionHistory({ ...filters, days: 90 }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [api, key],
  );
}
