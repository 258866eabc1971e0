import { BackendFeature } from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import githubModule from '@backstage/plugin-scaffolder-backend-module-github';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import immutableInfraBackendPlugin from '@immutable-infra/backstage-plugin-backend';
import { ImmutableInfraClient } from '@immutable-infra/backstage-plugin-common';
import { readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import yaml from 'yaml';
import { immutableInfraScaffolderModule } from '../module';

/** The repository's example templates. */
export const TEMPLATES_DIR = resolve(
  __dirname,
  '../../../../examples/templates',
);

/**
 * A template of `examples/templates` as the catalog holds it, read from its
 * file (so that its steps fetch from its directory), optionally changed.
 */
export async function templateEntity(
  template: string,
  change: (entity: any) => void = () => {},
) {
  const path = join(TEMPLATES_DIR, template, 'template.yaml');
  const entity = yaml.parse(await readFile(path, 'utf8'));
  entity.metadata.namespace = 'default';
  entity.metadata.annotations = {
    'backstage.io/managed-by-location': `file:${path}`,
  };
  change(entity);
  return entity;
}

/** The local repositories' root of the scaffolder that `startScaffolder` starts. */
export const LOCAL_REPOSITORIES = join(tmpdir(), 'dry-run-repositories');

/** What a dry run answers: the rendered files by path, the log, the steps. */
export type DryRun = {
  status: number;
  files: Map<string, string>;
  log: string[];
  steps: Array<{ id: string; action: string }>;
  errors?: Array<{ property?: string; message: string; stack?: string }>;
};

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map(entry =>
      entry.isDirectory()
        ? filesUnder(join(dir, entry.name))
        : Promise.resolve([join(dir, entry.name)]),
    ),
  );
  return nested.flat();
}

/**
 * The real scaffolder backend (with the GitHub publish actions and this
 * module's) and the Immutable Infra backend plugin, started in-process;
 * `dryRun` runs a template of `examples/templates` through its dry-run API as a user would from the
 * template editor: the template and its directory uploaded, the parameters
 * validated against the template's schema, the steps run with actions that
 * cannot dry-run skipped.
 */
export async function startScaffolder(
  options: {
    entities?: object[];
    integrations?: object;
    /** More modules, e.g. of test actions. */
    features?: BackendFeature[];
  } = {},
) {
  const backend = await startTestBackend({
    features: [
      scaffolderPlugin,
      githubModule,
      immutableInfraScaffolderModule,
      immutableInfraBackendPlugin,
      ...(options.features ?? []),
      // No cloud to ask whether test AMIs exist.
      mockServices.rootConfig.factory({
        data: {
          immutableInfra: {
            registration: { verifyArtifacts: false },
            scaffolder: {
              localRepositories: { root: LOCAL_REPOSITORIES },
            },
          },
          integrations: options.integrations,
        },
      }),
      catalogServiceMock.factory({ entities: (options.entities ?? []) as any }),
    ],
  });
  const root = `http://localhost:${backend.server.port()}/api`;
  const baseUrl = `${root}/scaffolder`;
  /** The Immutable Infra API of the same backend, as the user. */
  const immutableInfra = new ImmutableInfraClient({
    discoveryApi: { getBaseUrl: async () => `${root}/immutable-infra` },
  });
  const asUser = { token: mockCredentials.user.token('user:default/ada') };

  async function dryRun(
    template: string,
    values: Record<string, unknown>,
    {
      transformTemplate,
    }: {
      /**
       * Changes the parsed template before it is sent (e.g. takes a
       * parameter's pattern out), to test what stands behind it.
       */
      transformTemplate?: (template: any) => any;
    } = {},
  ): Promise<DryRun> {
    const dir = join(TEMPLATES_DIR, template);
    const paths = await filesUnder(dir);
    const directoryContents = await Promise.all(
      paths.map(async path => ({
        path: relative(dir, path),
        base64Content: (await readFile(path)).toString('base64'),
      })),
    );
    const parsed = yaml.parse(
      await readFile(join(dir, 'template.yaml'), 'utf8'),
    );
    const response = await fetch(`${baseUrl}/v2/dry-run`, {
      method: 'POST',
      headers: {
        authorization: mockCredentials.user.header('user:default/ada'),
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        template: transformTemplate?.(parsed) ?? parsed,
        values,
        directoryContents,
      }),
    });
    const body = await response.json();
    if (!response.ok) {
      return {
        status: response.status,
        files: new Map(),
        log: [],
        steps: [],
        errors: body.errors ?? [{ message: body.error?.message }],
      };
    }
    return {
      status: response.status,
      files: new Map(
        (
          body.directoryContents as Array<{
            path: string;
            base64Content: string;
          }>
        ).map(f => [
          f.path,
          Buffer.from(f.base64Content, 'base64').toString('utf8'),
        ]),
      ),
      log: (body.log as Array<{ body: { message: string } }>).map(
        l => l.body.message,
      ),
      steps: body.steps,
    };
  }

  /** Calls the scaffolder's API as the user. */
  async function scaffolderApi(path: string, body?: object) {
    const response = await fetch(`${baseUrl}${path}`, {
      method: body ? 'POST' : 'GET',
      headers: {
        authorization: mockCredentials.user.header('user:default/ada'),
        'content-type': 'application/json',
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!response.ok) {
      throw new Error(`${path}: ${response.status} ${await response.text()}`);
    }
    return response.json();
  }

  /** The task's status once it ends, and its log. */
  async function taskResult(taskId: string) {
    for (;;) {
      const task = await scaffolderApi(`/v2/tasks/${taskId}`);
      if (['completed', 'failed', 'cancelled'].includes(task.status)) {
        const events: Array<{ type: string; body: { message?: string } }> =
          await scaffolderApi(`/v2/tasks/${taskId}/events`);
        return {
          status: task.status as string,
          log: events
            .filter(e => e.type === 'log')
            .map(e => e.body.message ?? ''),
        };
      }
      await new Promise(done => setTimeout(done, 100));
    }
  }

  /**
   * Runs a task of a template the catalog holds (for real: the steps that
   * publish do publish) and waits for it to end.
   */
  async function runTask(templateRef: string, values: object) {
    const { id } = await scaffolderApi('/v2/tasks', { templateRef, values });
    return { id, ...(await taskResult(id)) };
  }

  /** Retries a failed task from its checkpoints and waits for it to end. */
  async function retryTask(taskId: string) {
    await scaffolderApi(`/v2/tasks/${taskId}/retry`, {});
    return taskResult(taskId);
  }

  /**
   * The base family templates build on, `base-ubuntu`, enrolled with
   * version 1 on its production channel; and families enrolled by other
   * services (`others`), whose names a template may not take.
   */
  async function seedBaseFamily(others: string[] = []) {
    for (const name of ['base-ubuntu', ...others]) {
      await immutableInfra.enroll(
        { name, entityRef: `component:default/${name}` },
        asUser,
      );
    }
    const { version } = await immutableInfra.registerImage(
      {
        family: 'base-ubuntu',
        artifacts: [{ region: 'us-east-1', imageId: 'ami-0123456789abcdef0' }],
      },
      asUser,
    );
    await immutableInfra.assignChannel(
      'base-ubuntu',
      'production',
      { version: version.id },
      asUser,
    );
  }

  return {
    dryRun,
    runTask,
    seedBaseFamily,
    retryTask,
    immutableInfra,
    asUser,
    stop: () => backend.stop(),
  };
}
