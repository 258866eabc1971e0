import { AuthService } from '@backstage/backend-plugin-api';
import { ActionContext } from '@backstage/plugin-scaffolder-node';
import {
  IMMUTABLE_INFRA_PLUGIN_ID,
  ImmutableInfraRequestOptions,
} from '@immutable-infra/backstage-plugin-common';

/**
 * The options every action passes to the Immutable Infra client: a token for
 * the backend on behalf of the user running the template, so that their
 * permissions apply rather than the scaffolder's.
 */
export async function backendRequestOptions(
  auth: AuthService,
  ctx: Pick<ActionContext<any, any>, 'getInitiatorCredentials'>,
): Promise<ImmutableInfraRequestOptions> {
  const { token } = await auth.getPluginRequestToken({
    onBehalfOf: await ctx.getInitiatorCredentials(),
    targetPluginId: IMMUTABLE_INFRA_PLUGIN_ID,
  });
  return { token };
}
