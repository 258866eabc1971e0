import { DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  CreateTargetGroupCommand,
  ElasticLoadBalancingV2Client,
  ModifyTargetGroupAttributesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ConfigReader } from '@backstage/config';
import request from 'supertest';
import { emulatorConfig, MotoServer, startMoto } from '../__testUtils__/moto';
import { component, createRouterTestApp } from '../__testUtils__/routerTestApp';
import { AwsClientFactory } from '../providers/aws/AwsClientFactory';
import { Ec2RolloutProvider } from '../providers/aws/Ec2RolloutProvider';
import { RolloutProvider } from '../providers/RolloutProvider';

jest.setTimeout(120_000);

const ENTITY = 'component:default/shop';
const REGION = 'us-east-1';
const arnOf = (name: string) =>
  `arn:aws:elasticloadbalancing:${REGION}:123456789012:targetgroup/${name}/0123456789abcdef`;

/**
 * A cloud that knows some target groups and their deregistration delays
 * (seconds); every other call fails. `asked` records the names looked up.
 */
function targetGroupCloud(
  delays: Record<string, number>,
  options: { delaysUnreachable?: boolean } = {},
) {
  const asked: string[][] = [];
  const provider = new Proxy({} as RolloutProvider, {
    get: (_, call) => {
      if (call === 'targetGroupArns') {
        return async ({ names }: { names: string[] }) => {
          asked.push(names);
          return new Map(
            names.filter(n => n in delays).map(n => [n, arnOf(n)]),
          );
        };
      }
      if (call === 'deregistrationDelays' && !options.delaysUnreachable) {
        return async ({ targetGroupArns }: { targetGroupArns: string[] }) =>
          new Map(targetGroupArns.map(arn => [arn, delays[arn.split('/')[1]]]));
      }
      return async () => {
        throw new Error('no such call in this cloud');
      };
    },
  });
  return { provider, asked };
}

/** The shop entity, enrolled, with shop@1 on its production channel and two instances of an older AMI. */
async function shop(
  annotations: Record<string, string>,
  rolloutProvider: RolloutProvider,
  config?: object,
) {
  const test = await createRouterTestApp(
    [
      component('shop', {
        'immutable-infra.io/image-family': 'shop',
        ...annotations,
      }),
    ],
    { rolloutProvider, config },
  );
  const { app } = test;
  await request(app)
    .post('/families')
    .send({ name: 'shop', entityRef: ENTITY })
    .expect(201);
  await request(app)
    .post('/images')
    .send({
      family: 'shop',
      artifacts: [{ region: REGION, imageId: 'ami-0aaaaaaaaaaaaaaa1' }],
    })
    .expect(201);
  await request(app)
    .put('/families/shop/channels/production')
    .send({ version: 1 })
    .expect(200);
  await test.services.fleet.replaceInventory({
    entityRef: ENTITY,
    instances: ['i-0a', 'i-0b'].map(instanceId => ({
      instanceId,
      region: REGION,
      environment: 'production',
      imageId: 'ami-0bbbbbbbbbbbbbbb0',
      state: 'running',
      sshExposure: 'none' as const,
      sshSources: [],
      tags: {},
    })),
    launchTemplates: [
      { id: 'lt-shop', name: 'shop', region: REGION, defaultVersion: 1 },
    ],
    autoscalingGroups: [],
  });
  const plan = (spec: object, expected = 200) =>
    request(app)
      .post('/rollouts')
      .send({
        entityRef: ENTITY,
        environment: 'production',
        spec,
        dryRun: true,
      })
      .expect(expected);
  return { ...test, plan };
}

const groups = {
  'immutable-infra.io/target-groups': 'production=shop-live',
  'immutable-infra.io/preview-target-groups': 'production=shop-preview',
};

describe('RolloutPlanner', () => {
  it('plans blue-green with the preview target groups and blue kept through the deregistration delay, and says so', async () => {
    const cloud = targetGroupCloud({ 'shop-live': 300, 'shop-preview': 60 });
    const { app, plan } = await shop(groups, cloud.provider);
    const { body } = await plan({ strategy: 'blueGreen' });
    expect(body.rollout.fleets).toEqual([
      expect.objectContaining({
        targetGroupArns: [arnOf('shop-live')],
        previewTargetGroupArns: [arnOf('shop-preview')],
        deregistrationDelayMs: 300_000,
      }),
    ]);
    expect(body.rollout.steps.map((s: any) => [s.kind, s.durationMs])).toEqual([
      ['setWeight', undefined],
      ['pause', undefined],
      ['switch', undefined],
      ['pause', 300_000],
      ['setWeight', undefined],
    ]);
    expect(body.rollout.notes).toEqual([
      "scale-down delay raised to 300s, the target groups' deregistration delay",
    ]);
    // The rollout started keeps its notes.
    const started = await request(app)
      .post('/rollouts')
      .send({
        entityRef: ENTITY,
        environment: 'production',
        spec: { strategy: 'blueGreen' },
      })
      .expect(201);
    const read = await request(app)
      .get(`/rollouts/${started.body.rollout.id}`)
      .expect(200);
    expect(read.body.notes).toEqual(body.rollout.notes);
  });

  it('says that green serves production traffic once through the gate when the entity names no preview target group', async () => {
    const cloud = targetGroupCloud({ 'shop-live': 10 });
    const { plan } = await shop(
      { 'immutable-infra.io/target-groups': 'production=shop-live' },
      cloud.provider,
    );
    const { body } = await plan({ strategy: 'blueGreen' });
    expect(body.rollout.fleets[0].previewTargetGroupArns).toBeUndefined();
    expect(body.rollout.notes).toEqual([
      'green serves production traffic from the moment it passes the gate: the entity names no preview target group for production',
    ]);
  });

  it('refuses a preview target group that does not exist, or that the fleet already serves production from', async () => {
    const missing = await shop(
      {
        ...groups,
        'immutable-infra.io/preview-target-groups':
          'production=shop-preview,production=shop-nope',
      },
      targetGroupCloud({ 'shop-live': 300, 'shop-preview': 60 }).provider,
    );
    const refused = await missing.plan({ strategy: 'blueGreen' }, 400);
    expect(refused.body.error.message).toBe(
      'Cannot roll out shop@1 to production: immutable-infra.io/preview-target-groups names shop-nope, which does not exist in us-east-1',
    );

    const same = await shop(
      {
        ...groups,
        'immutable-infra.io/preview-target-groups': 'production=shop-live',
      },
      targetGroupCloud({ 'shop-live': 300 }).provider,
    );
    const serving = await same.plan({ strategy: 'blueGreen' }, 400);
    expect(serving.body.error.message).toContain(
      `names ${arnOf(
        'shop-live',
      )}, which production instances in us-east-1 serves production traffic from`,
    );
  });

  it('ignores preview target groups for the other strategies, and reads every fleet deregistration delay', async () => {
    const cloud = targetGroupCloud({ 'shop-live': 45, 'shop-preview': 60 });
    const { plan } = await shop(groups, cloud.provider);
    const { body } = await plan({
      strategy: 'canary',
      steps: [{ setWeight: 100 }],
    });
    expect(cloud.asked).toEqual([['shop-live']]);
    expect(body.rollout.fleets[0].previewTargetGroupArns).toBeUndefined();
    expect(body.rollout.fleets[0].deregistrationDelayMs).toBe(45_000);
    expect(body.rollout.notes).toBeUndefined();
  });

  it('plans nothing when the deregistration delay cannot be read (503), and refuses what it can without asking AWS', async () => {
    const unreachable = targetGroupCloud(
      { 'shop-live': 300 },
      { delaysUnreachable: true },
    );
    const { plan } = await shop(groups, unreachable.provider);
    const failed = await plan({ strategy: 'canary' }, 503);
    expect(failed.body.error.message).toContain(
      'Could not read the deregistration delay of the target groups of production instances in us-east-1',
    );
    const bake = await plan(
      { strategy: 'blueGreen', blueGreen: { bakeTime: '5m' } },
      400,
    );
    expect(bake.body.error.message).toContain(
      "a bake watches the entity's immutable-infra.io/rollout-alarms and it has none",
    );
    expect(unreachable.asked).toEqual([['shop-live']]);
  });

  describe('on the EC2 emulator', () => {
    let moto: MotoServer;

    beforeAll(async () => {
      moto = await startMoto();
    });

    afterAll(async () => {
      await moto?.stop();
    });

    it('looks the target groups up and reads their deregistration delay from AWS', async () => {
      const client = {
        region: REGION,
        endpoint: moto.endpoint,
        maxAttempts: 1,
        credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      };
      const vpc = (
        await new EC2Client(client).send(new DescribeVpcsCommand({}))
      ).Vpcs![0].VpcId;
      const elb = new ElasticLoadBalancingV2Client(client);
      const arns: Record<string, string> = {};
      for (const [name, seconds] of [
        ['shop-live', '90'],
        ['shop-preview', '20'],
      ]) {
        const { TargetGroups } = await elb.send(
          new CreateTargetGroupCommand({
            Name: name,
            Protocol: 'HTTP',
            Port: 8080,
            VpcId: vpc,
          }),
        );
        arns[name] = TargetGroups![0].TargetGroupArn!;
        await elb.send(
          new ModifyTargetGroupAttributesCommand({
            TargetGroupArn: arns[name],
            Attributes: [
              { Key: 'deregistration_delay.timeout_seconds', Value: seconds },
            ],
          }),
        );
      }
      const config = emulatorConfig(moto.endpoint);
      const provider = new Ec2RolloutProvider(
        AwsClientFactory.fromConfig(new ConfigReader(config)),
      );
      const { plan } = await shop(groups, provider, {
        ...config,
        immutableInfra: {
          ...config.immutableInfra,
          registration: { verifyArtifacts: false },
        },
      });
      const { body } = await plan({
        strategy: 'blueGreen',
        blueGreen: { scaleDownDelay: '1m' },
      });
      expect(body.rollout.fleets[0]).toMatchObject({
        targetGroupArns: [arns['shop-live']],
        previewTargetGroupArns: [arns['shop-preview']],
        deregistrationDelayMs: 90_000,
      });
      expect(body.rollout.notes).toEqual([
        "scale-down delay raised to 90s, the target groups' deregistration delay",
      ]);
    });
  });
});
