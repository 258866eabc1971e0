import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { backendRequestOptions } from './backendRequestOptions';

describe('backendRequestOptions', () => {
  // The scaffolder's auth issues the token; the backends' own auth reads it.
  const scaffolderAuth = mockServices.auth({ pluginId: 'scaffolder' });
  const options = (credentials: ReturnType<typeof mockCredentials.user>) =>
    backendRequestOptions(scaffolderAuth, {
      getInitiatorCredentials: async () => credentials,
    });

  it('gives a token the immutable-infra backend reads as the user running the template', async () => {
    const { token } = await options(mockCredentials.user('user:default/jane'));
    const seen = await mockServices
      .auth({ pluginId: 'immutable-infra' })
      .authenticate(token!);
    expect(seen.principal).toEqual({
      type: 'user',
      userEntityRef: 'user:default/jane',
    });
  });

  it('gives a token no other plugin accepts', async () => {
    const { token } = await options(mockCredentials.user('user:default/jane'));
    await expect(
      mockServices.auth({ pluginId: 'catalog' }).authenticate(token!),
    ).rejects.toThrow(
      "Invalid mock token target plugin ID, got 'immutable-infra' but expected 'catalog'",
    );
  });
});
