import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { CreateKeyPairCommand } from '@aws-sdk/client-ec2';
import { Knex } from 'knex';
import { createTestDatabases } from '../__testUtils__/databases';
import { Ec2Fixtures, emulatorClients } from '../__testUtils__/ec2Fixtures';
import { migrateForTests } from '../__testUtils__/migrate';
import { emulatorConfig, MotoServer, startMoto } from '../__testUtils__/moto';
import { DatabaseFleetStore } from './DatabaseFleetStore';
import { DatabaseEntitySnapshotStore } from '../catalog/EntitySnapshotStore';
import { AwsClientFactory } from '../providers/aws/AwsClientFactory';
import { Ec2FleetProvider } from '../providers/aws/Ec2FleetProvider';
import { FleetSync } from './FleetSync';
import { FleetInstance, FleetProvider } from '../providers/FleetProvider';
import { CloudAccessError } from '../providers/ImageProvider';
import { ENTITY_PAGE_SIZE, EntityRefresh } from '../catalog/EntityRefresh';
import { evaluateDrift } from '../drift/rules';
import { parseImmutableInfraAnnotations } from '@immutable-infra/backstage-plugin-common';

jest.setTimeout(120_000);

const databases = createTestDatabases();
const region = 'us-east-1';

function component(name: string, annotations: Record<string, string>) {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, namespace: 'default', annotations },
    spec: { type: 'service', owner: 'group:default/team' },
  };
}

describe.each(databases.eachSupportedId())(
  'FleetSync on %p with the EC2 emulator',
  id => {
    let moto: MotoServer;
    let knex: Knex;
    let fleet: DatabaseFleetStore;
    let fixtures: Ec2Fixtures;
    let ami: string;
    const launched: Record<string, string> = {};

    beforeAll(async () => {
      moto = await startMoto();
      knex = await databases.init(id);
      await migrateForTests(knex);
      fleet = DatabaseFleetStore.create({ knex });
      const { ec2, autoscaling } = emulatorClients(moto.endpoint, region);
      fixtures = new Ec2Fixtures(ec2, autoscaling);
      ami = await fixtures.image();

      const open = await fixtures.securityGroup({
        name: 'ssh-world',
        port: 22,
        cidr: '::/0',
      });
      const web = await fixtures.securityGroup({
        name: 'web',
        port: 443,
        cidr: '0.0.0.0/0',
      });
      await ec2.send(new CreateKeyPairCommand({ KeyName: 'ops' }));
      const run = async (
        name: string,
        tags: Record<string, string>,
        extra: { securityGroupIds?: string[]; keyName?: string } = {},
      ) => {
        [launched[name]] = await fixtures.instances(ami, { tags, ...extra });
      };
      await run(
        'web-prod',
        { 'immutable-infra:service': 'web', environment: 'production' },
        { securityGroupIds: [web] },
      );
      await run(
        'web-stg',
        { 'immutable-infra:service': 'web', environment: 'staging' },
        { securityGroupIds: [web, open], keyName: 'ops' },
      );
      await run('ledger', {
        app: 'ledger',
        team: 'payments',
        environment: 'production',
      });
      await run('ledger-other-team', { app: 'ledger', team: 'other' });
      await fixtures.launchTemplate('web-lt', [ami]);
    });

    afterAll(async () => {
      await moto?.stop();
    });

    function sync(endpoint: string, entities: object[]) {
      return new FleetSync({
        catalog: catalogServiceMock({ entities: entities as any }),
        auth: mockServices.auth(),
        fleet,
        snapshots: DatabaseEntitySnapshotStore.create({ knex }),
        providerFactory: () =>
          new Ec2FleetProvider(
            AwsClientFactory.fromConfig(
              new ConfigReader(emulatorConfig(endpoint)),
            ),
          ),
        logger: mockServices.logger.mock(),
        regions: [region],
        environmentTag: 'environment',
      });
    }

    const web = component('web', {
      'immutable-infra.io/image-family': 'web',
      'immutable-infra.io/launch-template': 'web-lt',
    });
    const ledger = component('ledger', {
      'immutable-infra.io/image-family': 'ledger',
      'immutable-infra.io/fleet-selector': 'app=ledger,team=payments',
    });
    const broken = component('broken', {
      'immutable-infra.io/image-family': 'broken',
      'immutable-infra.io/fleet-selector': 'nonsense',
    });
    const notEnrolled = component('plain', {});

    it('finds each enrolled entity’s instances by its selector, with SSH exposure, key pair and template', async () => {
      const results = await sync(moto.endpoint, [
        web,
        ledger,
        broken,
        notEnrolled,
      ]).run();
      expect(results.map(r => [r.entityRef, r.status, r.instances])).toEqual([
        ['component:default/web', 'ok', 2],
        ['component:default/ledger', 'ok', 1],
        ['component:default/broken', 'failed', 0],
      ]);
      expect(results[2].error).toContain('immutable-infra.io/fleet-selector');

      const inventory = await fleet.getInventory('component:default/web');
      const byId = Object.fromEntries(
        inventory.instances.map(i => [i.instanceId, i]),
      );
      expect(byId[launched['web-prod']]).toMatchObject({
        environment: 'production',
        imageId: ami,
        sshExposure: 'none',
        state: 'running',
      });
      expect(byId[launched['web-stg']]).toMatchObject({
        environment: 'staging',
        sshExposure: 'world',
        sshSources: ['::/0'],
        keyName: 'ops',
      });
      expect(inventory.launchTemplates).toEqual([
        expect.objectContaining({
          name: 'web-lt',
          defaultVersion: 1,
          imageId: ami,
        }),
      ]);
      expect(inventory.sync).toMatchObject({ status: 'ok' });
      const ledgerInventory = await fleet.getInventory(
        'component:default/ledger',
      );
      expect(ledgerInventory.instances.map(i => i.instanceId)).toEqual([
        launched.ledger,
      ]);
    });

    it('asks EC2 once per account and region for every entity, and a targeted resync only for its own selector', async () => {
      const clients = AwsClientFactory.fromConfig(
        new ConfigReader(emulatorConfig(moto.endpoint)),
      );
      const requests: { command: string; input: any }[] = [];
      ((await clients.ec2Client(region)).middlewareStack as any).add(
        (next: any, context: any) => async (args: any) => {
          requests.push({
            command: context.commandName,
            input: { ...args.input },
          });
          return next(args);
        },
        { step: 'initialize', name: 'testCount' },
      );
      const entities = [
        web,
        ledger,
        ...Array.from({ length: 10 }, (_, n) =>
          component(`quiet-${n}`, {
            'immutable-infra.io/image-family': `quiet-${n}`,
          }),
        ),
      ];
      const counted = new FleetSync({
        catalog: catalogServiceMock({ entities: entities as any }),
        auth: mockServices.auth(),
        fleet,
        snapshots: DatabaseEntitySnapshotStore.create({ knex }),
        providerFactory: () => new Ec2FleetProvider(clients),
        logger: mockServices.logger.mock(),
        regions: [region],
        environmentTag: 'environment',
      });
      const results = await counted.run();
      expect(results.map(r => [r.entityRef, r.status, r.instances])).toEqual([
        ['component:default/web', 'ok', 2],
        ['component:default/ledger', 'ok', 1],
        ...Array.from({ length: 10 }, (_, n) => [
          `component:default/quiet-${n}`,
          'ok',
          0,
        ]),
      ]);
      const describes = requests.filter(
        r => r.command === 'DescribeInstancesCommand',
      );
      expect(describes).toHaveLength(1);
      expect(describes[0].input.Filters[0]).toEqual({
        Name: 'tag-key',
        Values: ['app', 'immutable-infra:service', 'team'],
      });
      expect(
        requests.filter(
          r => r.command === 'DescribeLaunchTemplateVersionsCommand',
        ),
      ).toHaveLength(1);

      requests.length = 0;
      const [one] = await counted.run('component:default/ledger');
      expect(one).toMatchObject({ status: 'ok', instances: 1 });
      expect(requests.map(r => r.command)).toEqual([
        'DescribeInstancesCommand',
      ]);
      expect(requests[0].input.Filters.slice(0, 2)).toEqual([
        { Name: 'tag:app', Values: ['ledger'] },
        { Name: 'tag:team', Values: ['payments'] },
      ]);
    });

    it('reads the Auto Scaling groups the annotation names, and records the ones that do not exist', async () => {
      const newer = await fixtures.image();
      const template = await fixtures.launchTemplate('shop-lt', [ami, newer]);
      await fixtures.autoScalingGroupFromTemplate(
        'shop-prod',
        template,
        '$Latest',
      );
      const shop = component('shop', {
        'immutable-infra.io/image-family': 'shop',
        'immutable-infra.io/autoscaling-group':
          'production=shop-prod,staging=shop-staging',
      });
      const [result] = await sync(moto.endpoint, [shop]).run();
      expect(result.status).toBe('ok');
      const inventory = await fleet.getInventory('component:default/shop');
      expect(inventory.autoscalingGroups).toEqual([
        {
          environment: 'production',
          name: 'shop-prod',
          region,
          group: expect.objectContaining({
            name: 'shop-prod',
            region,
            minSize: 0,
            maxSize: 2,
            desiredCapacity: 0,
            launchTemplate: {
              id: template,
              name: 'shop-lt',
              version: '$Latest',
              resolvedVersion: 2,
              imageId: newer,
            },
            instances: [],
            targetGroupArns: [],
          }),
        },
        { environment: 'staging', name: 'shop-staging', region },
      ]);
    });

    it('keeps the last good inventory and records the failure when AWS fails', async () => {
      const before = await fleet.getInventory('component:default/web');
      const results = await sync('http://127.0.0.1:9', [web]).run();
      expect(results[0]).toMatchObject({ status: 'failed' });
      const after = await fleet.getInventory('component:default/web');
      expect(after.instances.map(i => i.instanceId).sort()).toEqual(
        before.instances.map(i => i.instanceId).sort(),
      );
      expect(after.sync).toMatchObject({
        status: 'failed',
        lastSuccessAt: before.sync!.lastSuccessAt,
        error: expect.any(String),
      });
    });

    it('keeps when an instance was first seen across syncs, and drops terminated ones', async () => {
      const before = await fleet.getInventory('component:default/web');
      const first = before.instances.find(
        i => i.instanceId === launched['web-prod'],
      )!.firstSeenAt;
      await fixtures.terminate(launched['web-stg']);
      await sync(moto.endpoint, [web]).run();
      const after = await fleet.getInventory('component:default/web');
      expect(after.instances.map(i => i.instanceId)).toEqual([
        launched['web-prod'],
      ]);
      expect(after.instances[0].firstSeenAt).toBe(first);
      expect(after.sync?.status).toBe('ok');
    });
  },
);

describe.each(databases.eachSupportedId())('FleetSync writes on %p', id => {
  /** A fleet of `count` instances per entity; `dup` lists one twice. */
  function provider(count: number): FleetProvider {
    return {
      listInstances: async location => {
        const service = location.selector[0].value;
        const ids = Array.from(
          { length: count },
          (_, n) => `i-${service}-${n}`,
        );
        if (service === 'dup') {
          ids.push(ids[0]);
        }
        return ids.map(instanceId => ({
          instanceId,
          region: location.region,
          imageId: 'ami-1',
          state: 'running',
          sshExposure: 'none',
          sshSources: [],
          tags: { environment: 'production' },
        }));
      },
      getLaunchTemplateDefault: async () => undefined,
      describeAutoScalingGroups: async () => [],
    };
  }

  function entities(names: string[]) {
    return names.map(name =>
      component(name, { 'immutable-infra.io/image-family': name }),
    );
  }

  async function setup(names: string[]) {
    const knex = await databases.init(id);
    await migrateForTests(knex);
    const fleet = DatabaseFleetStore.create({ knex });
    const replaceInventories = jest.spyOn(fleet, 'replaceInventories');
    const sync = new FleetSync({
      catalog: catalogServiceMock({ entities: entities(names) as any }),
      auth: mockServices.auth(),
      fleet,
      snapshots: DatabaseEntitySnapshotStore.create({ knex }),
      providerFactory: () => provider(3),
      logger: mockServices.logger.mock(),
      regions: [region],
      environmentTag: 'environment',
    });
    return { fleet, sync, replaceInventories };
  }

  it('writes the inventories of many entities in a few transactions', async () => {
    const names = Array.from({ length: 40 }, (_, n) => `svc-${n}`);
    const { fleet, sync, replaceInventories } = await setup(names);
    const results = await sync.run();
    expect(results.map(r => [r.entityRef, r.status, r.instances])).toEqual(
      names.map(n => [`component:default/${n}`, 'ok', 3]),
    );
    expect(replaceInventories.mock.calls.length).toBeLessThan(names.length);
    for (const name of names) {
      const inventory = await fleet.getInventory(`component:default/${name}`);
      expect(inventory.instances.map(i => i.instanceId)).toEqual([
        `i-svc-${name.slice(4)}-0`,
        `i-svc-${name.slice(4)}-1`,
        `i-svc-${name.slice(4)}-2`,
      ]);
    }
  });

  it('fails only the entity whose inventory cannot be written', async () => {
    const { fleet, sync } = await setup(['web', 'dup', 'api']);
    const results = await sync.run();
    expect(results.map(r => [r.entityRef, r.status])).toEqual([
      ['component:default/web', 'ok'],
      ['component:default/dup', 'failed'],
      ['component:default/api', 'ok'],
    ]);
    expect(
      (await fleet.getInventory('component:default/api')).instances,
    ).toHaveLength(3);
    expect(
      (await fleet.getInventory('component:default/dup')).sync,
    ).toMatchObject({ status: 'failed', error: expect.any(String) });
  });
});

/**
 * A cloud held in memory: instances per account and region, each call
 * recorded. It lists an account's inventory by tag keys and an entity's
 * instances by selector, as EC2's `tag-key` and `tag:<key>` filters do
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstances.html).
 */
class InMemoryCloud implements FleetProvider {
  readonly calls: { method: string; account?: string; region: string }[] = [];
  readonly instances: FleetInstance[] = [];
  /** Accounts whose credentials cannot be had, and regions that fail. */
  readonly refused = new Map<string, Error>();
  /** Runs as each account and region is listed (a fake clock advancing). */
  onList?: (location: { account?: string; region: string }) => void;
  /**
   * Accounts whose listing never answers (an endpoint that accepts the
   * connection and says nothing): `abortable` until the caller's signal
   * aborts it, as the SDK's `abortSignal` does; `deaf` not even then.
   */
  readonly silent = new Map<string, 'abortable' | 'deaf'>();
  /** The signals the listings were given. */
  readonly signals: AbortSignal[] = [];

  add(
    count: number,
    tags: Record<string, string>,
    where: { region?: string; account?: string } = {},
  ): string[] {
    return Array.from({ length: count }, () => {
      const instanceId = `i-${(this.instances.length + 1)
        .toString(16)
        .padStart(17, '0')}`;
      this.instances.push({
        instanceId,
        region: where.region ?? region,
        account: where.account,
        imageId: 'ami-1',
        state: 'running',
        sshExposure: 'none',
        sshSources: [],
        tags,
      });
      return instanceId;
    });
  }

  private ask(method: string, location: { account?: string; region: string }) {
    this.calls.push({ method, ...location });
    const refused =
      this.refused.get(`${location.account ?? ''}/${location.region}`) ??
      this.refused.get(location.account ?? '');
    if (refused) {
      throw refused;
    }
  }

  private of(location: { account?: string; region: string }) {
    return this.instances.filter(
      i => i.region === location.region && i.account === location.account,
    );
  }

  async listAccountInstances(location: {
    region: string;
    account?: string;
    tagKeys: string[];
    signal?: AbortSignal;
  }) {
    this.ask('listAccountInstances', location);
    this.onList?.(location);
    if (location.signal) {
      this.signals.push(location.signal);
    }
    const silent = this.silent.get(location.account ?? '');
    if (silent) {
      await new Promise((_, reject) => {
        if (silent === 'abortable') {
          location.signal?.addEventListener(
            'abort',
            () =>
              reject(
                Object.assign(new Error('Request aborted'), {
                  name: 'AbortError',
                }),
              ),
            { once: true },
          );
        }
      });
    }
    return this.of(location)
      .filter(i => location.tagKeys.some(key => key in i.tags))
      .map(i => ({ ...i }));
  }

  async listInstances(location: {
    region: string;
    account?: string;
    selector: { key: string; value: string }[];
  }) {
    this.ask('listInstances', location);
    return this.of(location)
      .filter(i => location.selector.every(p => i.tags[p.key] === p.value))
      .map(i => ({ ...i }));
  }

  async getLaunchTemplateDefault() {
    return undefined;
  }

  async describeAutoScalingGroups() {
    return [];
  }

  count(method: string) {
    return this.calls.filter(c => c.method === method).length;
  }
}

describe.each(databases.eachSupportedId())(
  'FleetSync by account and region on %p',
  id => {
    const regions = ['us-east-1', 'eu-west-1'];

    function enrolled(name: string, annotations: Record<string, string> = {}) {
      return component(name, {
        'immutable-infra.io/image-family': name,
        ...annotations,
      });
    }

    async function setup(
      cloud: InMemoryCloud,
      entities: object[],
      extra: { concurrency?: number; now?: () => number } = {},
    ) {
      const knex = await databases.init(id);
      await migrateForTests(knex);
      const fleet = DatabaseFleetStore.create({ knex });
      const catalog = catalogServiceMock({ entities: entities as any });
      const queryEntities = jest.spyOn(catalog, 'queryEntities');
      const getEntities = jest.spyOn(catalog, 'getEntities');
      const sync = new FleetSync({
        catalog,
        auth: mockServices.auth(),
        fleet,
        snapshots: DatabaseEntitySnapshotStore.create({ knex }),
        providerFactory: () => cloud,
        logger: mockServices.logger.mock(),
        regions,
        environmentTag: 'environment',
        ...extra,
      });
      return { knex, fleet, sync, catalog, queryEntities, getEntities };
    }

    const ids = async (fleet: DatabaseFleetStore, name: string) =>
      (await fleet.getInventory(`component:default/${name}`)).instances
        .map(i => i.instanceId)
        .sort();

    it('lists each account and region once for many entities, and gives each the instances its whole selector matches', async () => {
      const cloud = new InMemoryCloud();
      const names = Array.from({ length: 30 }, (_, n) => `svc-${n}`);
      const expected: Record<string, string[]> = {};
      for (const name of names) {
        expected[name] = [
          ...cloud.add(2, { 'immutable-infra:service': name }),
          ...cloud.add(
            1,
            { 'immutable-infra:service': name },
            {
              region: 'eu-west-1',
            },
          ),
        ];
      }
      // Another account, and a selector of two tags.
      expected.billing = cloud.add(
        3,
        { app: 'billing', team: 'payments' },
        {
          account: '111111111111',
        },
      );
      cloud.add(
        2,
        { app: 'billing', team: 'other' },
        {
          account: '111111111111',
        },
      );
      // Not any entity's.
      cloud.add(5, { unrelated: 'yes' });
      const billing = enrolled('billing', {
        'immutable-infra.io/fleet-selector': 'app=billing,team=payments',
        'immutable-infra.io/aws-account-id': '111111111111',
        'immutable-infra.io/aws-regions': 'us-east-1',
      });
      const { fleet, sync } = await setup(cloud, [
        ...names.map(name => enrolled(name)),
        billing,
      ]);

      const results = await sync.run();
      expect(results.map(r => [r.entityRef, r.status, r.instances])).toEqual([
        ...names.map(n => [`component:default/${n}`, 'ok', 3]),
        ['component:default/billing', 'ok', 3],
      ]);
      // One listing per account and region, whatever the number of
      // entities; none per entity.
      expect(cloud.count('listInstances')).toBe(0);
      expect(
        cloud.calls
          .filter(c => c.method === 'listAccountInstances')
          .map(c => `${c.account ?? 'main'}/${c.region}`)
          .sort(),
      ).toEqual(['111111111111/us-east-1', 'main/eu-west-1', 'main/us-east-1']);
      for (const name of [...names, 'billing']) {
        expect(await ids(fleet, name)).toEqual([...expected[name]].sort());
      }
      const inventory = await fleet.getInventory('component:default/svc-0');
      expect(inventory.instances[0]).not.toHaveProperty('ownedAlsoBy');
    });

    it('keeps an instance two selectors match in both inventories, flagged on each with the other, and a targeted resync keeps the flag', async () => {
      const cloud = new InMemoryCloud();
      const [both] = cloud.add(1, { app: 'shop', tier: 'web' });
      const [shopOnly] = cloud.add(1, { app: 'shop', tier: 'worker' });
      const shop = enrolled('shop', {
        'immutable-infra.io/fleet-selector': 'app=shop',
        'immutable-infra.io/aws-regions': 'us-east-1',
      });
      const web = enrolled('web', {
        'immutable-infra.io/fleet-selector': 'tier=web',
        'immutable-infra.io/aws-regions': 'us-east-1',
      });
      const { fleet, sync } = await setup(cloud, [shop, web]);

      const results = await sync.run();
      expect(results.map(r => [r.status, r.instances])).toEqual([
        ['ok', 2],
        ['ok', 1],
      ]);
      const flags = async (name: string) =>
        Object.fromEntries(
          (await fleet.getInventory(`component:default/${name}`)).instances.map(
            i => [i.instanceId, i.ownedAlsoBy],
          ),
        );
      expect(await flags('shop')).toEqual({
        [both]: ['component:default/web'],
        [shopOnly]: undefined,
      });
      expect(await flags('web')).toEqual({
        [both]: ['component:default/shop'],
      });
      // The drift rule reads the flag.
      const inventory = await fleet.getInventory('component:default/web');
      const findings = evaluateDrift({
        annotations: parseImmutableInfraAnnotations(web).annotations,
        policy: { maxImageAgeDays: 30, maxInstanceAgeDays: 30 },
        instances: inventory.instances,
        versionsByImage: new Map(),
        channels: [],
        channelVersions: new Map(),
        launchTemplates: [],
        autoscalingGroups: [],
        syncPeriodMs: 300_000,
        now: Date.now(),
      }).filter(f => f.rule === 'owned-twice');
      expect(findings).toEqual([
        expect.objectContaining({
          instanceId: both,
          severity: 'high',
          detail: expect.stringContaining(
            `${both} is also in the fleet of component:default/shop`,
          ),
        }),
      ]);

      // A targeted resync asks for that entity's selector alone, and keeps
      // the instance marked by what the other's inventory holds.
      cloud.calls.length = 0;
      const [resynced] = await sync.run('component:default/web');
      expect(resynced).toMatchObject({ status: 'ok', instances: 1 });
      expect(cloud.calls).toEqual([
        {
          method: 'listInstances',
          region: 'us-east-1',
          account: undefined,
          selector: [{ key: 'tier', value: 'web' }],
        },
      ]);
      expect(await flags('web')).toEqual({
        [both]: ['component:default/shop'],
      });
    });

    it('fails only the entities of an account that cannot be reached, with why, and keeps their last good inventory', async () => {
      const cloud = new InMemoryCloud();
      const other = cloud.add(
        2,
        { 'immutable-infra:service': 'remote' },
        {
          account: '222222222222',
        },
      );
      const local = cloud.add(2, { 'immutable-infra:service': 'local' });
      const remote = enrolled('remote', {
        'immutable-infra.io/aws-account-id': '222222222222',
        'immutable-infra.io/aws-regions': 'us-east-1',
      });
      const { fleet, sync } = await setup(cloud, [
        remote,
        enrolled('local', { 'immutable-infra.io/aws-regions': 'us-east-1' }),
      ]);
      expect((await sync.run()).map(r => r.status)).toEqual(['ok', 'ok']);
      const before = await fleet.getInventory('component:default/remote');

      cloud.refused.set(
        '222222222222',
        new CloudAccessError(
          'no credentials for account 222222222222: There is no AWS integration that matches 222222222222',
        ),
      );
      cloud.add(1, { 'immutable-infra:service': 'local' });
      const results = await sync.run();
      expect(results.map(r => [r.entityRef, r.status])).toEqual([
        ['component:default/remote', 'failed'],
        ['component:default/local', 'ok'],
      ]);
      expect(results[0].error).toBe(
        'us-east-1 of account 222222222222: no credentials for account 222222222222: There is no AWS integration that matches 222222222222',
      );
      const after = await fleet.getInventory('component:default/remote');
      expect(after.instances.map(i => i.instanceId).sort()).toEqual(
        [...other].sort(),
      );
      expect(after.sync).toMatchObject({
        status: 'failed',
        lastSuccessAt: before.sync!.lastSuccessAt,
        error: results[0].error,
      });
      expect(await ids(fleet, 'local')).toHaveLength(local.length + 1);
    });

    it('never writes part of an entity whose other region failed: its last good inventory of every region stays', async () => {
      const cloud = new InMemoryCloud();
      const east = cloud.add(1, { 'immutable-infra:service': 'web' });
      const west = cloud.add(
        1,
        { 'immutable-infra:service': 'web' },
        {
          region: 'eu-west-1',
        },
      );
      const { fleet, sync } = await setup(cloud, [enrolled('web')]);
      expect((await sync.run())[0].status).toBe('ok');

      cloud.refused.set(
        '/eu-west-1',
        Object.assign(new Error('Rate exceeded'), {
          name: 'RequestLimitExceeded',
        }),
      );
      cloud.add(1, { 'immutable-infra:service': 'web' });
      const [result] = await sync.run();
      expect(result).toMatchObject({
        status: 'failed',
        error: 'eu-west-1: Rate exceeded',
      });
      expect(await ids(fleet, 'web')).toEqual([...east, ...west].sort());
    });

    describe('with a time budget', () => {
      /** Each listing takes a minute of a fake clock. */
      function slowCloud() {
        const cloud = new InMemoryCloud();
        let clock = 0;
        cloud.onList = () => {
          clock += 60_000;
        };
        return { cloud, now: () => clock };
      }
      const accounts = ['111111111111', '222222222222', '333333333333'];
      const inAccount = (n: number) =>
        enrolled(`svc-${n}`, {
          'immutable-infra.io/aws-account-id': accounts[n],
          'immutable-infra.io/aws-regions': 'us-east-1',
        });
      const listed = (cloud: InMemoryCloud) =>
        cloud.calls
          .filter(c => c.method === 'listAccountInstances')
          .map(c => c.account);

      it('starts no account and region past its budget, keeps the inventories it did not reach, and starts the next run with them', async () => {
        const { cloud, now } = slowCloud();
        const before = accounts.map((account, n) =>
          cloud.add(1, { 'immutable-infra:service': `svc-${n}` }, { account }),
        );
        const { fleet, sync } = await setup(
          cloud,
          accounts.map((_, n) => inAccount(n)),
          { concurrency: 1, now },
        );
        // A first run with time for everything.
        const first = await sync.runWithin(10 * 60_000);
        expect(first.deferred).toEqual([]);
        expect(first.results.every(r => r.status === 'ok')).toBe(true);
        const lastSuccess = await Promise.all(
          accounts.map(
            async (_, n) =>
              (
                await fleet.getInventory(`component:default/svc-${n}`)
              ).sync!.lastSuccessAt,
          ),
        );

        // Each account launches one more instance; the budget covers two
        // listings of a minute: the third account is not started.
        const added = accounts.map((account, n) =>
          cloud.add(1, { 'immutable-infra:service': `svc-${n}` }, { account }),
        );
        cloud.calls.length = 0;
        const second = await sync.runWithin(90_000);
        expect(listed(cloud)).toHaveLength(2);
        const reached = listed(cloud);
        const notReached = accounts.find(a => !reached.includes(a))!;
        const skipped = `svc-${accounts.indexOf(notReached)}`;
        expect(second.deferred).toEqual([`component:default/${skipped}`]);
        expect(second.results.map(r => r.entityRef).sort()).toEqual(
          accounts
            .map((_, n) => `component:default/svc-${n}`)
            .filter(ref => ref !== `component:default/${skipped}`)
            .sort(),
        );
        expect(second.results.every(r => r.status === 'ok')).toBe(true);
        // Not reached: neither rewritten nor failed; its last inventory and
        // its last good sync stay as they were.
        const kept = await fleet.getInventory(`component:default/${skipped}`);
        const n = accounts.indexOf(notReached);
        expect(kept.instances.map(i => i.instanceId)).toEqual(before[n]);
        expect(kept.sync).toMatchObject({ status: 'ok' });
        expect(kept.sync!.lastSuccessAt).toBe(lastSuccess[n]);
        // Those reached have their new instances.
        for (const account of reached) {
          const m = accounts.indexOf(account!);
          expect((await ids(fleet, `svc-${m}`)).sort()).toEqual(
            [...before[m], ...added[m]].sort(),
          );
        }

        // The next run starts with the account it could not reach.
        cloud.calls.length = 0;
        const third = await sync.runWithin(90_000);
        expect(listed(cloud)[0]).toBe(notReached);
        expect(third.results.map(r => r.entityRef)).toContain(
          `component:default/${skipped}`,
        );
        expect((await ids(fleet, skipped)).sort()).toEqual(
          [...before[n], ...added[n]].sort(),
        );
      });

      it('writes no part of an entity whose other region was not reached', async () => {
        const { cloud, now } = slowCloud();
        const east = cloud.add(1, { 'immutable-infra:service': 'web' });
        const west = cloud.add(
          1,
          { 'immutable-infra:service': 'web' },
          { region: 'eu-west-1' },
        );
        const { fleet, sync } = await setup(cloud, [enrolled('web')], {
          concurrency: 1,
          now,
        });
        expect((await sync.runWithin(10 * 60_000)).deferred).toEqual([]);

        cloud.add(1, { 'immutable-infra:service': 'web' });
        cloud.calls.length = 0;
        const run = await sync.runWithin(30_000);
        expect(listed(cloud)).toHaveLength(1);
        expect(run).toEqual({
          results: [],
          deferred: ['component:default/web'],
        });
        expect(await ids(fleet, 'web')).toEqual([...east, ...west].sort());
      });

      it('entity by entity too (a provider without account listings): none started past the budget, the least recently attempted first', async () => {
        const cloud = new InMemoryCloud();
        let clock = 0;
        const perEntity = Object.assign(Object.create(cloud), {
          listAccountInstances: undefined,
          listInstances: async (location: any) => {
            clock += 60_000;
            return cloud.listInstances(location);
          },
        }) as FleetProvider;
        accounts.forEach((account, n) =>
          cloud.add(1, { 'immutable-infra:service': `svc-${n}` }, { account }),
        );
        const knex = await databases.init(id);
        await migrateForTests(knex);
        const fleet = DatabaseFleetStore.create({ knex });
        const sync = new FleetSync({
          catalog: catalogServiceMock({
            entities: accounts.map((_, n) => inAccount(n)) as any,
          }),
          auth: mockServices.auth(),
          fleet,
          snapshots: DatabaseEntitySnapshotStore.create({ knex }),
          providerFactory: () => perEntity,
          logger: mockServices.logger.mock(),
          regions,
          environmentTag: 'environment',
          concurrency: 1,
          now: () => clock,
        });
        const first = await sync.runWithin(90_000);
        expect(first.results.map(r => r.entityRef)).toEqual([
          'component:default/svc-0',
          'component:default/svc-1',
        ]);
        expect(first.deferred).toEqual(['component:default/svc-2']);
        expect(
          (await fleet.getInventory('component:default/svc-2')).sync,
        ).toBeUndefined();

        const second = await sync.runWithin(30_000);
        expect(second.results.map(r => r.entityRef)).toEqual([
          'component:default/svc-2',
        ]);
        expect(await ids(fleet, 'svc-2')).toHaveLength(1);
      });

      it.each(['abortable', 'deaf'] as const)(
        'gives up an account still answering at its stop (%s), leaves its entities as they were, and takes them first next time',
        async silence => {
          const cloud = new InMemoryCloud();
          accounts.forEach((account, n) =>
            cloud.add(
              1,
              { 'immutable-infra:service': `svc-${n}` },
              { account },
            ),
          );
          const { fleet, sync } = await setup(
            cloud,
            accounts.map((_, n) => inAccount(n)),
            { concurrency: 2 },
          );
          cloud.silent.set(accounts[1], silence);
          const run = await sync.runWithin(10 * 60_000, { stopMs: 300 });
          expect(run.deferred).toEqual(['component:default/svc-1']);
          expect(run.results.map(r => [r.entityRef, r.status])).toEqual([
            ['component:default/svc-0', 'ok'],
            ['component:default/svc-2', 'ok'],
          ]);
          // Neither written nor failed.
          expect(
            (await fleet.getInventory('component:default/svc-1')).sync,
          ).toBeUndefined();
          // The listing given up was told to stop.
          expect(cloud.signals.every(signal => signal.aborted)).toBe(true);

          cloud.silent.clear();
          cloud.calls.length = 0;
          const next = await sync.runWithin(10 * 60_000, { stopMs: 60_000 });
          expect(listed(cloud)[0]).toBe(accounts[1]);
          expect(next.deferred).toEqual([]);
          expect(await ids(fleet, 'svc-1')).toHaveLength(1);
        },
      );

      it('takes entities never synced first', async () => {
        const { cloud, now } = slowCloud();
        accounts.forEach((account, n) =>
          cloud.add(1, { 'immutable-infra:service': `svc-${n}` }, { account }),
        );
        const entities = accounts.map((_, n) => inAccount(n));
        const { sync, knex } = await setup(cloud, entities.slice(0, 2), {
          concurrency: 1,
          now,
        });
        await sync.runWithin(10 * 60_000);
        // A newly enrolled entity of the third account, listed last in the
        // catalog.
        const later = new FleetSync({
          catalog: catalogServiceMock({ entities: entities as any }),
          auth: mockServices.auth(),
          fleet: DatabaseFleetStore.create({ knex }),
          snapshots: DatabaseEntitySnapshotStore.create({ knex }),
          providerFactory: () => cloud,
          logger: mockServices.logger.mock(),
          regions,
          environmentTag: 'environment',
          concurrency: 1,
          now,
        });
        cloud.calls.length = 0;
        const run = await later.runWithin(30_000);
        expect(listed(cloud)).toEqual([accounts[2]]);
        expect(run.results.map(r => r.entityRef)).toEqual([
          'component:default/svc-2',
        ]);
      });
    });

    it('reads the catalog in pages, never in one answer', async () => {
      const cloud = new InMemoryCloud();
      const count = ENTITY_PAGE_SIZE + 20;
      const names = Array.from({ length: count }, (_, n) => `p-${n}`);
      cloud.add(1, { 'immutable-infra:service': 'p-0' });
      cloud.add(1, { 'immutable-infra:service': `p-${count - 1}` });
      const { knex, sync, catalog, queryEntities, getEntities } = await setup(
        cloud,
        [
          ...names.map(name =>
            enrolled(name, { 'immutable-infra.io/aws-regions': 'us-east-1' }),
          ),
          component('plain', {}),
        ],
      );
      const results = await sync.run();
      expect(results).toHaveLength(count);
      expect(results.every(r => r.status === 'ok')).toBe(true);
      expect(results.filter(r => r.instances === 1)).toHaveLength(2);
      expect(queryEntities).toHaveBeenCalledTimes(2);
      expect(queryEntities.mock.calls[0][0]).toMatchObject({
        limit: ENTITY_PAGE_SIZE,
      });
      expect(queryEntities.mock.calls[1][0]).toMatchObject({
        cursor: expect.any(String),
      });
      expect(getEntities).not.toHaveBeenCalled();
      expect(cloud.count('listAccountInstances')).toBe(1);

      // The snapshotter reads the same pages.
      queryEntities.mockClear();
      await knex('entity_snapshots').delete();
      const refresh = new EntityRefresh({
        catalog,
        auth: mockServices.auth(),
        snapshots: DatabaseEntitySnapshotStore.create({ knex }),
        logger: mockServices.logger.mock(),
      });
      expect(await refresh.run()).toMatchObject({ written: count });
      expect(queryEntities).toHaveBeenCalledTimes(2);
      expect(getEntities).not.toHaveBeenCalled();
    });
  },
);
