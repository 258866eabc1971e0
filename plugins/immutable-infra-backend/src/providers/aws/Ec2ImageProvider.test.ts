import { ConfigReader } from '@backstage/config';
import {
  DescribeImagesCommand,
  ModifyImageAttributeCommand,
} from '@aws-sdk/client-ec2';
import { Ec2Fixtures, emulatorClients } from '../../__testUtils__/ec2Fixtures';
import {
  emulatorConfig,
  MotoServer,
  startMoto,
} from '../../__testUtils__/moto';
import { AwsClientFactory } from './AwsClientFactory';
import { Ec2ImageProvider } from './Ec2ImageProvider';

jest.setTimeout(60_000);

describe('Ec2ImageProvider against the EC2 emulator', () => {
  let moto: MotoServer;
  let provider: Ec2ImageProvider;
  let fixtures: Ec2Fixtures;
  const region = 'us-east-1';

  beforeAll(async () => {
    moto = await startMoto();
    provider = new Ec2ImageProvider(
      AwsClientFactory.fromConfig(
        new ConfigReader(emulatorConfig(moto.endpoint)),
      ),
    );
    const { ec2, autoscaling } = emulatorClients(moto.endpoint, region);
    fixtures = new Ec2Fixtures(ec2, autoscaling);
  });

  afterAll(async () => {
    await moto?.stop();
  });

  it('lists the account’s own images with their tags', async () => {
    const imageId = await fixtures.image({
      'immutable-infra:family': 'payments-api',
      'git:commit': 'abc1234',
    });
    const images = await provider.listOwnedImages({ region });
    const found = images.find(i => i.imageId === imageId);
    expect(found).toMatchObject({
      region,
      account: '123456789012',
      tags: {
        'immutable-infra:family': 'payments-api',
        'git:commit': 'abc1234',
      },
    });
    expect(found?.createdAt).toBeInstanceOf(Date);
  });

  it('tells which AMI ids are the account’s own images', async () => {
    const own = await fixtures.image();
    const owned = await provider.findOwnedImages({
      region,
      imageIds: [own, 'ami-0123456789abcdef0'],
    });
    expect([...owned]).toEqual([own]);
    // Not in another region.
    const elsewhere = await provider.findOwnedImages({
      region: 'eu-west-1',
      imageIds: [own],
    });
    expect(elsewhere.size).toBe(0);
  });

  it('finds every kind of use: instances, launch template versions, Auto Scaling groups, launch permissions', async () => {
    const running = await fixtures.image();
    const inOldTemplateVersion = await fixtures.image();
    const inDefaultVersion = await fixtures.image();
    const inLaunchConfiguration = await fixtures.image();
    const terminatedOnly = await fixtures.image();
    const unused = await fixtures.image();
    const sharedWithAccount = await fixtures.image();
    const publicImage = await fixtures.image();
    await fixtures.ec2.send(
      new ModifyImageAttributeCommand({
        ImageId: sharedWithAccount,
        LaunchPermission: { Add: [{ UserId: '210987654321' }] },
      }),
    );
    await fixtures.ec2.send(
      new ModifyImageAttributeCommand({
        ImageId: publicImage,
        LaunchPermission: { Add: [{ Group: 'all' }] },
      }),
    );

    const instance = await fixtures.instance(running);
    const gone = await fixtures.instance(terminatedOnly);
    await fixtures.terminate(gone);
    const template = await fixtures.launchTemplate('uses-test', [
      inDefaultVersion,
      inOldTemplateVersion,
    ]);
    await fixtures.autoScalingGroupFromTemplate(
      'asg-uses',
      template,
      '$Default',
    );
    await fixtures.autoScalingGroupFromConfiguration(
      'asg-lc',
      inLaunchConfiguration,
    );

    const uses = await provider.findImageUses({
      region,
      imageIds: [
        running,
        inOldTemplateVersion,
        inDefaultVersion,
        inLaunchConfiguration,
        terminatedOnly,
        unused,
        sharedWithAccount,
        publicImage,
      ],
    });
    expect(uses.get(running)).toEqual([
      { kind: 'instance', id: instance, state: 'running' },
    ]);
    expect(uses.get(inOldTemplateVersion)).toEqual([
      { kind: 'launch-template', id: template, name: 'uses-test', version: 2 },
    ]);
    expect(uses.get(inDefaultVersion)).toEqual([
      { kind: 'launch-template', id: template, name: 'uses-test', version: 1 },
      { kind: 'autoscaling-group', name: 'asg-uses' },
    ]);
    expect(uses.get(inLaunchConfiguration)).toEqual([
      { kind: 'autoscaling-group', name: 'asg-lc' },
    ]);
    expect(uses.get(terminatedOnly)).toEqual([]);
    expect(uses.get(unused)).toEqual([]);
    expect(uses.get(sharedWithAccount)).toEqual([
      { kind: 'launch-permission', public: false, grantees: ['210987654321'] },
    ]);
    expect(uses.get(publicImage)).toEqual([
      { kind: 'launch-permission', public: true, grantees: [] },
    ]);
  });

  it('deregisters an image and deletes its snapshots', async () => {
    const imageId = await fixtures.image();
    const before = await fixtures.ec2.send(
      new DescribeImagesCommand({ ImageIds: [imageId] }),
    );
    const snapshots = before.Images![0].BlockDeviceMappings!.map(
      m => m.Ebs?.SnapshotId,
    );
    const result = await provider.deleteImage({ region, imageId });
    expect(result.deletedSnapshots).toEqual(snapshots);
    expect(result.deletedSnapshots.length).toBeGreaterThan(0);
    const after = await provider.listOwnedImages({ region });
    expect(after.map(i => i.imageId)).not.toContain(imageId);
    // Deleting it again is no error: it is already gone.
    await expect(provider.deleteImage({ region, imageId })).resolves.toEqual({
      deletedSnapshots: [],
      alreadyGone: true,
      snapshotErrors: [],
    });
  });

  it('keeps every image of a region whose launch templates resolve AMIs from SSM', async () => {
    const unused = await fixtures.image();
    await fixtures.launchTemplate('ssm-test', ['resolve:ssm:/golden/ami']);
    await expect(
      provider.findImageUses({ region, imageIds: [unused] }),
    ).rejects.toThrow('resolves its AMI from resolve:ssm:/golden/ami');
  });
});
