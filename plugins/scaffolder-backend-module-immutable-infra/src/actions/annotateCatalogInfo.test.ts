import { ConfigReader } from '@backstage/config';
import { ScmIntegrations } from '@backstage/integration';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import fs from 'fs-extra';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'yaml';
import {
  exampleInput,
  expectDocumentedExamples,
} from '../__testUtils__/examples';
import { examples } from './annotateCatalogInfo.examples';
import {
  annotateCatalogInfo,
  catalogInfoSource,
  createAnnotateCatalogInfoAction,
} from './annotateCatalogInfo';

const integrations = ScmIntegrations.fromConfig(
  new ConfigReader({
    integrations: { github: [{ host: 'github.com' }] },
  }),
);

const SOURCE = `# The web shop's front end.
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: storefront-web
  description: The web shop's front end
  annotations:
    # Kept by the team.
    immutable-infra.io/max-image-age-days: '14'
spec:
  type: website # the public one
  lifecycle: production
  owner: group:default/storefront-team
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: storefront-web
spec:
  type: openapi
`;

describe('annotateCatalogInfo', () => {
  it("sets the entity's annotations, keeping its other documents, fields and comments", () => {
    const { content, changed } = annotateCatalogInfo({
      source: SOURCE,
      entityRef: 'component:default/storefront-web',
      annotations: {
        'immutable-infra.io/image-family': 'storefront-web',
        'immutable-infra.io/max-image-age-days': '14',
        'immutable-infra.io/environments': 'staging,production',
      },
    });
    expect(changed).toEqual([
      'immutable-infra.io/image-family',
      'immutable-infra.io/environments',
    ]);
    const [component, api] = yaml.parseAllDocuments(content).map(d => d.toJS());
    expect(component.metadata.annotations).toEqual({
      'immutable-infra.io/max-image-age-days': '14',
      'immutable-infra.io/image-family': 'storefront-web',
      'immutable-infra.io/environments': 'staging,production',
    });
    expect(component.spec.type).toBe('website');
    expect(api).toMatchObject({
      kind: 'API',
      metadata: { name: 'storefront-web' },
    });
    expect(api.metadata.annotations).toBeUndefined();
    for (const comment of [
      "# The web shop's front end.",
      '# Kept by the team.',
      '# the public one',
    ]) {
      expect(content).toContain(comment);
    }
  });

  it('adds the annotations map to an entity that has none', () => {
    const { content } = annotateCatalogInfo({
      source:
        'kind: Component\nmetadata:\n  name: a\n  namespace: shop\nspec: {}\n',
      entityRef: 'component:shop/a',
      annotations: { 'immutable-infra.io/image-family': 'a' },
    });
    expect(yaml.parse(content).metadata.annotations).toEqual({
      'immutable-infra.io/image-family': 'a',
    });
  });

  it('refuses a file without the entity, a file that does not parse, and a family the entity names differently', () => {
    expect(() =>
      annotateCatalogInfo({
        source: SOURCE,
        entityRef: 'component:other/storefront-web',
        annotations: {},
      }),
    ).toThrow('does not hold component:other/storefront-web');
    expect(() =>
      annotateCatalogInfo({
        source: 'kind: [',
        entityRef: 'component:default/a',
        annotations: {},
      }),
    ).toThrow('does not parse');
    expect(() =>
      annotateCatalogInfo({
        source: SOURCE.replace(
          "    immutable-infra.io/max-image-age-days: '14'",
          '    immutable-infra.io/image-family: web',
        ),
        entityRef: 'component:default/storefront-web',
        annotations: { 'immutable-infra.io/image-family': 'storefront-web' },
      }),
    ).toThrow('already names the image family web');
  });
});

describe('catalogInfoSource', () => {
  it('finds the GitHub repository, branch and path of a url location', () => {
    expect(
      catalogInfoSource({
        entityRef: 'component:default/a',
        location:
          'url:https://github.com/acme/shop/blob/main/services/web/catalog-info.yaml',
        integrations,
      }),
    ).toEqual({
      provider: 'github',
      url: 'https://github.com/acme/shop/blob/main/services/web/catalog-info.yaml',
      repoUrl: 'github.com?owner=acme&repo=shop',
      branch: 'main',
      filePath: 'services/web/catalog-info.yaml',
    });
  });

  it('finds the local repository of a file location under the root, and no other', () => {
    expect(
      catalogInfoSource({
        entityRef: 'component:default/a',
        location: 'file:/srv/repositories/shop/catalog-info.yaml',
        integrations,
        localRoot: '/srv/repositories',
      }),
    ).toEqual({
      provider: 'local',
      path: '/srv/repositories/shop/catalog-info.yaml',
      repoName: 'shop',
      filePath: 'catalog-info.yaml',
    });
    for (const location of [
      'file:/srv/repositories/../etc/catalog-info.yaml',
      'file:/srv/repositories/catalog-locations.yaml',
      'file:/etc/catalog-info.yaml',
    ]) {
      expect(() =>
        catalogInfoSource({
          entityRef: 'component:default/a',
          location,
          integrations,
          localRoot: '/srv/repositories',
        }),
      ).toThrow('not a file of the local repositories');
    }
  });

  it('refuses what it cannot publish to, naming where the file is', () => {
    expect(() =>
      catalogInfoSource({
        entityRef: 'component:default/a',
        location:
          'url:https://gitlab.com/acme/shop/-/blob/main/catalog-info.yaml',
        integrations,
      }),
    ).toThrow(
      'entityRef: component:default/a is read from https://gitlab.com/acme/shop/-/blob/main/catalog-info.yaml (gitlab): this action publishes changes to GitHub repositories and to the local repositories only',
    );
    expect(() =>
      catalogInfoSource({
        entityRef: 'component:default/a',
        location: 'file:/srv/catalog-info.yaml',
        integrations,
      }),
    ).toThrow('not a file of the local repositories');
  });
});

describe('immutable-infra:catalog-info:annotate', () => {
  const entity = (location: string) => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: 'storefront-web',
      namespace: 'default',
      annotations: { 'backstage.io/managed-by-location': location },
    },
    spec: {},
  });
  const input = {
    entityRef: 'component:default/storefront-web',
    annotations: {
      'immutable-infra.io/image-family': 'storefront-web',
      'immutable-infra.io/rollout-alarms': '',
    },
  };

  /** A local root with the repository shop, and the component's location. */
  async function setup(location: (root: string) => string | undefined) {
    const base = await mkdtemp(join(tmpdir(), 'annotate-'));
    const root = join(base, 'repositories');
    const workspacePath = join(base, 'workspace');
    const path = join(root, 'shop', 'web', 'catalog-info.yaml');
    await fs.outputFile(path, SOURCE);
    await fs.mkdirp(workspacePath);
    const reads: string[] = [];
    const where = location(root);
    const action = createAnnotateCatalogInfoAction({
      catalog: catalogServiceMock({
        entities: where ? [entity(where) as any] : [],
      }),
      reader: {
        readUrl: async (url: string) => {
          reads.push(url);
          return { buffer: async () => Buffer.from(SOURCE) } as any;
        },
        readTree: jest.fn(),
        search: jest.fn(),
      },
      integrations,
      localRoot: root,
    });
    const ctx = createMockActionContext({ input, workspacePath });
    return { path, workspacePath, action, reads, ctx };
  }

  it('writes the annotated file of a local repository to the same path of the workspace, the repository untouched', async () => {
    const { path, workspacePath, action, ctx } = await setup(
      root => `file:${join(root, 'shop', 'web', 'catalog-info.yaml')}`,
    );
    await action.handler(ctx);
    const [component] = yaml
      .parseAllDocuments(
        await fs.readFile(
          join(workspacePath, 'web', 'catalog-info.yaml'),
          'utf8',
        ),
      )
      .map(d => d.toJS());
    expect(component.metadata.annotations).toEqual({
      'immutable-infra.io/max-image-age-days': '14',
      'immutable-infra.io/image-family': 'storefront-web',
    });
    expect(await fs.readFile(path, 'utf8')).toBe(SOURCE);
    expect(ctx.output).toHaveBeenCalledWith('provider', 'local');
    expect(ctx.output).toHaveBeenCalledWith('repoName', 'shop');
    expect(ctx.output).toHaveBeenCalledWith(
      'filePath',
      'web/catalog-info.yaml',
    );
    expect(ctx.output).toHaveBeenCalledWith('changed', [
      'immutable-infra.io/image-family',
    ]);
  });

  it('reads a GitHub file through the integrations and says which pull request to open', async () => {
    const url = 'https://github.com/acme/shop/blob/trunk/catalog-info.yaml';
    const { workspacePath, action, reads, ctx } = await setup(
      () => `url:${url}`,
    );
    await action.handler(ctx);
    expect(reads).toEqual([url]);
    expect(
      await fs.readFile(join(workspacePath, 'catalog-info.yaml'), 'utf8'),
    ).toContain('immutable-infra.io/image-family: storefront-web');
    expect(ctx.output).toHaveBeenCalledWith('provider', 'github');
    expect(ctx.output).toHaveBeenCalledWith(
      'repoUrl',
      'github.com?owner=acme&repo=shop',
    );
    expect(ctx.output).toHaveBeenCalledWith('branch', 'trunk');
  });

  it('refuses an entity the user cannot read, or one without a location, naming the field', async () => {
    const missing = await setup(() => undefined);
    await expect(missing.action.handler(missing.ctx)).rejects.toThrow(
      'entityRef: no entity component:default/storefront-web in the catalog (or you may not read it)',
    );
    const outside = await setup(() => 'file:/etc/catalog-info.yaml');
    await expect(outside.action.handler(outside.ctx)).rejects.toThrow(
      'entityRef: component:default/storefront-web is read from file:/etc/catalog-info.yaml, not a file of the local repositories',
    );
    expect(await fs.readdir(outside.workspacePath)).toEqual([]);
  });

  it('refuses annotation keys the catalog would refuse', async () => {
    const { action, workspacePath } = await setup(() => undefined);
    await expect(
      action.handler(
        createMockActionContext({
          input: {
            entityRef: 'component:default/storefront-web',
            annotations: { 'bad key!': 'x' },
          },
          workspacePath,
        }),
      ),
    ).rejects.toThrow(/valid annotation key/);
  });
});

describe('the examples of immutable-infra:catalog-info:annotate', () => {
  const action = createAnnotateCatalogInfoAction({
    catalog: catalogServiceMock(),
    reader: {} as any,
    integrations,
  });

  it('are the ones the action documents: YAML with a step of the action whose input the scaffolder accepts', () => {
    expectDocumentedExamples(action, examples);
  });

  it.each(examples.map(example => [example.description, example] as const))(
    '%s: annotates storefront-web',
    (_, example) => {
      expect(exampleInput(action, example)).toMatchObject({
        entityRef: 'component:default/storefront-web',
      });
    },
  );
});
