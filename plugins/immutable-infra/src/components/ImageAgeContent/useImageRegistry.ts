import { CompoundEntityRef } from '@backstage/catalog-model';
import { useApi } from '@backstage/core-plugin-api';
import {
  Channel,
  ChannelAssignment,
  ImageVersion,
} from '@immutable-infra/backstage-plugin-common';
import { useCallback, useEffect, useState } from 'react';
import { immutableInfraApiRef } from '../../api';

const PAGE_SIZE = 25;

export type RegistryState = {
  loading: boolean;
  error?: Error;
  family?: string;
  versions: ImageVersion[];
  nextCursor?: string;
  channels: Channel[];
  history: ChannelAssignment[];
  historyCursor?: string;
};

/**
 * Loads an entity's version history, channels and channel history, with
 * paging and a reload after each change.
 */
export function useImageRegistry(entity: CompoundEntityRef) {
  const api = useApi(immutableInfraApiRef);
  const [state, setState] = useState<RegistryState>({
    loading: true,
    versions: [],
    channels: [],
    history: [],
  });

  const reload = useCallback(async () => {
    setState(s => ({ ...s, loading: true, error: undefined }));
    try {
      const page = await api.listEntityImages(entity, { limit: PAGE_SIZE });
      const [channels, history] = await Promise.all([
        api.listChannels(page.family),
        api.getChannelHistory(page.family, { limit: PAGE_SIZE }),
      ]);
      setState({
        loading: false,
        family: page.family,
        versions: page.items,
        nextCursor: page.nextCursor,
        channels,
        history: history.items,
        historyCursor: history.nextCursor,
      });
    } catch (error) {
      setState(s => ({ ...s, loading: false, error: error as Error }));
    }
    // The entity ref's parts identify the entity.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, entity.kind, entity.namespace, entity.name]);

  useEffect(() => {
    reload();
  }, [reload]);

  const loadMoreVersions = useCallback(async () => {
    if (!state.nextCursor) {
      return;
    }
    const page = await api.listEntityImages(entity, {
      cursor: state.nextCursor,
      limit: PAGE_SIZE,
    });
    setState(s => ({
      ...s,
      versions: [...s.versions, ...page.items],
      nextCursor: page.nextCursor,
    }));
  }, [api, entity, state.nextCursor]);

  const loadMoreHistory = useCallback(async () => {
    if (!state.historyCursor || !state.family) {
      return;
    }
    const page = await api.getChannelHistory(state.family, {
      cursor: state.historyCursor,
      limit: PAGE_SIZE,
    });
    setState(s => ({
      ...s,
      history: [...s.history, ...page.items],
      historyCursor: page.nextCursor,
    }));
  }, [api, state.family, state.historyCursor]);

  return { state, reload, loadMoreVersions, loadMoreHistory };
}
