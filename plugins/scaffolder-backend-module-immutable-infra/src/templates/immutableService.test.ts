import { validateWorkflow } from '@action-validator/core';
import {
  componentEntityV1alpha1Validator,
  Entity,
} from '@backstage/catalog-model';
import { parseImmutableInfraAnnotations } from '@immutable-infra/backstage-plugin-common';
import { parse as parseHcl } from '@cdktf/hcl2json';
import yaml from 'yaml';
import { expectCatalogAccepts } from '../__testUtils__/catalogPolicy';
import { DryRun, startScaffolder } from '../__testUtils__/scaffolder';

jest.setTimeout(120_000);

const VALUES = {
  name: 'orders',
  owner: 'group:default/payments-team',
  system: 'system:default/payments',
  description: 'Takes and tracks orders',
  baseFamily: 'base-ubuntu',
  baseChannel: 'production',
  regions: ['us-east-1', 'eu-west-1'],
  instanceType: 't3.small',
  logDestination: 'cloudwatch:/aws/ec2/orders',
  fleets: [
    { environment: 'staging', min: 1, desired: 2, max: 3 },
    { environment: 'production', min: 2, desired: 3, max: 6 },
  ],
  healthCheckPath: '/healthz',
  healthCheckPort: 8080,
  rolloutStrategy: 'canary',
  publishTo: 'github',
  repoUrl: 'github.com?owner=acme&repo=orders',
};

/**
 * Values of owner (kind `group`) or system (kind `system`) that are no
 * entity refs: a second document (a Location with any target), another spec
 * field, a NUL, 300 characters, a name with a space.
 */
const hostileRefs = (kind: string) => [
  `${kind}:default/payments\n---\napiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: injected\nspec:\n  type: url\n  target: https://attacker.example.com/catalog-info.yaml`,
  `${kind}:default/payments\n  lifecycle: production`,
  `${kind}:default/pay\u0000ments`,
  `${kind}:default/${'a'.repeat(300 - `${kind}:default/`.length)}`,
  `${kind}:default/a b`,
];

/**
 * Values that, written bare into catalog-info.yaml, would be read as more or
 * less than the value: the second document and the spec field above, a
 * comment, a flow sequence.
 */
const yamlBreakingRefs = (kind: string) => [
  ...hostileRefs(kind).slice(0, 2),
  `${kind}:default/payments # the team`,
  `[${kind}:default/payments]`,
];

/** [field, value] for owner and system. */
const byField = (refs: (kind: string) => string[]) => [
  ...refs('group').map(value => ['owner', value]),
  ...refs('system').map(value => ['system', value]),
];

/**
 * The template without its parameters' patterns and maximum lengths: what
 * stands behind the form when a value gets past it.
 */
function withoutPatterns(template: any) {
  const strip = (node: any): any => {
    if (Array.isArray(node)) {
      return node.map(strip);
    }
    if (node && typeof node === 'object') {
      return Object.fromEntries(
        Object.entries(node)
          .filter(([key]) => key !== 'pattern' && key !== 'maxLength')
          .map(([key, value]) => [key, strip(value)]),
      );
    }
    return node;
  };
  return {
    ...template,
    spec: { ...template.spec, parameters: strip(template.spec.parameters) },
  };
}

/** Also without the check step's owner and system: what stands behind it. */
function withoutPatternsOrRefChecks(template: any) {
  const stripped = withoutPatterns(template);
  for (const step of stripped.spec.steps) {
    if (step.action === 'immutable-infra:onboarding:check') {
      delete step.input.owner;
      delete step.input.system;
    }
  }
  return stripped;
}

/**
 * The one document of a rendered catalog-info.yaml (a second document, or a
 * parse error, fails).
 */
function onlyDocument(run: DryRun) {
  const documents = yaml.parseAllDocuments(run.files.get('catalog-info.yaml')!);
  expect(documents).toHaveLength(1);
  const [document] = documents as yaml.Document[];
  expect(document.errors).toEqual([]);
  return document.toJS() as Entity;
}

/**
 * A literal string as the HCL2 parser answers it (Terraform's JSON syntax):
 * `${` and `%{` escaped, where an interpolation or a directive would not be.
 */
const hclLiteral = (value: string) =>
  value.split('${').join('$${').split('%{').join('%%{');

/** The HCL2 of a rendered file, as JSON (a parse error throws). */
async function hcl(run: DryRun, path: string) {
  const source = run.files.get(path);
  expect(source).toBeDefined();
  return parseHcl(path, source!);
}

describe('the immutable-service template through the scaffolder dry run', () => {
  let scaffolder: Awaited<ReturnType<typeof startScaffolder>>;

  beforeAll(async () => {
    scaffolder = await startScaffolder({
      entities: ['base-ubuntu', 'taken'].map(name => ({
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: {
          name,
          namespace: 'default',
          annotations: { 'immutable-infra.io/image-family': name },
        },
        spec: { type: 'service', owner: 'group:default/platform' },
      })),
    });
    // The base family the builds start from: enrolled, one version on its
    // production channel; and a family another service owns.
    await scaffolder.seedBaseFamily(['taken']);
  });

  afterAll(async () => {
    await scaffolder?.stop();
  });

  /** A dry run of the template with one field changed, the template too if asked. */
  const runWith = (
    field: string,
    value: string,
    transformTemplate?: (template: any) => any,
  ) =>
    scaffolder.dryRun(
      'immutable-service',
      { ...VALUES, [field]: value },
      { transformTemplate },
    );

  it('renders the repository and runs its steps, publishing, registering and enrolling only for real', async () => {
    const run = await scaffolder.dryRun('immutable-service', VALUES);
    expect(run.errors).toBeUndefined();
    expect(run.status).toBe(200);
    expect(run.steps.map(s => s.action)).toEqual([
      'immutable-infra:onboarding:check',
      'fetch:template',
      'fetch:template',
      'publish:github',
      'catalog:register',
      'immutable-infra:publish:local',
      'immutable-infra:enroll',
    ]);
    expect(run.log.join('\n')).toMatch(
      /Skipping step publish-local because its if condition was false/,
    );
    expect(run.log.join('\n')).toMatch(
      /Skipping because publish:github does not support dry-run/,
    );
    expect(run.log.join('\n')).toMatch(
      /image family orders is free; builds start from base-ubuntu@1/,
    );
    expect(JSON.parse(run.files.get('immutable-infra.json')!)).toMatchObject({
      family: 'orders',
      entityRef: 'component:default/orders',
      regions: ['us-east-1', 'eu-west-1'],
      environments: ['staging', 'production'],
    });
    expect([...run.files.keys()].sort()).toEqual([
      '.github/workflows/golden-image.yaml',
      'README.md',
      'catalog-info.yaml',
      'immutable-infra.json',
      'packer/files/README.md',
      'packer/scripts/harden.sh',
      'packer/scripts/log-shipper.sh',
      'packer/service.pkr.hcl',
      'terraform/main.tf',
      'terraform/modules/fleet/main.tf',
      'terraform/modules/fleet/outputs.tf',
      'terraform/modules/fleet/variables.tf',
      'terraform/variables.tf',
    ]);
  });

  it('catalog-info.yaml is a valid component carrying every annotation the service needs, without an error', async () => {
    const run = await scaffolder.dryRun('immutable-service', VALUES);
    const entity = yaml.parse(run.files.get('catalog-info.yaml')!) as Entity;
    await expectCatalogAccepts(entity);
    await expect(componentEntityV1alpha1Validator.check(entity)).resolves.toBe(
      true,
    );
    expect(entity).toMatchObject({
      metadata: { name: 'orders', description: 'Takes and tracks orders' },
      spec: {
        type: 'service',
        owner: 'group:default/payments-team',
        system: 'system:default/payments',
      },
    });
    const parsed = parseImmutableInfraAnnotations(entity);
    expect(parsed.errors).toEqual([]);
    expect(parsed.annotations).toMatchObject({
      imageFamily: 'orders',
      fleetSelector: [{ key: 'immutable-infra:service', value: 'orders' }],
      environments: ['staging', 'production'],
      regions: ['us-east-1', 'eu-west-1'],
      launchTemplate: 'orders',
      logDestination: 'cloudwatch:/aws/ec2/orders',
      rolloutAlarms: [
        'orders-staging-5xx',
        'orders-staging-unhealthy',
        'orders-production-5xx',
        'orders-production-unhealthy',
      ],
    });
    expect(entity.metadata.annotations).toMatchObject({
      'immutable-infra.io/autoscaling-group':
        'staging=orders-staging,production=orders-production',
      'github.com/project-slug': 'acme/orders',
    });
  });

  it('the Packer build parses as HCL2: from the base AMI, no key pair kept, IMDSv2, the tags, the manifest with custom_data', async () => {
    const run = await scaffolder.dryRun('immutable-service', VALUES);
    const packer = await hcl(run, 'packer/service.pkr.hcl');
    const source = packer.source['amazon-ebs'].service[0];
    expect(source).toMatchObject({
      source_ami: '${var.base_ami}',
      temporary_key_pair_type: 'ed25519',
      imds_support: 'v2.0',
      metadata_options: [expect.objectContaining({ http_tokens: 'required' })],
      tags: '${local.tags}',
    });
    expect(source.ssh_keypair_name).toBeUndefined();
    expect(packer.locals[0].tags).toEqual({
      'immutable-infra:family': '${var.family}',
      'immutable-infra:parent-image': '${var.base_image}',
      'git:commit': '${var.git_commit}',
      'git:repo': '${var.git_repo}',
      'build:url': '${var.build_url}',
    });
    expect(packer.variable.family[0].default).toBe('orders');
    expect(packer.variable.regions[0].default).toEqual([
      'us-east-1',
      'eu-west-1',
    ]);
    const manifest = packer.build[0]['post-processor'].manifest[0];
    expect(manifest.output).toBe('packer-manifest.json');
    expect(manifest.custom_data).toEqual({
      git_commit: '${var.git_commit}',
      git_repo: '${var.git_repo}',
      build_url: '${var.build_url}',
      parent_image: '${var.base_image}',
    });
    // sshd off and no key left: the hardening script the build runs.
    const harden = run.files.get('packer/scripts/harden.sh')!;
    expect(harden).toMatch(/systemctl mask ssh\.service/);
    expect(harden).toMatch(/authorized_keys/);
    expect(run.files.get('packer/scripts/log-shipper.sh')).toMatch(
      /amazon-cloudwatch-agent/,
    );
  });

  it('the Terraform parses as HCL2: a launch template without a key pair and with IMDSv2, no port 22, groups pinned to a numbered version, one per environment and region', async () => {
    const run = await scaffolder.dryRun('immutable-service', VALUES);
    const root = await hcl(run, 'terraform/main.tf');
    expect(Object.keys(root.module).sort()).toEqual([
      'fleet_eu_west_1',
      'fleet_us_east_1',
    ]);
    expect(root.provider.aws.map((p: any) => p.region).sort()).toEqual([
      'eu-west-1',
      'us-east-1',
    ]);
    const variables = await hcl(run, 'terraform/variables.tf');
    expect(variables.variable.environments[0].default).toEqual({
      staging: { min: 1, desired: 2, max: 3 },
      production: { min: 2, desired: 3, max: 6 },
    });
    const fleet = await hcl(run, 'terraform/modules/fleet/main.tf');
    const template = fleet.resource.aws_launch_template.service[0];
    expect(template.key_name).toBeUndefined();
    expect(template.metadata_options[0].http_tokens).toBe('required');
    const group = fleet.resource.aws_autoscaling_group.service[0];
    expect(group.launch_template[0].version).toBe(
      '${aws_launch_template.service.latest_version}',
    );
    expect(JSON.stringify(group)).not.toMatch(/\$Latest|\$Default/);
    // One way in: the service port, over TCP; no rule resource adds another.
    expect(fleet.resource.aws_security_group.service[0].ingress).toEqual([
      expect.objectContaining({
        from_port: '${var.health_check_port}',
        to_port: '${var.health_check_port}',
        protocol: 'tcp',
      }),
    ]);
    expect(Object.keys(fleet.resource)).not.toContain(
      'aws_security_group_rule',
    );
    expect(Object.keys(fleet.resource)).not.toContain(
      'aws_vpc_security_group_ingress_rule',
    );
    expect(
      fleet.resource.aws_lb_target_group.service[0].health_check[0].path,
    ).toBe('${var.health_check_path}');
    expect(
      Object.keys(fleet.resource.aws_cloudwatch_metric_alarm).sort(),
    ).toEqual(['target_5xx', 'unhealthy']);
  });

  it('the workflow is a valid GitHub Actions workflow: bake, register, canary on push; promotion by hand', async () => {
    const run = await scaffolder.dryRun('immutable-service', VALUES);
    const source = run.files.get('.github/workflows/golden-image.yaml')!;
    // Copied, not templated: its own ${{ }} expressions reach GitHub intact.
    expect(source).toContain('${{ secrets.BACKSTAGE_TOKEN }}');
    const state = validateWorkflow(source);
    expect(state.errors).toEqual([]);
    const workflow = yaml.parse(source);
    expect(Object.keys(workflow.on).sort()).toEqual([
      'push',
      'workflow_dispatch',
    ]);
    const bake = workflow.jobs.bake.steps
      .map((s: any) => s.run ?? s.uses)
      .join('\n');
    expect(bake).toMatch(/packer init/);
    expect(bake).toMatch(/packer validate/);
    expect(bake).toMatch(/packer build/);
    expect(bake).toMatch(/\/api\/immutable-infra\/images/);
    expect(
      workflow.jobs.canary.steps.map((s: any) => s.run ?? '').join('\n'),
    ).toMatch(/\/api\/immutable-infra\/rollouts/);
    expect(workflow.jobs.promote.if).toBe(
      "github.event_name == 'workflow_dispatch'",
    );
  });

  it('publishes to the local repositories where the portal has no git server: no GitHub step, no GitHub annotation', async () => {
    const run = await scaffolder.dryRun('immutable-service', {
      ...VALUES,
      publishTo: 'local',
      // What the repository picker held before local was chosen: the form
      // keeps it.
      repoUrl: 'github.com?',
    });
    expect(run.errors).toBeUndefined();
    const log = run.log.join('\n');
    expect(log).toMatch(
      /Skipping step publish because its if condition was false/,
    );
    expect(log).toMatch(
      /Skipping step register because its if condition was false/,
    );
    expect(log).toMatch(
      /Would publish .* as .*dry-run-repositories\/orders \(main\)/,
    );
    const entity = yaml.parse(run.files.get('catalog-info.yaml')!) as Entity;
    await expectCatalogAccepts(entity);
    expect(entity.metadata.annotations).not.toHaveProperty(
      'github.com/project-slug',
    );
    expect(parseImmutableInfraAnnotations(entity).errors).toEqual([]);
  });

  it('asks GitHub publishing for its repository', async () => {
    const run = await scaffolder.dryRun('immutable-service', {
      ...VALUES,
      repoUrl: undefined,
    });
    expect(run.status).toBe(400);
    expect(JSON.stringify(run.errors)).toMatch(/repoUrl/);
  });

  it('ships logs to a CloudWatch group of the service when no destination is given', async () => {
    const run = await scaffolder.dryRun('immutable-service', {
      ...VALUES,
      logDestination: undefined,
    });
    expect(run.errors).toBeUndefined();
    const entity = yaml.parse(run.files.get('catalog-info.yaml')!) as Entity;
    expect(parseImmutableInfraAnnotations(entity).annotations).toMatchObject({
      logDestination: 'cloudwatch:/aws/ec2/orders',
    });
  });

  it('another parameter set: one region, one environment, logs to S3, blue-green, no system', async () => {
    const run = await scaffolder.dryRun('immutable-service', {
      ...VALUES,
      name: 'search',
      system: undefined,
      description: undefined,
      regions: ['eu-central-1'],
      logDestination: 's3:acme-logs/search',
      fleets: [{ environment: 'prod', min: 2, desired: 2, max: 4 }],
      rolloutStrategy: 'blueGreen',
    });
    expect(run.errors).toBeUndefined();
    const entity = yaml.parse(run.files.get('catalog-info.yaml')!) as Entity;
    await expectCatalogAccepts(entity);
    expect(entity.spec!.system).toBeUndefined();
    expect(entity.metadata.description).toBeUndefined();
    const parsed = parseImmutableInfraAnnotations(entity);
    expect(parsed.errors).toEqual([]);
    expect(parsed.annotations).toMatchObject({
      environments: ['prod'],
      regions: ['eu-central-1'],
      logDestination: 's3:acme-logs/search',
      rolloutStrategy: { strategy: 'blueGreen' },
      rolloutAlarms: ['search-prod-5xx', 'search-prod-unhealthy'],
    });
    expect(JSON.parse(run.files.get('immutable-infra.json')!)).toEqual({
      family: 'search',
      entityRef: 'component:default/search',
      baseFamily: 'base-ubuntu',
      baseChannel: 'production',
      regions: ['eu-central-1'],
      environments: ['prod'],
      instanceType: 't3.small',
      logDestination: 's3:acme-logs/search',
    });
    const root = await hcl(run, 'terraform/main.tf');
    expect(Object.keys(root.module)).toEqual(['fleet_eu_central_1']);
    const variables = await hcl(run, 'terraform/variables.tf');
    expect(variables.variable.environments[0].default).toEqual({
      prod: { min: 2, desired: 2, max: 4 },
    });
    await hcl(run, 'packer/service.pkr.hcl');
    expect(run.files.get('README.md')).toMatch(/\| prod \| 2 \| 2 \| 4 \|/);
  });

  it.each([
    [
      { fleets: [{ environment: 'staging', min: 3, desired: 3, max: 2 }] },
      'fleets[0] (staging): the minimum capacity 3 is above the maximum 2',
    ],
    [
      // Run twice with one name: the second finds the first onboarded.
      { name: 'taken' },
      'name: component:default/taken is already onboarded (image family taken)',
    ],
    [
      { baseFamily: 'base-nowhere' },
      'baseFamily: no image family base-nowhere is registered',
    ],
    [
      { baseChannel: 'canary' },
      'baseChannel: the base family base-ubuntu has no version on its canary channel',
    ],
  ])(
    'the check step refuses %j, naming the field, before anything is rendered or published',
    async (change, message) => {
      const run = await scaffolder.dryRun('immutable-service', {
        ...VALUES,
        ...change,
      });
      // The scaffolder answers 400 with the step's error: nothing rendered.
      expect(run.status).toBe(400);
      expect(run.errors![0].message).toContain(
        `The service cannot be onboarded as asked: ${message}`,
      );
      expect(run.files.size).toBe(0);
    },
  );

  it.each([
    [{ name: 'Orders Service' }, 'name'],
    [{ name: 'a-name-longer-than-twenty' }, 'name'],
    [{ regions: ['mars-1'] }, 'regions[0]'],
    [{ logDestination: 'file:/var/log' }, 'logDestination'],
    [{ healthCheckPort: 70000 }, 'healthCheckPort'],
  ])(
    'refuses %j before any step runs, naming the field',
    async (change, field) => {
      const bad = await scaffolder.dryRun('immutable-service', {
        ...VALUES,
        ...change,
      });
      expect(bad.status).toBe(400);
      expect(bad.errors!.map(e => e.property)).toContain(`instance.${field}`);
    },
  );

  it.each(byField(hostileRefs))(
    'refuses %s %j before any step runs, naming the field',
    async (field, value) => {
      const bad = await runWith(field, value);
      expect(bad.status).toBe(400);
      expect(bad.errors!.map(e => e.property)).toContain(`instance.${field}`);
    },
  );

  it.each(byField(hostileRefs))(
    'behind the form, the check step refuses %s %j, naming the field, before anything is rendered',
    async (field, value) => {
      const run = await runWith(field, value, withoutPatterns);
      expect(run.status).toBe(400);
      expect(run.errors![0].message).toContain(
        `The service cannot be onboarded as asked: ${field}: not a`,
      );
      expect(run.files.size).toBe(0);
    },
  );

  // Refs the form and the check allow that YAML would read as a boolean, a
  // null or a number were they written bare.
  it.each(
    ['true', 'null', '1e3', '0x1F', '1.10'].flatMap(value => [
      ['owner', value],
      ['system', value],
    ]),
  )(
    '%s %j is written as that string, catalog-info.yaml one document',
    async (field, value) => {
      const run = await runWith(field, value);
      expect(run.errors).toBeUndefined();
      const entity = onlyDocument(run);
      expect(entity.spec![field]).toBe(value);
      expect(Object.keys(entity.spec!).sort()).toEqual([
        'lifecycle',
        'owner',
        'system',
        'type',
      ]);
    },
  );

  // The last stand: a value past the form and the check is still written as
  // one string.
  it.each(byField(yamlBreakingRefs))(
    'behind the form and the check, %s %j is written verbatim, catalog-info.yaml one document with the spec it should have',
    async (field, value) => {
      const run = await runWith(field, value, withoutPatternsOrRefChecks);
      expect(run.errors).toBeUndefined();
      const entity = onlyDocument(run);
      expect(entity.spec).toEqual({
        type: 'service',
        lifecycle: 'experimental',
        owner: VALUES.owner,
        system: VALUES.system,
        [field]: value,
      });
    },
  );

  it('behind the form, values with quotes, line breaks and interpolations stay strings of the Terraform, the Packer build, catalog-info.yaml and immutable-infra.json', async () => {
    const hostile = {
      healthCheckPath:
        '/healthz"\n}\n\nresource "aws_iam_user" "x" {\n  name = "${file("/etc/passwd")}',
      instanceType: 't3.small%{ if true }.large%{ endif }',
      logDestination: 'cloudwatch:/x"\n  default = "${path.root}',
      regions: ['us-east-1', 'eu-west-1"] = {}\n  x = ["'],
      fleets: [{ environment: 'prod" = {}\n  "x', min: 1, desired: 1, max: 1 }],
      description:
        'Orders\n---\napiVersion: backstage.io/v1alpha1\nkind: Location\nspec:\n  target: https://attacker.example.com/x.yaml',
    };
    const run = await scaffolder.dryRun(
      'immutable-service',
      { ...VALUES, ...hostile },
      { transformTemplate: withoutPatterns },
    );
    expect(run.errors).toBeUndefined();

    const variables = await hcl(run, 'terraform/variables.tf');
    expect(Object.keys(variables)).toEqual(['variable']);
    expect(variables.variable.health_check_path[0].default).toBe(
      hclLiteral(hostile.healthCheckPath),
    );
    expect(variables.variable.instance_type[0].default).toBe(
      hclLiteral(hostile.instanceType),
    );
    expect(variables.variable.environments[0].default).toEqual({
      [hostile.fleets[0].environment]: { min: 1, desired: 1, max: 1 },
    });
    const root = await hcl(run, 'terraform/main.tf');
    expect(Object.keys(root).sort()).toEqual([
      'module',
      'provider',
      'terraform',
    ]);
    expect(root.provider.aws.map((p: any) => p.region)).toEqual(
      hostile.regions,
    );
    // Module names are identifiers: the region's letters and digits only.
    expect(Object.keys(root.module).sort()).toEqual(
      hostile.regions.map(r => `fleet_${r.replace(/[^a-z0-9]/g, '_')}`).sort(),
    );
    const packer = await hcl(run, 'packer/service.pkr.hcl');
    expect(packer.variable.log_destination[0].default).toBe(
      hclLiteral(hostile.logDestination),
    );
    expect(packer.variable.instance_type[0].default).toBe(
      hclLiteral(hostile.instanceType),
    );
    expect(packer.variable.regions[0].default).toEqual(hostile.regions);

    // catalog-info.yaml stays the one component, each value a string of it.
    const entity = onlyDocument(run);
    expect(entity.metadata.description).toBe(hostile.description);
    const environment = hostile.fleets[0].environment;
    expect(entity.metadata.annotations).toMatchObject({
      'immutable-infra.io/aws-regions': hostile.regions.join(','),
      'immutable-infra.io/environments': environment,
      'immutable-infra.io/log-destination': hostile.logDestination,
      'immutable-infra.io/autoscaling-group': `${environment}=orders-${environment}`,
    });
    expect(Object.keys(entity.spec!).sort()).toEqual([
      'lifecycle',
      'owner',
      'system',
      'type',
    ]);
    // immutable-infra.json is JSON with the same values.
    expect(JSON.parse(run.files.get('immutable-infra.json')!)).toMatchObject({
      regions: hostile.regions,
      environments: [environment],
      instanceType: hostile.instanceType,
      logDestination: hostile.logDestination,
    });
  });
});
