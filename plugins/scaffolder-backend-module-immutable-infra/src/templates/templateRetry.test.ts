import { createBackendModule } from '@backstage/backend-plugin-api';
import {
  createTemplateAction,
  scaffolderActionsExtensionPoint,
} from '@backstage/plugin-scaffolder-node';
import fs from 'fs-extra';
import git from 'isomorphic-git';
import { join } from 'node:path';
import {
  LOCAL_REPOSITORIES,
  startScaffolder,
  templateEntity,
} from '../__testUtils__/scaffolder';

jest.setTimeout(120_000);

/** Keys that `test:fail-once` has failed for already. */
const failed = new Set<string>();

/** A step that fails the first time a task runs it, as a lost connection would. */
const failOnceModule = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'fail-once',
  register({ registerInit }) {
    registerInit({
      deps: { actions: scaffolderActionsExtensionPoint },
      async init({ actions }) {
        actions.addActions(
          createTemplateAction({
            id: 'test:fail-once',
            schema: { input: { key: z => z.string() } },
            async handler(ctx) {
              if (!failed.has(ctx.input.key)) {
                failed.add(ctx.input.key);
                throw new Error('The connection was lost after enrolling');
              }
            },
          }),
        );
      },
    });
  },
});

/** The template with a step after its last that fails the first time. */
const failingAtTheEnd = (name: string) =>
  templateEntity(name, entity => {
    entity.spec.steps.push({
      id: 'fail-once',
      action: 'test:fail-once',
      input: { key: name },
    });
  });

const component = (name: string, location?: string) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name,
    namespace: 'default',
    annotations: location
      ? { 'backstage.io/managed-by-location': location }
      : {},
  },
  spec: { type: 'service', owner: 'group:default/payments-team' },
});

const existingRepository = join(LOCAL_REPOSITORIES, 'retried-web');

describe('a failed onboarding task, retried, resumes from its checkpoints', () => {
  let scaffolder: Awaited<ReturnType<typeof startScaffolder>>;

  beforeAll(async () => {
    await fs.remove(join(LOCAL_REPOSITORIES, 'retried-orders'));
    await fs.remove(existingRepository);
    await fs.outputFile(
      join(existingRepository, 'catalog-info.yaml'),
      'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: retried-web\nspec:\n  type: service\n  owner: group:default/payments-team\n',
    );
    await git.init({ fs, dir: existingRepository, defaultBranch: 'main' });
    await git.add({ fs, dir: existingRepository, filepath: '.' });
    await git.commit({
      fs,
      dir: existingRepository,
      message: 'The service',
      author: { name: 'team', email: 'team@localhost' },
    });
    scaffolder = await startScaffolder({
      features: [failOnceModule],
      entities: [
        await failingAtTheEnd('immutable-service'),
        await failingAtTheEnd('enroll-existing-service'),
        component('base-ubuntu'),
        // As the catalog reads them from their repositories.
        component('retried-orders'),
        component(
          'retried-web',
          `file:${join(existingRepository, 'catalog-info.yaml')}`,
        ),
      ],
    });
    await scaffolder.seedBaseFamily();
  });

  afterAll(async () => {
    await scaffolder?.stop();
  });

  /** The `family.enroll` events of the entity's audit log. */
  async function enrollEvents(name: string) {
    const page = await scaffolder.immutableInfra.listAuditEvents(
      { kind: 'component', namespace: 'default', name },
      undefined,
      scaffolder.asUser,
    );
    return page.items.filter(e => e.action === 'family.enroll');
  }

  it('immutable-service: the retry publishes no second repository and enrolls once', async () => {
    const first = await scaffolder.runTask(
      'template:default/immutable-service',
      {
        name: 'retried-orders',
        owner: 'group:default/payments-team',
        baseFamily: 'base-ubuntu',
        baseChannel: 'production',
        regions: ['us-east-1'],
        instanceType: 't3.small',
        fleets: [{ environment: 'staging', min: 1, desired: 1, max: 2 }],
        healthCheckPath: '/healthz',
        healthCheckPort: 8080,
        rolloutStrategy: 'canary',
        publishTo: 'local',
      },
    );
    expect(first.status).toBe('failed');
    const dir = join(LOCAL_REPOSITORIES, 'retried-orders');
    const [published] = await git.log({ fs, dir });
    expect(await enrollEvents('retried-orders')).toHaveLength(1);

    const retried = await scaffolder.retryTask(first.id);
    // The check replayed its pass (made again, it would find the service
    // onboarded by the first run and refuse).
    expect(retried.status).toBe('completed');
    // The publish and enroll steps replayed their results: the same single
    // commit, the family enrolled by the first run only.
    expect(await git.log({ fs, dir })).toEqual([published]);
    expect(await enrollEvents('retried-orders')).toHaveLength(1);
    const log = retried.log.join('\n');
    expect(log).toContain(
      'Enrolled image family retried-orders for component:default/retried-orders',
    );
    expect(log).not.toContain('was already enrolled');
  });

  it('enroll-existing-service: the retry commits nothing twice and enrolls once', async () => {
    const first = await scaffolder.runTask(
      'template:default/enroll-existing-service',
      {
        component: 'component:default/retried-web',
        environments: ['staging'],
        regions: ['us-east-1'],
        fleetSelector: 'service=retried-web',
        rolloutStrategy: 'canary',
        baseFamily: 'base-ubuntu',
        baseChannel: 'production',
        instanceType: 't3.small',
      },
    );
    expect(first.status).toBe('failed');
    const commits = await git.log({ fs, dir: existingRepository });
    expect(commits.map(c => c.commit.message)).toEqual([
      'Put retried-web on the golden-image pipeline\n',
      'The service\n',
    ]);
    expect(
      await fs.readFile(join(existingRepository, 'catalog-info.yaml'), 'utf8'),
    ).toContain('immutable-infra.io/image-family: retried-web');
    expect(
      await fs.pathExists(
        join(existingRepository, 'packer', 'service.pkr.hcl'),
      ),
    ).toBe(true);

    const retried = await scaffolder.retryTask(first.id);
    expect(retried.status).toBe('completed');
    expect(await git.log({ fs, dir: existingRepository })).toEqual(commits);
    expect(await enrollEvents('retried-web')).toHaveLength(1);
    expect(retried.log.join('\n')).not.toContain('was already enrolled');
  });
});
