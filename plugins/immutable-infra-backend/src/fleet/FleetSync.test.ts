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
import { FleetProvider } from '../providers/FleetProvider';

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
