import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import { immutableInfraScaffolderModule } from './module';

jest.setTimeout(60_000);

/** The action ids the scaffolder lists, with this module installed. */
async function actionIds(config: object) {
  const backend = await startTestBackend({
    features: [
      scaffolderPlugin,
      immutableInfraScaffolderModule,
      catalogServiceMock.factory({ entities: [] }),
      mockServices.rootConfig.factory({ data: config }),
    ],
  });
  try {
    const response = await fetch(
      `http://localhost:${backend.server.port()}/api/scaffolder/v2/actions`,
      { headers: { authorization: mockCredentials.user.header() } },
    );
    const actions: Array<{ id: string }> = await response.json();
    return actions
      .map(a => a.id)
      .filter(id => id.startsWith('immutable-infra:'));
  } finally {
    await backend.stop();
  }
}

describe('the scaffolder module', () => {
  it('installs every action; publish:local only where local repositories are configured', async () => {
    const base = [
      'immutable-infra:catalog-info:annotate',
      'immutable-infra:channel:assign',
      'immutable-infra:enroll',
      'immutable-infra:image:register',
      'immutable-infra:image:revoke',
      'immutable-infra:images:prune',
      'immutable-infra:onboarding:check',
      'immutable-infra:rollout:start',
    ];
    expect((await actionIds({})).sort()).toEqual(base);
    expect(
      (
        await actionIds({
          immutableInfra: {
            scaffolder: { localRepositories: { root: '/tmp/repositories' } },
          },
        })
      ).sort(),
    ).toEqual([...base, 'immutable-infra:publish:local'].sort());
  });
});
