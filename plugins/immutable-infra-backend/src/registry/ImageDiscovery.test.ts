import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { DeregisterImageCommand } from '@aws-sdk/client-ec2';
import { Knex } from 'knex';
import { createTestDatabases } from '../__testUtils__/databases';
import { Ec2Fixtures, emulatorClients } from '../__testUtils__/ec2Fixtures';
import { migrateForTests } from '../__testUtils__/migrate';
import { emulatorConfig, MotoServer, startMoto } from '../__testUtils__/moto';
import { createRegistryStores, RegistryStores } from './RegistryStores';
import { AwsClientFactory } from '../providers/aws/AwsClientFactory';
import { Ec2ImageProvider } from '../providers/aws/Ec2ImageProvider';
import { digestOf, ImageBuild } from './manifest';
import { ImageDiscovery } from './ImageDiscovery';

jest.setTimeout(120_000);

const databases = createTestDatabases();

describe.each(databases.eachSupportedId())(
  'ImageDiscovery on %p with the EC2 emulator',
  id => {
    let moto: MotoServer;
    let knex: Knex;
    let store: RegistryStores;
    let east: Ec2Fixtures;
    let west: Ec2Fixtures;

    beforeAll(async () => {
      moto = await startMoto();
      knex = await databases.init(id);
      await migrateForTests(knex);
      store = createRegistryStores(knex);
      await store.families.enrollFamily({
        name: 'app',
        entityRef: 'component:default/app',
        actor: 'a',
      });
      const e = emulatorClients(moto.endpoint, 'us-east-1');
      east = new Ec2Fixtures(e.ec2, e.autoscaling);
      const w = emulatorClients(moto.endpoint, 'eu-west-1');
      west = new Ec2Fixtures(w.ec2, w.autoscaling);
    });

    afterAll(async () => {
      await moto?.stop();
    });

    function discovery(
      endpoint = moto.endpoint,
      regions = ['us-east-1', 'eu-west-1'],
    ) {
      return new ImageDiscovery({
        stores: store,
        provider: new Ec2ImageProvider(
          AwsClientFactory.fromConfig(
            new ConfigReader(emulatorConfig(endpoint)),
          ),
        ),
        logger: mockServices.logger.mock(),
        regions,
      });
    }

    it('turns tagged images of enrolled families into versions, once', async () => {
      const v1 = await east.image({
        'immutable-infra:family': 'app',
        'immutable-infra:version': '1',
        'git:commit': 'aaaa1111',
        'git:repo': 'https://git.example.com/app',
        'build:url': 'https://ci.example.com/1',
      });
      const v2east = await east.image({
        'immutable-infra:family': 'app',
        'immutable-infra:version': '2',
        'git:commit': 'bbbb2222',
        'immutable-infra:parent-image': v1,
      });
      const v2west = await west.image({
        'immutable-infra:family': 'app',
        'immutable-infra:version': '2',
        'git:commit': 'bbbb2222',
      });
      const stranger = await east.image({ 'immutable-infra:family': 'nobody' });
      await east.image(); // untagged: not ours to register

      const first = await discovery().run();
      expect(first.discovered).toEqual(['app@1', 'app@2']);
      expect(first.unenrolled).toEqual([stranger]);
      expect(first.failedRegions).toEqual([]);

      const app1 = await store.versions.getVersion({
        family: 'app',
        version: 1,
      });
      expect(app1).toMatchObject({
        source: 'discovered',
        gitCommit: 'aaaa1111',
        gitRepo: 'https://git.example.com/app',
        buildUrl: 'https://ci.example.com/1',
        artifacts: [
          { region: 'us-east-1', imageId: v1, account: '123456789012' },
        ],
      });
      const app2 = await store.versions.getVersion({
        family: 'app',
        version: 2,
      });
      expect(app2?.artifacts.map(a => a.imageId).sort()).toEqual(
        [v2east, v2west].sort(),
      );
      expect(app2?.parentVersion).toBe('app@1');

      const second = await discovery().run();
      expect(second.discovered).toEqual([]);
      const audits = await knex('audit_events').where({
        action: 'image.discover',
      });
      expect(audits).toHaveLength(2);
    });

    it('lets the pipeline adopt a version discovery found first', async () => {
      const imageId = await east.image({
        'immutable-infra:family': 'app',
        'git:commit': 'dddd4444',
      });
      const found = await discovery().run();
      expect(found.discovered).toHaveLength(1);
      const build: ImageBuild = {
        family: 'app',
        artifacts: [{ region: 'us-east-1', imageId }],
        gitCommit: 'dddd4444',
        buildUrl: 'https://ci.example.com/44',
        buildInputs: { git_commit: 'dddd4444' },
      };
      const adopted = await store.versions.registerVersion({
        build,
        digest: digestOf(build),
        source: 'registered',
        actor: 'ci',
      });
      expect(adopted).toMatchObject({
        outcome: 'existing',
        version: {
          id: found.discovered[0],
          source: 'registered',
          buildUrl: 'https://ci.example.com/44',
        },
      });
      // Once adopted, the same registration is simply idempotent.
      const again = await store.versions.registerVersion({
        build,
        digest: digestOf(build),
        source: 'registered',
        actor: 'ci',
      });
      expect(again).toMatchObject({
        outcome: 'existing',
        version: { id: found.discovered[0] },
      });
    });

    it('marks a registered version whose AMI vanished, and keeps it in history', async () => {
      const imageId = await east.image();
      const build: ImageBuild = {
        family: 'app',
        artifacts: [{ region: 'us-east-1', imageId }],
        gitCommit: 'cccc3333',
        buildInputs: {},
      };
      const registered = await store.versions.registerVersion({
        build,
        digest: digestOf(build),
        source: 'registered',
        actor: 'a',
      });
      expect(registered.outcome).toBe('created');

      expect((await discovery().run()).missing).toEqual([]);
      await east.ec2.send(new DeregisterImageCommand({ ImageId: imageId }));
      const result = await discovery().run();
      expect(result.missing).toEqual(['app@4']);
      const version = await store.versions.getVersion({
        family: 'app',
        version: 4,
      });
      expect(version?.missingSince).toBeDefined();
      expect(version?.state).toBe('active');
      // Reported once, not at every run.
      expect((await discovery().run()).missing).toEqual([]);
    });

    it('changes nothing for a region it cannot list', async () => {
      const result = await discovery('http://127.0.0.1:9').run();
      expect(result.failedRegions.map(f => f.region)).toEqual([
        'us-east-1',
        'eu-west-1',
      ]);
      expect(result.missing).toEqual([]);
      const versions = await store.versions.listVersions({
        family: 'app',
        limit: 10,
      });
      expect(versions.items.filter(v => v.missingSince).map(v => v.id)).toEqual(
        ['app@4'],
      );
    });

    it('clears a missing mark only when every region of the version was listed', async () => {
      const east2 = await east.image();
      const west2 = await west.image();
      const build: ImageBuild = {
        family: 'app',
        artifacts: [
          { region: 'us-east-1', imageId: east2 },
          { region: 'eu-west-1', imageId: west2 },
        ],
        buildInputs: {},
      };
      const registered = await store.versions.registerVersion({
        build,
        digest: digestOf(build),
        source: 'registered',
        actor: 'a',
      });
      if (registered.outcome !== 'created') throw new Error(registered.outcome);
      await knex('image_versions')
        .where({ family: 'app', version: registered.version.version })
        .update({ missing_since: new Date().toISOString() });
      // Only eu-west-1 listed: the us-east-1 AMI was not seen, so the mark stays.
      await discovery(moto.endpoint, ['eu-west-1']).run();
      expect(
        (await store.versions.getVersion({ imageId: east2 }))?.missingSince,
      ).toBeDefined();
      // Both regions listed and both AMIs present: cleared.
      await discovery().run();
      expect(
        (await store.versions.getVersion({ imageId: east2 }))?.missingSince,
      ).toBeUndefined();
    });
  },
);
