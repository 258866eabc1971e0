import { useApi } from '@backstage/core-plugin-api';
import { ChannelHistoryPage } from '@immutable-infra/backstage-plugin-common';
import { immutableInfraApiRef } from '../../api';
import { PagedList, usePagedList } from '../shared';

/** Assignments per page, in the backend and in the table. */
export const CHANNEL_HISTORY_PAGE_SIZE = 25;

/**
 * The channel assignments of an image family, newest first, page by page;
 * nothing is asked for while the family is not known yet.
 */
export function useChannelHistory(
  family: string | undefined,
): PagedList<ChannelHistoryPage> {
  const api = useApi(immutableInfraApiRef);
  return usePagedList(
    family
      ? cursor =>
          api.getChannelHistory(family, {
            limit: CHANNEL_HISTORY_PAGE_SIZE,
            cursor,
          })
      : undefined,
    [api, family],
  );
}
