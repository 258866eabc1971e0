import {
  PutMetricAlarmCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import {
  DescribeInstancesCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { parseEntityRef } from '@backstage/catalog-model';
import { ROLLOUT_ID_TAG } from '@immutable-infra/backstage-plugin-common';
import Knex from 'knex';
import { Ec2Fixtures, emulatorClients } from '../__testUtils__/ec2Fixtures';
import { migrateForTests } from '../__testUtils__/migrate';
import { emulatorConfig, MotoServer, startMoto } from '../__testUtils__/moto';
import { readSettings } from '../config/settings';
import { AwsClientFactory } from '../providers/aws/AwsClientFactory';
import { Ec2FleetProvider } from '../providers/aws/Ec2FleetProvider';
import { Ec2RolloutProvider } from '../providers/aws/Ec2RolloutProvider';
import { ImageProvider } from '../providers/ImageProvider';
import { REMEDIATION_ACTOR } from '../rollouts/RolloutReplacements';
import { createServices } from '../services';

/*
 * The remediation policy end to end on the EC2 emulator, with the plugin's
 * own services (createServices): the real fleet sync finds a standalone
 * instance that lets SSH in from the whole internet, the remediator starts
 * an ordinary replace-drifted rollout through the rollout service as the
 * remediation, the real engine on the real Ec2RolloutProvider runs it, and
 * the next sync no longer finds the drift. A rollout alarm in ALARM keeps
 * it from starting. A moto server of its own.
 */

jest.setTimeout(180_000);

const region = 'us-east-1';

/** Registration never asks AWS here: the check is turned off. */
const noImageChecks: ImageProvider = new Proxy({} as ImageProvider, {
  get: () => async () => {
    throw new Error('registration does not verify AMIs in this test');
  },
});

describe('automatic remediation on the EC2 emulator', () => {
  let moto: MotoServer;
  let fixtures: Ec2Fixtures;
  let clients: ReturnType<typeof emulatorClients>;
  let ami: string;
  const databases: Knex.Knex[] = [];

  beforeAll(async () => {
    moto = await startMoto();
    clients = emulatorClients(moto.endpoint, region);
    fixtures = new Ec2Fixtures(clients.ec2, clients.autoscaling);
    ami = await fixtures.image();
  });

  afterEach(async () => {
    await Promise.all(databases.splice(0).map(db => db.destroy()));
  });

  afterAll(async () => {
    for (const client of Object.values(clients ?? {})) {
      client.destroy();
    }
    await moto?.stop();
  });

  /**
   * An enrolled service of three standalone production instances launched
   * from its launch template (the production channel is that image), one
   * of them also in a security group that lets port 22 in from 0.0.0.0/0;
   * the plugin's services on a database of their own, synced once.
   */
  async function setup(name: string, annotations: Record<string, string>) {
    const template = await fixtures.launchTemplate(name, [ami]);
    const tags = { app: name, environment: 'production' };
    const clean = await fixtures.fromTemplate(template, 2, tags);
    // "0.0.0.0/0 ... enables all IPv4 addresses to access your instance
    // using SSH": https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/security-group-rules-reference.html
    const open = await fixtures.securityGroup({
      name: `${name}-ssh`,
      port: 22,
      cidr: '0.0.0.0/0',
    });
    const drifted = await clients.ec2.send(
      new RunInstancesCommand({
        LaunchTemplate: { LaunchTemplateId: template, Version: '1' },
        SecurityGroupIds: [open],
        MinCount: 1,
        MaxCount: 1,
        TagSpecifications: [
          {
            ResourceType: 'instance',
            Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
          },
        ],
      }),
    );

    const knex = Knex({
      client: 'better-sqlite3',
      connection: ':memory:',
      useNullAsDefault: true,
    });
    databases.push(knex);
    await migrateForTests(knex);
    const config = emulatorConfig(moto.endpoint);
    const settings = readSettings(
      new ConfigReader({
        ...config,
        immutableInfra: {
          ...config.immutableInfra,
          registration: { verifyArtifacts: false },
          // The emulator shows what it launches at once.
          rollouts: { launchVisibility: 'PT0S' },
        },
      }),
    );
    const aws = AwsClientFactory.fromConfig(new ConfigReader(config));
    const entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name,
        namespace: 'default',
        annotations: {
          'immutable-infra.io/image-family': name,
          'immutable-infra.io/fleet-selector': `app=${name}`,
          'immutable-infra.io/launch-template': name,
          'immutable-infra.io/remediation': 'auto:ssh-open',
          ...annotations,
        },
      },
      spec: { type: 'service', owner: 'group:default/team' },
    };
    const services = createServices({
      knex,
      settings,
      logger: mockServices.logger.mock(),
      permissions: mockServices.permissions(),
      catalog: catalogServiceMock({ entities: [entity] }),
      auth: mockServices.auth(),
      imageProvider: noImageChecks,
      // A provider per sync, as the plugin makes them.
      fleetProviderFactory: () => new Ec2FleetProvider(aws),
      rolloutProvider: new Ec2RolloutProvider(aws),
    });
    const entityRef = `component:default/${name}`;
    const credentials = mockCredentials.user();
    await services.registry.enroll({ name, entityRef, credentials });
    await services.registry.register({
      request: { family: name, artifacts: [{ region, imageId: ami }] },
      credentials,
    });
    await services.registry.assignChannel({
      family: name,
      channel: 'production',
      version: 1,
      credentials,
    });
    await services.fleetSync.run();
    const drift = () =>
      services.pages.drift(parseEntityRef(entityRef), credentials);
    return {
      knex,
      services,
      entityRef,
      drift,
      driftedId: drifted.Instances![0].InstanceId!,
      cleanIds: clean.Instances!.map(i => i.InstanceId!),
    };
  }

  async function instances(name: string) {
    const answer = await clients.ec2.send(
      new DescribeInstancesCommand({
        Filters: [{ Name: 'tag:app', Values: [name] }],
      }),
    );
    return (answer.Reservations ?? []).flatMap(r => r.Instances ?? []);
  }

  it('replaces the instance with SSH open to the world by an ordinary replace-drifted rollout the policy starts, and the drift is gone', async () => {
    const t = await setup('sshweb', {});
    const before = await t.drift();
    const group = before.groups.find(g => g.rule === 'ssh-open');
    expect(group?.instanceIds).toEqual([t.driftedId]);
    expect(group?.remediation).toEqual({ mode: 'automatic' });

    const tick = await t.services.remediator.tick();
    expect(tick.waiting).toEqual(new Map());
    expect(tick.started).toEqual([
      {
        entityRef: t.entityRef,
        rootCause: group!.rootCause,
        rolloutId: expect.any(String),
      },
    ]);
    const [{ rolloutId }] = tick.started;
    const created = (await t.services.rolloutStore.get(rolloutId))!;
    expect(created).toMatchObject({
      strategy: 'replaceDrifted',
      environment: 'production',
      toVersion: 'sshweb@1',
      createdBy: REMEDIATION_ACTOR,
    });

    // The next pass starts nothing more while it runs.
    expect((await t.services.remediator.tick()).started).toEqual([]);

    let state = created.state;
    for (let i = 0; i < 30 && state !== 'succeeded'; i++) {
      await t.services.rolloutEngine.tick();
      const current = (await t.services.rolloutStore.get(rolloutId))!;
      state = current.state;
      if (!current.active) {
        break;
      }
    }
    expect(state).toBe('succeeded');

    const after = await instances('sshweb');
    const byId = new Map(after.map(i => [i.InstanceId!, i]));
    expect(byId.get(t.driftedId)?.State?.Name).toMatch(
      /^(shutting-down|terminated)$/,
    );
    for (const id of t.cleanIds) {
      expect(byId.get(id)?.State?.Name).toBe('running');
    }
    const twins = after.filter(i =>
      i.Tags?.some(
        tag => tag.Key === ROLLOUT_ID_TAG && tag.Value === rolloutId,
      ),
    );
    expect(twins).toHaveLength(1);
    expect(twins[0].ImageId).toBe(ami);
    expect(twins[0].State?.Name).toMatch(/^(pending|running)$/);

    await t.services.fleetSync.run();
    const later = await t.drift();
    expect(later.groups.filter(g => g.rule === 'ssh-open')).toEqual([]);
    expect(later.remediation).toMatchObject({
      source: 'annotation',
      startedToday: 1,
    });
    expect(
      (await t.services.remediator.tick()).started.map(s => s.rootCause),
    ).toEqual([]);

    // The audit and the timeline say who and why.
    const audit = await t.knex('audit_events').where({
      action: 'rollout.create',
      subject: rolloutId,
    });
    expect(audit).toHaveLength(1);
    expect(audit[0].actor).toBe(REMEDIATION_ACTOR);
    expect(JSON.parse(audit[0].payload)).toMatchObject({
      environment: 'production',
      autoRemediation: {
        rule: 'ssh-open',
        rootCause: group!.rootCause,
        policy: 'auto:ssh-open',
        policySource: 'annotation',
      },
    });
    const start = await t.knex('audit_events').where({
      action: 'remediation.start',
      subject: rolloutId,
    });
    expect(start).toHaveLength(1);
    expect(JSON.parse(start[0].payload)).toMatchObject({
      instanceIds: [t.driftedId],
    });
    const view = (await t.services.rolloutStore.getView(rolloutId))!;
    expect(view.events[0]).toMatchObject({
      kind: 'created',
      actor: REMEDIATION_ACTOR,
      message: expect.stringContaining(
        `auto-remediation of ssh-open (${
          group!.rootCause
        }) by policy "auto:ssh-open"`,
      ),
    });
  });

  it('starts nothing while one of the rollout alarms is in ALARM, and starts once it is OK', async () => {
    const alarm = 'sshalarm-5xx';
    await clients.cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: alarm,
        MetricName: 'HTTPCode_Target_5XX_Count',
        Namespace: 'AWS/ApplicationELB',
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 5,
        ComparisonOperator: 'GreaterThanThreshold',
      }),
    );
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_SetAlarmState.html
    const setAlarm = (StateValue: 'ALARM' | 'OK') =>
      clients.cloudwatch.send(
        new SetAlarmStateCommand({
          AlarmName: alarm,
          StateValue,
          StateReason: 'test',
        }),
      );
    await setAlarm('ALARM');
    const t = await setup('sshalarm', {
      'immutable-infra.io/rollout-alarms': alarm,
    });
    const group = (await t.drift()).groups.find(g => g.rule === 'ssh-open');
    expect(group?.instanceIds).toEqual([t.driftedId]);

    const held = await t.services.remediator.tick();
    expect(held.started).toEqual([]);
    expect(held.waiting).toEqual(
      new Map([
        [
          `${t.entityRef} ${group!.rootCause} production`,
          `alarm ${alarm} is in ALARM`,
        ],
      ]),
    );
    expect(await t.knex('rollouts').count({ n: '*' })).toEqual([{ n: 0 }]);
    expect(
      await t.knex('audit_events').where({ action: 'remediation.start' }),
    ).toEqual([]);

    await setAlarm('OK');
    const started = await t.services.remediator.tick();
    expect(started.started).toHaveLength(1);
  });
});
