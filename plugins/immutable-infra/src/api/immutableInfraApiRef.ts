import { createApiRef } from '@backstage/core-plugin-api';
import { ImmutableInfraApi } from '@immutable-infra/backstage-plugin-common';

/**
 * The Immutable Infra backend client, as a Backstage utility API.
 *
 * @public
 */
export const immutableInfraApiRef = createApiRef<ImmutableInfraApi>({
  id: 'plugin.immutable-infra.api',
});
