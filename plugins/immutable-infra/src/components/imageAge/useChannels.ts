import { useApi } from '@backstage/core-plugin-api';
import { Channel } from '@immutable-infra/backstage-plugin-common';
import useAsyncRetry, { AsyncStateRetry } from 'react-use/esm/useAsyncRetry';
import { immutableInfraApiRef } from '../../api';

/**
 * The channels of an image family; nothing is asked for while the family is
 * not known yet.
 */
export function useChannels(
  family: string | undefined,
): AsyncStateRetry<Channel[] | undefined> {
  const api = useApi(immutableInfraApiRef);
  return useAsyncRetry(
    async () => (family ? api.listChannels(family) : undefined),
    [api, family],
  );
}
