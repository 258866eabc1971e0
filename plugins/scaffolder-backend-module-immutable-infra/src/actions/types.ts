import { AuthService } from '@backstage/backend-plugin-api';
import { ImmutableInfraApi } from '@immutable-infra/backstage-plugin-common';

/**
 * What the registry actions need: the plugin's client, and auth to call it
 * on behalf of the user running the template.
 *
 * @public
 */
export type RegistryActionOptions = {
  client: ImmutableInfraApi;
  auth: AuthService;
};
