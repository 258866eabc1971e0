import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { backendRequestOptions } from './backendRequestOptions';

describe('backendRequestOptions', () => {
  it('asks for a token for the immutable-infra plugin on behalf of the user running the template', async () => {
    const auth = mockServices.auth.mock({
      getPluginRequestToken: async () => ({ token: 'user-token' }),
    });
    const credentials = mockCredentials.user('user:default/jane');

    await expect(
      backendRequestOptions(auth, {
        getInitiatorCredentials: async () => credentials,
      }),
    ).resolves.toEqual({ token: 'user-token' });
    expect(auth.getPluginRequestToken).toHaveBeenCalledWith({
      onBehalfOf: credentials,
      targetPluginId: 'immutable-infra',
    });
  });
});
