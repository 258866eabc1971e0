import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import immutableInfraBackendPlugin from '@immutable-infra/backstage-plugin-backend';
import { ImmutableInfraClient } from '@immutable-infra/backstage-plugin-common';
import { backendRequestOptions } from '../actions/backendRequestOptions';
import { RegistryActionOptions } from '../actions/types';

/**
 * The real Immutable Infra backend plugin, started in-process on SQLite, and
 * what the actions need to call it: a client and the scaffolder's auth.
 * `entities` are catalog components annotated with the family of their name;
 * `enroll` are families enrolled for `component:default/<family>` before the
 * test starts.
 */
export async function startImmutableInfraBackend(options?: {
  deny?: boolean;
  entities?: string[];
  enroll?: string[];
}): Promise<RegistryActionOptions> {
  const { server } = await startTestBackend({
    features: [
      immutableInfraBackendPlugin,
      // No cloud to ask whether the test AMIs exist: run as a portal with no
      // AWS access, where the operator turns that check off.
      mockServices.rootConfig.factory({
        data: {
          immutableInfra: { registration: { verifyArtifacts: false } },
        },
      }),
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
  const client = new ImmutableInfraClient({
    discoveryApi: { getBaseUrl: async () => baseUrl },
  });
  const auth = mockServices.auth({ pluginId: 'scaffolder' });
  for (const name of options?.enroll ?? []) {
    await client.enroll(
      { name, entityRef: `component:default/${name}` },
      await backendRequestOptions(auth, {
        getInitiatorCredentials: async () => mockCredentials.user(),
      }),
    );
  }
  return { client, auth };
}

/**
 * Registers a version of `family` made of one AMI in us-east-1 (the `n`th
 * test AMI), directly through the client, and returns its id.
 */
export async function registerVersion(
  deps: RegistryActionOptions,
  options: { family: string; n: number; parent?: string },
): Promise<string> {
  const { version } = await deps.client.registerImage(
    {
      family: options.family,
      artifacts: [{ region: 'us-east-1', imageId: testAmi(options.n) }],
      parent: options.parent,
    },
    await backendRequestOptions(deps.auth, {
      getInitiatorCredentials: async () => mockCredentials.user(),
    }),
  );
  return version.id;
}

/** The `n`th test AMI id. */
export function testAmi(n: number) {
  return `ami-${n.toString(16).padStart(17, '0')}`;
}
