import { CompoundEntityRef } from '@backstage/catalog-model';
import { useApi } from '@backstage/core-plugin-api';
import { ImageAgeResponse } from '@immutable-infra/backstage-plugin-common';
import useAsyncRetry, { AsyncStateRetry } from 'react-use/esm/useAsyncRetry';
import { immutableInfraApiRef } from '../../api';

/** The age of the images the entity's fleet runs, against policy. */
export function useImageAge(
  entityRef: CompoundEntityRef,
): AsyncStateRetry<ImageAgeResponse> {
  const api = useApi(immutableInfraApiRef);
  const { kind, namespace, name } = entityRef;
  return useAsyncRetry(
    () => api.getImageAge({ kind, namespace, name }),
    [api, kind, namespace, name],
  );
}
