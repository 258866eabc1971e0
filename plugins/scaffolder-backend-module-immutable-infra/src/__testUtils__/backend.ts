import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import immutableInfraBackendPlugin from '@immutable-infra/backstage-plugin-backend';
import { ImmutableInfraClient } from '@immutable-infra/backstage-plugin-common';

/**
 * The real Immutable Infra backend plugin, started in-process on SQLite, and
 * what the actions need to call it: a client and the scaffolder's auth.
 */
export async function startImmutableInfraBackend(options?: {
  deny?: boolean;
  entities?: string[];
}) {
  const { server } = await startTestBackend({
    features: [
      immutableInfraBackendPlugin,
      catalogServiceMock.factory({
        entities: (options?.entities ?? []).map(name => ({
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Component',
          metadata: {
            name,
            namespace: 'default',
            annotations: { 'immutable-infra.io/image-family': name },
          },
          spec: {},
        })),
      }),
      ...(options?.deny
        ? [mockServices.permissions.factory({ result: AuthorizeResult.DENY })]
        : []),
    ],
  });
  const baseUrl = `http://localhost:${server.port()}/api/immutable-infra`;
  return {
    client: new ImmutableInfraClient({
      discoveryApi: { getBaseUrl: async () => baseUrl },
    }),
    auth: mockServices.auth({ pluginId: 'scaffolder' }),
  };
}
