import { validateWorkflow } from '@action-validator/core';
import {
  componentEntityV1alpha1Validator,
  Entity,
} from '@backstage/catalog-model';
import { parse as parseHcl } from '@cdktf/hcl2json';
import { parseImmutableInfraAnnotations } from '@immutable-infra/backstage-plugin-common';
import fs from 'fs-extra';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import yaml from 'yaml';
import { expectCatalogAccepts } from '../__testUtils__/catalogPolicy';
import {
  LOCAL_REPOSITORIES,
  startScaffolder,
  TEMPLATES_DIR,
} from '../__testUtils__/scaffolder';

jest.setTimeout(120_000);

/** storefront-web's catalog-info.yaml as its team wrote it. */
const CATALOG_INFO = `# The web shop's front end.
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: storefront-web
  description: The web shop's front end
spec:
  type: website # the public one
  lifecycle: production
  owner: group:default/storefront-team
`;

const VALUES = {
  component: 'component:default/storefront-web',
  environments: ['staging', 'production'],
  regions: ['us-east-1'],
  fleetSelector: 'service=storefront-web',
  autoscalingGroups: 'staging=web-staging,production=web-production',
  logDestination: 'cloudwatch:/shop/web',
  rolloutStrategy: 'canary',
  baseFamily: 'base-ubuntu',
  baseChannel: 'production',
  instanceType: 't3.small',
};

const component = (name: string, location: string, annotations = {}) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name,
    namespace: 'default',
    annotations: {
      'backstage.io/managed-by-location': location,
      ...annotations,
    },
  },
  spec: { type: 'service', owner: 'group:default/storefront-team' },
});

/** The files under `dir`, relative. */
async function tree(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const walk = async (at: string) => {
    for (const entry of await fs.readdir(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) {
        await walk(path);
      } else {
        files.set(relative(dir, path), await fs.readFile(path, 'utf8'));
      }
    }
  };
  await walk(dir);
  return files;
}

describe('the enroll-existing-service template through the scaffolder dry run', () => {
  let scaffolder: Awaited<ReturnType<typeof startScaffolder>>;
  /** GitHub's contents API for acme/shop (GitHub itself is not reachable here). */
  let github: Server;
  const githubReads: string[] = [];
  const localFile = join(
    LOCAL_REPOSITORIES,
    'storefront-web',
    'catalog-info.yaml',
  );

  const renamedFile = join(LOCAL_REPOSITORIES, 'renamed', 'catalog-info.yaml');

  beforeAll(async () => {
    await fs.outputFile(localFile, CATALOG_INFO);
    await fs.outputFile(
      renamedFile,
      CATALOG_INFO.replace('storefront-web', 'renamed').replace(
        '  description:',
        '  annotations:\n    immutable-infra.io/image-family: web\n  description:',
      ),
    );
    github = createServer((request, response) => {
      githubReads.push(request.url!);
      if (
        request.url ===
        '/repos/acme/shop/contents/services/web/catalog-info.yaml?ref=main'
      ) {
        response.setHeader('content-type', 'application/vnd.github.v3.raw');
        response.end(CATALOG_INFO.replace('storefront-web', 'shop-web'));
        return;
      }
      response.statusCode = 404;
      response.end('{"message":"Not Found"}');
    });
    await new Promise<void>(resolve => github.listen(0, '127.0.0.1', resolve));
    const { port } = github.address() as AddressInfo;
    scaffolder = await startScaffolder({
      integrations: {
        github: [
          {
            host: 'github.com',
            apiBaseUrl: `http://127.0.0.1:${port}`,
            token: 'test-token',
          },
        ],
      },
      entities: [
        component('storefront-web', `file:${localFile}`),
        component(
          'shop-web',
          'url:https://github.com/acme/shop/blob/main/services/web/catalog-info.yaml',
        ),
        component(
          'billing-web',
          'url:https://gitlab.com/acme/billing/-/blob/main/catalog-info.yaml',
        ),
        component('renamed', `file:${renamedFile}`, {
          'immutable-infra.io/image-family': 'web',
        }),
        component(
          'base-ubuntu',
          'url:https://github.com/acme/base/blob/main/catalog-info.yaml',
        ),
        component(
          'taken',
          'url:https://github.com/acme/taken/blob/main/catalog-info.yaml',
        ),
      ],
    });
    await scaffolder.seedBaseFamily(['taken']);
  });

  afterAll(async () => {
    await scaffolder?.stop();
    github?.close();
  });

  it("annotates a local repository's catalog-info.yaml, adds the pipeline, and would commit and enroll", async () => {
    const run = await scaffolder.dryRun('enroll-existing-service', VALUES);
    expect(run.errors).toBeUndefined();
    expect(run.status).toBe(200);
    expect(run.steps.map(s => s.action)).toEqual([
      'immutable-infra:onboarding:check',
      'immutable-infra:catalog-info:annotate',
      'fetch:template',
      'publish:github:pull-request',
      'immutable-infra:publish:local',
      'immutable-infra:enroll',
    ]);
    const log = run.log.join('\n');
    expect(log).toMatch(
      /Skipping step pull-request because its if condition was false/,
    );
    expect(log).toMatch(/Would commit .* onto .*storefront-web/);
    expect([...run.files.keys()].sort()).toEqual([
      '.github/workflows/golden-image.yaml',
      'catalog-info.yaml',
      'immutable-infra.json',
      'packer/files/README.md',
      'packer/scripts/harden.sh',
      'packer/scripts/log-shipper.sh',
      'packer/service.pkr.hcl',
    ]);
    // The repository itself is as it was: a dry run commits nothing.
    expect(await fs.readFile(localFile, 'utf8')).toBe(CATALOG_INFO);

    const source = run.files.get('catalog-info.yaml')!;
    expect(source).toContain("# The web shop's front end.");
    expect(source).toContain('type: website # the public one');
    const entity = yaml.parse(source) as Entity;
    await expectCatalogAccepts(entity);
    await expect(componentEntityV1alpha1Validator.check(entity)).resolves.toBe(
      true,
    );
    const parsed = parseImmutableInfraAnnotations(entity);
    expect(parsed.errors).toEqual([]);
    expect(parsed.annotations).toMatchObject({
      imageFamily: 'storefront-web',
      fleetSelector: [{ key: 'service', value: 'storefront-web' }],
      environments: ['staging', 'production'],
      regions: ['us-east-1'],
      logDestination: 'cloudwatch:/shop/web',
    });
    expect(entity.metadata.annotations).toMatchObject({
      'immutable-infra.io/autoscaling-group':
        'staging=web-staging,production=web-production',
      'immutable-infra.io/rollout-strategy': 'canary',
    });

    expect(JSON.parse(run.files.get('immutable-infra.json')!)).toEqual({
      family: 'storefront-web',
      entityRef: 'component:default/storefront-web',
      baseFamily: 'base-ubuntu',
      baseChannel: 'production',
      regions: ['us-east-1'],
      environments: ['staging', 'production'],
      instanceType: 't3.small',
      logDestination: 'cloudwatch:/shop/web',
    });
    const packer = await parseHcl(
      'service.pkr.hcl',
      run.files.get('packer/service.pkr.hcl')!,
    );
    expect(packer.variable.family[0].default).toBe('storefront-web');
    expect(packer.variable.log_destination[0].default).toBe(
      'cloudwatch:/shop/web',
    );
    expect(
      packer.source['amazon-ebs'].service[0].ssh_keypair_name,
    ).toBeUndefined();
    expect(
      validateWorkflow(run.files.get('.github/workflows/golden-image.yaml')!)
        .errors,
    ).toEqual([]);
  });

  it("reads a GitHub repository's file through the integration and proposes the change as a pull request", async () => {
    const run = await scaffolder.dryRun('enroll-existing-service', {
      ...VALUES,
      component: 'component:default/shop-web',
      family: 'shop-web-images',
      autoscalingGroups: undefined,
      logDestination: undefined,
    });
    expect(run.errors).toBeUndefined();
    expect(githubReads).toContain(
      '/repos/acme/shop/contents/services/web/catalog-info.yaml?ref=main',
    );
    const log = run.log.join('\n');
    expect(log).toMatch(
      /Skipping step commit because its if condition was false/,
    );
    expect(log).toMatch(/Performing dry run of creating pull request/);
    // At the file's path in its repository; the pipeline at the root.
    const entity = yaml.parse(
      run.files.get('services/web/catalog-info.yaml')!,
    ) as Entity;
    expect(entity.metadata.annotations).toEqual({
      'immutable-infra.io/image-family': 'shop-web-images',
      'immutable-infra.io/fleet-selector': 'service=storefront-web',
      'immutable-infra.io/environments': 'staging,production',
      'immutable-infra.io/aws-regions': 'us-east-1',
      'immutable-infra.io/log-destination':
        'cloudwatch:/aws/ec2/shop-web-images',
      'immutable-infra.io/rollout-strategy': 'canary',
    });
    expect(run.files.has('packer/service.pkr.hcl')).toBe(true);
    expect(JSON.parse(run.files.get('immutable-infra.json')!)).toMatchObject({
      family: 'shop-web-images',
      entityRef: 'component:default/shop-web',
    });
  });

  it('renders the same image pipeline as the immutable-service template (one copy per template, kept equal)', async () => {
    const ours = await tree(
      join(TEMPLATES_DIR, 'enroll-existing-service', 'pipeline'),
    );
    const theirs = await tree(
      join(TEMPLATES_DIR, 'immutable-service', 'pipeline'),
    );
    expect(theirs.size).toBeGreaterThan(0);
    expect(Object.fromEntries(ours)).toEqual(Object.fromEntries(theirs));
  });

  it.each([
    [
      { family: 'taken' },
      'The service cannot be onboarded as asked: name: the image family taken belongs to component:default/taken',
    ],
    [
      { baseFamily: 'base-nowhere' },
      'The service cannot be onboarded as asked: baseFamily: no image family base-nowhere is registered',
    ],
    [
      { component: 'component:default/billing-web' },
      'entityRef: component:default/billing-web is read from https://gitlab.com/acme/billing/-/blob/main/catalog-info.yaml (gitlab): this action publishes changes to GitHub repositories and to the local repositories only',
    ],
    [
      { component: 'component:default/nowhere' },
      'entityRef: no entity component:default/nowhere in the catalog (or you may not read it)',
    ],
  ])(
    'refuses %j, naming the field, before anything is published',
    async (change, message) => {
      const run = await scaffolder.dryRun('enroll-existing-service', {
        ...VALUES,
        ...change,
      });
      expect(run.status).toBe(400);
      expect(run.errors![0].message).toContain(message);
      expect(run.files.size).toBe(0);
    },
  );

  it('refuses a component whose catalog-info.yaml names another image family', async () => {
    const run = await scaffolder.dryRun('enroll-existing-service', {
      ...VALUES,
      component: 'component:default/renamed',
      family: 'renamed',
    });
    expect(run.status).toBe(409);
    expect(run.errors![0].message).toContain(
      'family: component:default/renamed already names the image family web',
    );
    expect(run.files.size).toBe(0);
  });

  it.each([
    [{ fleetSelector: 'no-equals-sign' }, 'fleetSelector'],
    [{ fleetSelector: 'a=b;rm -rf /' }, 'fleetSelector'],
    [{ regions: ['mars-1'] }, 'regions[0]'],
    [{ environments: ['Production!'] }, 'environments[0]'],
    [{ autoscalingGroups: 'a group with spaces' }, 'autoscalingGroups'],
    [{ family: 'Web Shop' }, 'family'],
    // The component is written into immutable-infra.json and names the
    // service everywhere: an entity ref of a component, nothing more.
    [
      {
        component:
          'component:default/storefront-web\n---\napiVersion: backstage.io/v1alpha1\nkind: Location',
      },
      'component',
    ],
    [{ component: 'component:default/store\u0000front-web' }, 'component'],
    [{ component: `component:default/${'a'.repeat(283)}` }, 'component'],
    [{ component: 'component:default/a b' }, 'component'],
    [{ component: 'group:default/storefront-web' }, 'component'],
    [{ component: 'storefront-web' }, 'component'],
  ])(
    'refuses %j before any step runs, naming the field',
    async (change, field) => {
      const bad = await scaffolder.dryRun('enroll-existing-service', {
        ...VALUES,
        ...change,
      });
      expect(bad.status).toBe(400);
      expect(bad.errors!.map(e => e.property)).toContain(`instance.${field}`);
    },
  );
});
