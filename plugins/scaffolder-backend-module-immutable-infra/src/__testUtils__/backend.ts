import { DiscoveryService } from '@backstage/backend-plugin-api';
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
import { periodicSchedulerFactory } from './periodicScheduler';

/** A catalog component of the test backend: a name, or one with more annotations. */
export type TestEntity =
  | string
  | { name: string; annotations: Record<string, string> };

/**
 * The real Immutable Infra backend plugin, started in-process on SQLite, and
 * what the actions need to call it: a client, the scaffolder's auth and
 * discovery. `entities` are catalog components annotated with the family of
 * their name; `enroll` are families enrolled for `component:default/<family>`
 * before the test starts. With `ec2Endpoint` the backend reaches AWS through
 * that emulator and its scheduled tasks run at their frequency (the rollout
 * engine every 200 ms), so rollouts move on by themselves; `syncFleet` then
 * syncs the inventory at once.
 */
export async function startImmutableInfraBackend(options?: {
  deny?: boolean;
  entities?: TestEntity[];
  enroll?: string[];
  ec2Endpoint?: string;
}): Promise<
  RegistryActionOptions & {
    discovery: DiscoveryService;
    syncFleet(): Promise<void>;
  }
> {
  const emulator = options?.ec2Endpoint
    ? {
        aws: {
          mainAccount: { accessKeyId: 'testing', secretAccessKey: 'testing' },
        },
        immutableInfra: {
          aws: { endpoint: options.ec2Endpoint, maxAttempts: 1 },
          rollouts: { frequency: { milliseconds: 200 } },
        },
      }
    : undefined;
  const { server } = await startTestBackend({
    features: [
      immutableInfraBackendPlugin,
      // No cloud to ask whether the test AMIs exist: run as a portal with no
      // AWS access, where the operator turns that check off.
      mockServices.rootConfig.factory({
        data: {
          ...emulator,
          immutableInfra: {
            ...emulator?.immutableInfra,
            registration: { verifyArtifacts: false },
          },
        },
      }),
      catalogServiceMock.factory({
        entities: (options?.entities ?? []).map(entity => {
          const { name, annotations } =
            typeof entity === 'string'
              ? { name: entity, annotations: {} }
              : entity;
          return {
            apiVersion: 'backstage.io/v1alpha1',
            kind: 'Component',
            metadata: {
              name,
              namespace: 'default',
              annotations: {
                'immutable-infra.io/image-family': name,
                ...annotations,
              },
            },
            spec: {},
          };
        }),
      }),
      ...(options?.deny
        ? [mockServices.permissions.factory({ result: AuthorizeResult.DENY })]
        : []),
      ...(emulator ? [periodicSchedulerFactory()] : []),
    ],
  });
  const baseUrl = `http://localhost:${server.port()}/api/immutable-infra`;
  const discovery: DiscoveryService = {
    getBaseUrl: async () => baseUrl,
    getExternalBaseUrl: async () => baseUrl,
  };
  const client = new ImmutableInfraClient({ discoveryApi: discovery });
  const auth = mockServices.auth({ pluginId: 'scaffolder' });
  const userRequest = async () =>
    backendRequestOptions(auth, {
      getInitiatorCredentials: async () => mockCredentials.user(),
    });
  for (const name of options?.enroll ?? []) {
    await client.enroll(
      { name, entityRef: `component:default/${name}` },
      await userRequest(),
    );
  }
  const syncFleet = async () => {
    const response = await fetch(`${baseUrl}/sync`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${(await userRequest()).token}`,
        'content-type': 'application/json',
      },
      body: '{}',
    });
    const body = await response.text();
    const synced: Array<{ status: string }> = response.ok
      ? JSON.parse(body).synced
      : [];
    if (!response.ok || synced.some(s => s.status !== 'ok')) {
      throw new Error(`sync answered ${response.status}: ${body}`);
    }
  };
  return { client, auth, discovery, syncFleet };
}

/**
 * Registers a version of `family` made of one AMI in us-east-1 (`imageId`,
 * else the `n`th test AMI), built at `builtAt` (default now), directly
 * through the client, and returns its id.
 */
export async function registerVersion(
  deps: RegistryActionOptions,
  options: { family: string; parent?: string; builtAt?: Date } & (
    | { n: number }
    | { imageId: string }
  ),
): Promise<string> {
  const imageId = 'n' in options ? testAmi(options.n) : options.imageId;
  const { version } = await deps.client.registerImage(
    {
      family: options.family,
      artifacts: [{ region: 'us-east-1', imageId }],
      parent: options.parent,
      builtAt: options.builtAt?.toISOString(),
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
