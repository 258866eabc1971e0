/*
 * The AWS model against the EC2 emulator: the same scenario through the
 * real Ec2RolloutProvider on moto and through AwsModel, and what each
 * answers compared, on what moto implements. Where moto departs from AWS
 * (and so from the model) the comparison is left out and the comment says
 * why; a test here fails when the model and moto disagree on something both
 * claim to do as AWS does.
 *
 * The model runs with reads consistent at once (moto's are) and each
 * scenario lets it carry out its asynchronous work (settle) where moto did
 * it during the call: moto launches, terminates and registers synchronously.
 */
import {
  CreateTargetGroupCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  DescribeLaunchTemplatesCommand,
  DescribeVpcsCommand,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  CloudWatchClient,
  PutMetricAlarmCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { ConfigReader } from '@backstage/config';
import { ROLLOUT_ID_TAG } from '@immutable-infra/backstage-plugin-common';
import { Ec2Fixtures, emulatorClients } from '../__testUtils__/ec2Fixtures';
import { emulatorConfig, MotoServer, startMoto } from '../__testUtils__/moto';
import { AwsClientFactory } from '../providers/aws/AwsClientFactory';
import { Ec2RolloutProvider } from '../providers/aws/Ec2RolloutProvider';
import { RolloutProvider } from '../providers/RolloutProvider';
import { AwsModel } from './AwsModel.testUtil';

jest.setTimeout(120_000);

const region = 'us-east-1';
const at = { region };

/** One cloud the scenario runs on: moto behind the real provider, or the model. */
type Cloud = {
  name: 'moto' | 'model';
  provider: RolloutProvider;
  /** Lets the cloud finish its asynchronous work (moto did it in the call). */
  settle(): void;
  template(imageIds: string[]): Promise<string>;
  targetGroup(name: string): Promise<string>;
  /** A group of `capacity` from the template's version 1, behind a new target group named like it. */
  group(options: {
    name: string;
    templateId: string;
    capacity: number;
    minSize: number;
    maxSize: number;
    tags: Record<string, string>;
  }): Promise<{ targetGroupArn: string }>;
  stop(instanceId: string): Promise<void>;
  alarm(name: string, state: 'OK' | 'ALARM'): Promise<void>;
  defaultVersion(templateId: string): Promise<number>;
};

/** What a call did: its answer, or the AWS error code it threw. */
async function outcome<T>(call: Promise<T>): Promise<T | { error: string }> {
  try {
    return await call;
  } catch (error) {
    return { error: (error as Error).name };
  }
}

/** The tags a caller set (not those AWS puts under `aws:`). */
function ownTags(tags: Record<string, string>) {
  return Object.fromEntries(
    Object.entries(tags).filter(([key]) => !key.startsWith('aws:')),
  );
}

describe('AwsModel against moto', () => {
  let moto: MotoServer | undefined;
  let endpoint: string;
  let images: string[];
  let clouds: Cloud[];
  let names = 0;

  beforeAll(async () => {
    endpoint = process.env.IMMUTABLE_INFRA_TEST_EC2_ENDPOINT ?? '';
    if (!endpoint) {
      moto = await startMoto();
      endpoint = moto.endpoint;
    }
    const { ec2, autoscaling } = emulatorClients(endpoint, region);
    const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
    const elb = new ElasticLoadBalancingV2Client({
      region,
      endpoint,
      maxAttempts: 1,
      credentials,
    });
    const cloudwatch = new CloudWatchClient({
      region,
      endpoint,
      maxAttempts: 1,
      credentials,
    });
    const fixtures = new Ec2Fixtures(ec2, autoscaling);
    images = [await fixtures.image(), await fixtures.image()];
    const real = new Ec2RolloutProvider(
      AwsClientFactory.fromConfig(new ConfigReader(emulatorConfig(endpoint))),
    );
    const onMoto: Cloud = {
      name: 'moto',
      provider: real,
      settle: () => {},
      template: imageIds =>
        fixtures.launchTemplate(`model-${++names}-${Date.now()}`, imageIds),
      targetGroup: async name => {
        const vpc = (await ec2.send(new DescribeVpcsCommand({}))).Vpcs![0]
          .VpcId;
        const created = await elb.send(
          new CreateTargetGroupCommand({
            Name: name,
            Protocol: 'HTTP',
            Port: 8080,
            VpcId: vpc,
          }),
        );
        return created.TargetGroups![0].TargetGroupArn!;
      },
      group: options => fixtures.groupBehindTargetGroup(elb, options),
      stop: async id => {
        await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
      },
      alarm: async (name, state) => {
        await cloudwatch.send(
          new PutMetricAlarmCommand({
            AlarmName: name,
            MetricName: 'HTTPCode_Target_5XX_Count',
            Namespace: 'AWS/ApplicationELB',
            Statistic: 'Sum',
            Period: 60,
            EvaluationPeriods: 1,
            Threshold: 5,
            ComparisonOperator: 'GreaterThanThreshold',
          }),
        );
        await cloudwatch.send(
          new SetAlarmStateCommand({
            AlarmName: name,
            StateValue: state,
            StateReason: 'set by the test',
          }),
        );
      },
      defaultVersion: async templateId =>
        (
          await ec2.send(
            new DescribeLaunchTemplatesCommand({
              LaunchTemplateIds: [templateId],
            }),
          )
        ).LaunchTemplates![0].DefaultVersionNumber!,
    };
    const model = new AwsModel({
      seed: 1,
      region,
      // moto's reads see its writes at once.
      eventualConsistency: { maxTicks: 0 },
    });
    const onModel: Cloud = {
      name: 'model',
      provider: model,
      settle: () => {
        model.settle();
      },
      template: async imageIds => {
        const id = model.createLaunchTemplate({ imageId: imageIds[0] });
        for (const imageId of imageIds.slice(1)) {
          await model.ensureTemplateVersion({
            ...at,
            templateId: id,
            sourceVersion: 1,
            imageId,
            description: imageId,
          });
        }
        return id;
      },
      targetGroup: async name => model.createTargetGroup({ name }),
      group: async options => {
        const targetGroupArn = model.createTargetGroup({ name: options.name });
        model.createGroup({
          name: options.name,
          templateId: options.templateId,
          minSize: options.minSize,
          maxSize: options.maxSize,
          desiredCapacity: options.capacity,
          // The fixture's group lives in one zone.
          subnetIds: ['subnet-a'],
          targetGroupArns: [targetGroupArn],
          tags: options.tags,
        });
        model.settle();
        return { targetGroupArn };
      },
      stop: async id => model.stopInstance(id),
      alarm: async (name, state) => model.setAlarm(name, state),
      defaultVersion: async templateId =>
        model.template(templateId).defaultVersion,
    };
    clouds = [onMoto, onModel];
  });

  afterAll(async () => {
    await moto?.stop();
  });

  /** Runs the scenario on each cloud; answers each one's result by name. */
  async function onEach<T>(
    scenario: (cloud: Cloud, name: string) => Promise<T>,
  ): Promise<{ moto: T; model: T }> {
    const name = `diff-${++names}`;
    const [a, b] = await Promise.all(clouds.map(c => scenario(c, name)));
    return { moto: a, model: b };
  }

  /** A group of ami-0's template behind its target group; its instances. */
  async function smallGroup(
    cloud: Cloud,
    name: string,
    sizes: { capacity: number; minSize: number; maxSize: number },
  ) {
    const templateId = await cloud.template([images[0]]);
    await cloud.group({ name, templateId, tags: {}, ...sizes });
    return (await cloud.provider.groupInstances({ ...at, group: name }))
      .instances;
  }

  it('makes a described template version once and sets it as the default', async () => {
    const { moto: real, model } = await onEach(async cloud => {
      const templateId = await cloud.template([images[0]]);
      const ensure = () =>
        cloud.provider.ensureTemplateVersion({
          ...at,
          templateId,
          sourceVersion: 1,
          imageId: images[1],
          description: 'app@2',
        });
      const made = await ensure();
      const replayed = await ensure();
      await cloud.provider.setDefaultTemplateVersion({
        ...at,
        templateId,
        version: made,
      });
      const missing = await outcome(
        cloud.provider.ensureTemplateVersion({
          ...at,
          templateId,
          sourceVersion: 9,
          imageId: images[1],
          description: 'app@9',
        }),
      );
      return {
        made,
        replayed,
        defaultVersion: await cloud.defaultVersion(templateId),
        missing: 'error' in (missing as object) ? 'refused' : missing,
      };
    });
    expect(model).toEqual({
      made: 2,
      replayed: 2,
      defaultVersion: 2,
      missing: 'refused',
    });
    expect(real).toEqual(model);
  });

  it('finds instances launched with tags by standaloneInstances', async () => {
    const { moto: real, model } = await onEach(async (cloud, name) => {
      const templateId = await cloud.template([images[0]]);
      const launch = () =>
        cloud.provider.launchInstances({
          ...at,
          templateId,
          version: 1,
          count: 2,
          tags: { app: name, [ROLLOUT_ID_TAG]: `${name}-r` },
          clientToken: `${name}-token`,
        });
      const launched = await launch();
      // moto launches at once (`running`); AWS and the model answer
      // `pending`: the states of the answer are not compared.
      cloud.settle();
      const found = await cloud.provider.standaloneInstances({
        ...at,
        tags: [{ key: 'app', value: name }],
      });
      // moto ignores ClientToken (a repeat launches again, see
      // ENVIRONMENT.md); AWS and the model answer the first reservation.
      // The repeat is not compared.
      return {
        launched: launched.instances.length,
        found: found
          .map(i => ({
            state: i.state,
            imageId: i.imageId,
            tags: ownTags(i.tags),
            placed: Boolean(i.subnetId && i.availabilityZone),
            launched: launched.instances.some(
              l => l.instanceId === i.instanceId,
            ),
          }))
          .sort((a, b) => a.state!.localeCompare(b.state!)),
        other: (
          await cloud.provider.standaloneInstances({
            ...at,
            tags: [{ key: 'app', value: `${name}-other` }],
          })
        ).length,
      };
    });
    expect(model.found).toHaveLength(2);
    expect(model.found[0]).toEqual({
      state: 'running',
      imageId: images[0],
      tags: expect.objectContaining({ [ROLLOUT_ID_TAG]: expect.any(String) }),
      placed: true,
      launched: true,
    });
    expect(real).toEqual(model);
  });

  it('sizes a group after SetDesiredCapacity, UpdateAutoScalingGroup and TerminateInstanceInAutoScalingGroup', async () => {
    const { moto: real, model } = await onEach(async (cloud, name) => {
      const templateId = await cloud.template(images);
      await cloud.group({
        name,
        templateId,
        capacity: 2,
        minSize: 1,
        maxSize: 4,
        tags: { app: name },
      });
      const sizes = async () => {
        const state = await cloud.provider.groupInstances({
          ...at,
          group: name,
        });
        return {
          instances: state.instances.length,
          desired: state.desiredCapacity,
          min: state.minSize,
          max: state.maxSize,
          version: state.launchTemplate?.version,
        };
      };
      const steps: Record<string, unknown> = { created: await sizes() };

      await cloud.provider.setGroupDesiredCapacity({
        ...at,
        group: name,
        desired: 3,
      });
      cloud.settle();
      steps.scaledOut = await sizes();

      // A new version, the rollout tag propagated, MaxSize below the
      // desired capacity: the desired capacity follows it down.
      await cloud.provider.configureGroup({
        ...at,
        group: name,
        templateId,
        version: 2,
        minSize: 1,
        maxSize: 2,
        rolloutId: `${name}-r`,
      });
      cloud.settle();
      steps.maxBelowDesired = await sizes();

      // MinSize above the desired capacity raises it; the instance it
      // launches carries the rollout tag.
      await cloud.provider.configureGroup({
        ...at,
        group: name,
        templateId,
        version: 2,
        minSize: 3,
        maxSize: 4,
        rolloutId: `${name}-r`,
      });
      cloud.settle();
      steps.minAboveDesired = await sizes();
      const state = await cloud.provider.groupInstances({
        ...at,
        group: name,
      });
      steps.tagged = state.instances.filter(
        i => i.tags[ROLLOUT_ID_TAG] === `${name}-r`,
      ).length;

      // TerminateInstanceInAutoScalingGroup with decrement lowers it.
      await cloud.provider.configureGroup({
        ...at,
        group: name,
        templateId,
        version: 2,
        minSize: 1,
        maxSize: 4,
      });
      const victim = state.instances[0].instanceId;
      await cloud.provider.terminateInGroup({ ...at, instanceIds: [victim] });
      cloud.settle();
      steps.terminated = await sizes();
      // A replay of the same termination: see "where moto departs from AWS".
      return steps;
    });
    expect(model).toEqual({
      created: { instances: 2, desired: 2, min: 1, max: 4, version: '1' },
      scaledOut: { instances: 3, desired: 3, min: 1, max: 4, version: '1' },
      maxBelowDesired: {
        instances: 2,
        desired: 2,
        min: 1,
        max: 2,
        version: '2',
      },
      minAboveDesired: {
        instances: 3,
        desired: 3,
        min: 3,
        max: 4,
        version: '2',
      },
      tagged: 1,
      terminated: { instances: 2, desired: 2, min: 1, max: 4, version: '2' },
    });
    expect(real).toEqual(model);
  });

  it('gates on target health after register and deregister, and on a stopped instance', async () => {
    const { moto: real, model } = await onEach(async (cloud, name) => {
      const templateId = await cloud.template([images[0]]);
      const arn = await cloud.targetGroup(name);
      const launched = await cloud.provider.launchInstances({
        ...at,
        templateId,
        version: 1,
        count: 2,
        tags: { app: name },
        clientToken: `${name}-token`,
      });
      const [a, b] = launched.instances.map(i => i.instanceId);
      cloud.settle();
      const gate = async () => {
        const verdicts = await cloud.provider.gate({
          ...at,
          instanceIds: [a, b],
          targetGroupArns: [arn],
        });
        return [verdicts.get(a), verdicts.get(b)];
      };
      const steps: Record<string, unknown> = { absent: await gate() };
      await cloud.provider.setTargetMembership({
        ...at,
        targetGroupArns: [arn],
        instanceIds: [a, b],
        registered: true,
      });
      cloud.settle();
      steps.registered = await gate();
      steps.delays = [
        ...(
          await cloud.provider.deregistrationDelays({
            ...at,
            targetGroupArns: [arn],
          })
        ).values(),
      ];
      await cloud.stop(a);
      cloud.settle();
      steps.stopped = (await gate())[0];
      await cloud.provider.setTargetMembership({
        ...at,
        targetGroupArns: [arn],
        instanceIds: [b],
        registered: false,
      });
      // moto removes a deregistered target at once; AWS and the model keep
      // it `draining` for the deregistration delay (300 s): that state is
      // not compared, only what follows it.
      cloud.settle();
      steps.deregistered = (await gate())[1];
      steps.names = [
        ...(
          await cloud.provider.targetGroupArns({
            ...at,
            names: [name, `${name}-none`],
          })
        ).keys(),
      ];
      return steps;
    });
    expect(model).toEqual({
      absent: [
        expect.objectContaining({
          healthy: false,
          unregistered: true,
          hold: { check: 'not-registered', targetGroup: expect.any(String) },
        }),
        expect.objectContaining({ healthy: false, unregistered: true }),
      ],
      registered: [{ healthy: true }, { healthy: true }],
      delays: [300],
      stopped: {
        healthy: false,
        waiting: 'instance is stopped',
        hold: { check: 'instance-state', instanceState: 'stopped' },
      },
      deregistered: expect.objectContaining({
        healthy: false,
        unregistered: true,
      }),
      names: [expect.stringContaining('diff-')],
    });
    expect(real).toEqual(model);
  });

  it('answers alarm states after SetAlarmState, and nothing for an unknown alarm', async () => {
    const { moto: real, model } = await onEach(async (cloud, name) => {
      await cloud.alarm(`${name}-errors`, 'ALARM');
      await cloud.alarm(`${name}-latency`, 'OK');
      const states = await cloud.provider.alarmStates({
        ...at,
        names: [`${name}-errors`, `${name}-latency`, `${name}-none`],
      });
      return Object.fromEntries(
        [...states].map(([key, value]) => [
          key.slice(name.length + 1),
          value.state,
        ]),
      );
    });
    expect(model).toEqual({ errors: 'ALARM', latency: 'OK' });
    expect(real).toEqual(model);
  });

  /*
   * Where moto 5.2.1 departs from AWS. Each test asserts the model's
   * (AWS's) answer, and pins moto's different one instead of comparing:
   * when moto starts answering as AWS does, the pin fails and the
   * comparison (expect(real).toEqual(model)) is to be restored.
   * Not compared at all: DescribeScalingActivities (moto records no
   * activities: it answers an empty list), RunInstances' ClientToken (moto
   * launches again), pending states and draining (moto is synchronous and
   * removes a deregistered target at once).
   */
  describe('where moto departs from AWS', () => {
    it('refuses a desired capacity outside the limits (moto accepts it)', async () => {
      const { moto: real, model } = await onEach(async (cloud, name) => {
        await smallGroup(cloud, name, { capacity: 1, minSize: 1, maxSize: 2 });
        const above = await outcome(
          cloud.provider.setGroupDesiredCapacity({
            ...at,
            group: name,
            desired: 3,
          }),
        );
        const below = await outcome(
          cloud.provider.setGroupDesiredCapacity({
            ...at,
            group: name,
            desired: 0,
          }),
        );
        return { above, below };
      });
      // https://docs.aws.amazon.com/autoscaling/ec2/userguide/asg-capacity-limits.html
      expect(model).toEqual({
        above: { error: 'ValidationError' },
        below: { error: 'ValidationError' },
      });
      // moto's SetDesiredCapacity does not check MinSize and MaxSize.
      expect(real).toEqual({ above: undefined, below: undefined });
    });

    it('refuses to terminate with decrement below the minimum (moto terminates)', async () => {
      const { moto: real, model } = await onEach(async (cloud, name) => {
        const instances = await smallGroup(cloud, name, {
          capacity: 1,
          minSize: 1,
          maxSize: 2,
        });
        return outcome(
          cloud.provider.terminateInGroup({
            ...at,
            instanceIds: [instances[0].instanceId],
          }),
        );
      });
      // "Currently, desiredSize equals minSize (1). Terminating instance
      // without replacement will violate group's min size constraint. ..."
      expect(model).toEqual({ error: 'ValidationError' });
      // moto decrements below MinSize without a word.
      expect(real).toBeUndefined();
    });

    it('skips a replayed termination of an instance no longer in the group (moto fails with a 500)', async () => {
      const { moto: real, model } = await onEach(async (cloud, name) => {
        const instances = await smallGroup(cloud, name, {
          capacity: 2,
          minSize: 0,
          maxSize: 2,
        });
        const victim = instances[0].instanceId;
        await cloud.provider.terminateInGroup({ ...at, instanceIds: [victim] });
        cloud.settle();
        return outcome(
          cloud.provider.terminateInGroup({ ...at, instanceIds: [victim] }),
        );
      });
      // AWS answers ValidationError "Instance Id not found - No managed
      // instance found for instance ID i-…", which the provider skips.
      expect(model).toBeUndefined();
      // moto raises StopIteration for an instance in no group: an HTML 500
      // that the SDK throws as a bare Error, which the provider rethrows.
      expect(real).toEqual({ error: 'Error' });
    });
  });
});
