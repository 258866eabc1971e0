import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  DescribeImagesCommand,
  DescribeSnapshotsCommand,
  ModifyImageAttributeCommand,
} from '@aws-sdk/client-ec2';
import { Knex } from 'knex';
import { createTestDatabases } from '../__testUtils__/databases';
import { Ec2Fixtures, emulatorClients } from '../__testUtils__/ec2Fixtures';
import { migrateForTests } from '../__testUtils__/migrate';
import { emulatorConfig, MotoServer, startMoto } from '../__testUtils__/moto';
import { createRegistryStores, RegistryStores } from './RegistryStores';
import { AwsClientFactory } from '../providers/aws/AwsClientFactory';
import { Ec2ImageProvider } from '../providers/aws/Ec2ImageProvider';
import { ImageProvider } from '../providers/ImageProvider';
import { ImagePruner } from './ImagePruner';
import { digestOf, ImageBuild } from './manifest';

jest.setTimeout(120_000);

const databases = createTestDatabases();
const region = 'us-east-1';
const DAY = 24 * 60 * 60 * 1000;

describe.each(databases.eachSupportedId())(
  'ImagePruner on %p with the EC2 emulator',
  id => {
    let moto: MotoServer;
    let knex: Knex;
    let store: RegistryStores;
    let provider: Ec2ImageProvider;
    let fixtures: Ec2Fixtures;
    const amis: Record<number, string> = {};

    beforeAll(async () => {
      moto = await startMoto();
      provider = new Ec2ImageProvider(
        AwsClientFactory.fromConfig(
          new ConfigReader(emulatorConfig(moto.endpoint)),
        ),
      );
      const { ec2, autoscaling } = emulatorClients(moto.endpoint, region);
      fixtures = new Ec2Fixtures(ec2, autoscaling);

      knex = await databases.init(id);
      await migrateForTests(knex);
      store = createRegistryStores(knex);
      await store.families.enrollFamily({
        name: 'app',
        entityRef: 'component:default/app',
        actor: 'a',
      });
      for (let version = 1; version <= 8; version++) {
        amis[version] = await fixtures.image({
          'immutable-infra:family': 'app',
        });
        const build: ImageBuild = {
          family: 'app',
          artifacts: [{ region, imageId: amis[version] }],
          gitCommit: `abc000${version}`,
          buildInputs: {},
          // v6 is fresh; the others were built a month ago.
          builtAt: new Date(Date.now() - (version === 6 ? 1 : 30) * DAY),
        };
        await store.versions.registerVersion({
          build,
          digest: digestOf(build),
          source: 'registered',
          actor: 'a',
        });
      }
      await store.channels.assignChannel({
        family: 'app',
        channel: 'production',
        version: 5,
        actor: 'a',
      });
      await fixtures.instance(amis[4]);
      await fixtures.launchTemplate('app-lt', [amis[8], amis[3]]);
      await fixtures.autoScalingGroupFromConfiguration('app-asg', amis[2]);
    });

    afterAll(async () => {
      await moto?.stop();
    });

    const pruner = (p: ImageProvider = provider) =>
      new ImagePruner({
        stores: store,
        provider: p,
        logger: mockServices.logger.mock(),
      });

    const request = {
      families: ['app'],
      keepVersions: 2,
      minAgeDays: 7,
      actor: 'user:default/ada',
    };

    function reasonsOf(result: Awaited<ReturnType<ImagePruner['prune']>>) {
      return Object.fromEntries(
        result.kept.map(k => [k.id, k.reasons.map(r => r.kind)]),
      );
    }

    it('proposes only what nothing uses, saying why each other version is kept', async () => {
      const result = await pruner().prune({ ...request, dryRun: true });
      expect(result.pruned).toEqual([
        { id: 'app@1', artifacts: [{ region, imageId: amis[1] }] },
      ]);
      expect(reasonsOf(result)).toEqual({
        'app@8': ['newest'],
        'app@7': ['newest'],
        // latest: built last, though not numbered last.
        'app@6': ['young', 'channel'],
        'app@5': ['channel'],
        'app@4': ['instance'],
        'app@3': ['launch-template'],
        'app@2': ['autoscaling-group'],
      });
      const kept = Object.fromEntries(
        result.kept.map(k => [k.id, k.reasons.map(r => r.detail)]),
      );
      expect(kept['app@8']).toEqual(['one of the 2 newest versions of app']);
      expect(kept['app@6']).toContain('assigned to the latest channel');
      expect(kept['app@5']).toEqual(['assigned to the production channel']);
      expect(kept['app@3'][0]).toMatch(
        /^in launch template app-lt \(lt-[0-9a-f]+\) version 2$/,
      );
      expect(kept['app@2']).toEqual(['launched by Auto Scaling group app-asg']);
      expect(kept['app@4'][0]).toMatch(/^runs on 1 instance: i-/);
      // A dry run changes nothing.
      const images = await fixtures.ec2.send(
        new DescribeImagesCommand({ ImageIds: [amis[1]] }),
      );
      expect(images.Images).toHaveLength(1);
      expect(
        (await store.versions.getVersion({ family: 'app', version: 1 }))?.state,
      ).toBe('active');
    });

    it('keeps an image shared with another account, or public, since others may launch it', async () => {
      const share = (action: 'Add' | 'Remove', grant: object) =>
        fixtures.ec2.send(
          new ModifyImageAttributeCommand({
            ImageId: amis[1],
            LaunchPermission: { [action]: [grant] },
          }),
        );
      await share('Add', { UserId: '210987654321' });
      try {
        const shared = await pruner().prune({ ...request, dryRun: true });
        expect(shared.pruned).toEqual([]);
        expect(shared.kept.find(k => k.id === 'app@1')?.reasons).toEqual([
          {
            kind: 'shared',
            detail:
              'shared with 1 other account or organization (210987654321), who may launch it',
          },
        ]);
      } finally {
        await share('Remove', { UserId: '210987654321' });
      }
      await share('Add', { Group: 'all' });
      try {
        const open = await pruner().prune({ ...request, dryRun: true });
        expect(open.kept.find(k => k.id === 'app@1')?.reasons).toEqual([
          { kind: 'shared', detail: 'public: anyone may launch it' },
        ]);
      } finally {
        await share('Remove', { Group: 'all' });
      }
    });

    it('keeps every candidate when EC2 cannot be asked', async () => {
      const unreachable = new Ec2ImageProvider(
        AwsClientFactory.fromConfig(
          new ConfigReader(emulatorConfig('http://127.0.0.1:9')),
        ),
      );
      const result = await pruner(unreachable).prune({
        ...request,
        dryRun: false,
      });
      expect(result.pruned).toEqual([]);
      expect(
        result.kept
          .filter(k => k.reasons[0].kind === 'unchecked')
          .map(k => k.id)
          .sort(),
      ).toEqual(['app@1', 'app@2', 'app@3', 'app@4']);
    });

    it('executes: deregisters the proposed AMI, deletes its snapshots, records it, and touches nothing else', async () => {
      const before = await fixtures.ec2.send(
        new DescribeImagesCommand({ ImageIds: [amis[1]] }),
      );
      const snapshots = before.Images![0].BlockDeviceMappings!.map(
        m => m.Ebs!.SnapshotId!,
      );

      const result = await pruner().prune({ ...request, dryRun: false });
      expect(result.failed).toEqual([]);
      expect(result.pruned).toEqual([
        {
          id: 'app@1',
          artifacts: [
            { region, imageId: amis[1], deletedSnapshots: snapshots },
          ],
        },
      ]);
      expect(
        (await store.versions.getVersion({ family: 'app', version: 1 }))?.state,
      ).toBe('pruned');
      const remaining = await provider.listOwnedImages({ region });
      const ids = remaining.map(i => i.imageId);
      expect(ids).not.toContain(amis[1]);
      for (let version = 2; version <= 8; version++) {
        expect(ids).toContain(amis[version]);
      }
      const leftSnapshots = await fixtures.ec2.send(
        new DescribeSnapshotsCommand({ OwnerIds: ['self'] }),
      );
      expect(leftSnapshots.Snapshots!.map(s => s.SnapshotId)).not.toEqual(
        expect.arrayContaining(snapshots),
      );
      const audits = await knex('audit_events').where({
        action: 'image.prune',
      });
      expect(audits.map(a => a.subject)).toEqual(['app@1']);

      // Pruned versions are not proposed again.
      const again = await pruner().prune({ ...request, dryRun: true });
      expect(again.pruned).toEqual([]);
    });
  },
);
