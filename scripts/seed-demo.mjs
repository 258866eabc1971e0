#!/usr/bin/env node
// Seeds the running demo: waits for the demo catalog, enrolls every annotated
// entity's image family, then builds weeks of image history through the
// plugin's own API, with AMIs baked in the EC2 emulator when one is given:
// several versions per family, a revoked one, one built on an out-of-date
// base image, staging and production channels with assignment history, and
// one AMI tagged for discovery to find. With the emulator it also launches
// the fleet (Auto Scaling groups behind target groups, standalone
// instances), the CloudWatch alarms rollouts watch, and a canary of
// payments-api's staging build in production, left waiting for a promote,
// and the SQS queue of the drift events (scripts/lib/demo-events.mjs).
// A second run against a running demo changes nothing.
//
// The AMIs, instances, launch templates, groups and security group are made
// with the backend tests' EC2 fixtures (ec2Fixtures.ts), loaded through the
// TypeScript transform of Backstage's CLI.
//
// usage: node --require @backstage/cli/config/nodeTransform.cjs \
//          scripts/seed-demo.mjs [backendBaseUrl] [ec2Endpoint]
//   (node_ts in scripts/lib/bootstrap.sh; scripts/start and scripts/test run it)

import {
  DescribeAlarmsCommand,
  PutMetricAlarmCommand,
} from '@aws-sdk/client-cloudwatch';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DescribeLogGroupsCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateKeyPairCommand,
  DescribeInstancesCommand,
} from '@aws-sdk/client-ec2';
import { createHash } from 'node:crypto';
import { ensureDemoEventsQueue } from './lib/demo-events.mjs';
import { answer } from './lib/http.mjs';
// A CommonJS module once transformed: its exports are the default import.
import ec2Fixtures from '../plugins/immutable-infra-backend/src/__testUtils__/ec2Fixtures.ts';

const { Ec2Fixtures, emulatorClients } = ec2Fixtures;

const backend = (process.argv[2] ?? 'http://localhost:7007').replace(/\/$/, '');
const ec2Endpoint = process.argv[3];
const REGION = 'us-east-1';
const FAMILY_ANNOTATION = 'immutable-infra.io/image-family';
const EXPECTED_ENROLLED = 7;
const DAY = 86_400_000;
/** How long the demo canary may take to reach its pause. */
const ROLLOUT_PAUSE_TIMEOUT_MS = 180_000;

let token;

async function call(path, { method = 'GET', body, ok = [] } = {}) {
  const { status, text, json } = await answer(`${backend}${path}`, {
    method,
    body,
    token,
    headers: { 'X-Requested-With': 'XMLHttpRequest' },
  });
  if ((status < 200 || status > 299) && !ok.includes(status)) {
    throw new Error(`${method} ${path} answered ${status}: ${text}`);
  }
  return json;
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

/** The emulator's clients and fixtures, when there is an emulator. */
const clients = ec2Endpoint ? emulatorClients(ec2Endpoint, REGION) : undefined;
const fixtures = clients && new Ec2Fixtures(clients.ec2, clients.autoscaling);

/** Bakes an AMI in the emulator, or makes up its id when there is none. */
async function bake(name, tags = {}) {
  if (!fixtures) {
    const hex = createHash('sha256').update(name).digest('hex').slice(0, 17);
    return `ami-${hex}`;
  }
  return fixtures.image({ Name: name, ...tags }, { name });
}

const commit = (family, n) =>
  createHash('sha1').update(`${family}-${n}`).digest('hex');

/** Families, their versions (age in days, parent) and channels. */
const HISTORY = {
  'base-ubuntu': {
    repo: 'https://git.example.com/platform/base-ubuntu',
    versions: [{ age: 70 }, { age: 40 }, { age: 12 }],
    channels: { production: [2, 3], staging: [3] },
  },
  'payments-api': {
    repo: 'https://git.example.com/payments/payments-api',
    versions: [
      { age: 56 },
      { age: 42 },
      { age: 28, parent: 'base-ubuntu@2' },
      { age: 10, parent: 'base-ubuntu@3' },
      { age: 3, parent: 'base-ubuntu@3' },
    ],
    channels: { production: [2, 3, 4], staging: [3, 4, 5] },
  },
  'ledger-worker': {
    repo: 'https://git.example.com/payments/ledger-worker',
    versions: [{ age: 50 }, { age: 35 }, { age: 21 }, { age: 6 }],
    channels: { production: [1, 2], staging: [2, 4] },
    revoke: {
      version: 3,
      reason: 'CVE-2026-31337: remote code execution in libxml2',
    },
  },
  'search-indexer': {
    repo: 'https://git.example.com/storefront/search-indexer',
    versions: [{ age: 45 }, { age: 30 }, { age: 18, parent: 'base-ubuntu@2' }],
    channels: { production: [2, 3], staging: [3] },
  },
  'checkout-web': {
    repo: 'https://git.example.com/storefront/checkout-web',
    versions: [{ age: 33 }, { age: 19 }, { age: 8, parent: 'base-ubuntu@3' }],
    channels: { production: [3], staging: [3] },
  },
  'legacy-billing': {
    repo: 'https://git.example.com/payments/legacy-billing',
    versions: [{ age: 140 }, { age: 120 }],
    channels: { production: [1], staging: [2] },
  },
};

async function seedFamily(family, history) {
  const existing = await call(
    `/api/immutable-infra/families/${family}/channels`,
    { ok: [404] },
  );
  if (existing.channels?.some(c => !c.managed)) {
    console.log(`history of ${family} already seeded`);
    return;
  }
  for (const [index, version] of history.versions.entries()) {
    const n = index + 1;
    const sha = commit(family, n);
    const imageId = await bake(`${family}-v${n}`, { 'git:commit': sha });
    const runUuid = `${family}-run-${n}`;
    const builtAt = Date.now() - version.age * DAY;
    const { version: registered } = await call('/api/immutable-infra/images', {
      method: 'POST',
      body: {
        family,
        manifest: {
          builds: [
            {
              name: family,
              builder_type: 'amazon-ebs',
              build_time: Math.floor(builtAt / 1000),
              files: null,
              artifact_id: `${REGION}:${imageId}`,
              packer_run_uuid: runUuid,
              custom_data: {
                git_commit: sha,
                git_repo: history.repo,
                build_url: `https://ci.example.com/${family}/builds/${100 + n}`,
                ...(version.parent ? { parent_image: version.parent } : {}),
              },
            },
          ],
          last_run_uuid: runUuid,
        },
      },
    });
    console.log(
      `registered ${registered.id} (${imageId}, built ${version.age} days ago)`,
    );
  }
  for (const [channel, versions] of Object.entries(history.channels)) {
    for (const v of versions) {
      await call(
        `/api/immutable-infra/families/${family}/channels/${channel}`,
        {
          method: 'PUT',
          body: {
            version: v,
            reason: v === versions[0] ? 'first release' : 'promotion',
          },
        },
      );
    }
  }
  if (history.revoke) {
    await call(
      `/api/immutable-infra/images/${family}@${history.revoke.version}/revoke`,
      {
        method: 'POST',
        body: { reason: history.revoke.reason },
      },
    );
    console.log(`revoked ${family}@${history.revoke.version}`);
  }
}

/**
 * The demo fleet: instances per service and environment, on chosen versions,
 * so that each drift state shows somewhere.
 */
const FLEET = {
  'payments-api': {
    tags: { 'immutable-infra:service': 'payments-api' },
    // Version 1 (the default) launches v4, version 2 launches v5.
    launchTemplate: { name: 'payments-api', version: 4, versions: [5] },
    instances: [],
    // One group per environment, each pinned to a numbered template version
    // and behind a target group, as the annotation names them.
    autoscalingGroups: [
      {
        name: 'payments-api-production',
        environment: 'production',
        templateVersion: '1',
        min: 3,
        max: 6,
      },
      {
        name: 'payments-api-staging',
        environment: 'staging',
        templateVersion: '2',
        min: 2,
        max: 4,
      },
    ],
  },
  'ledger-worker': {
    tags: { app: 'ledger', team: 'payments' },
    // Still launches the revoked v3: new instances would drift.
    launchTemplate: { name: 'ledger-worker', version: 3 },
    instances: [
      { environment: 'production', version: 3, count: 2 },
      // Up since yesterday and never wrote to its log group
      // (logs-not-shipped; the others' streams are seeded by seedLogs).
      { environment: 'production', version: 2, count: 1, launchedDaysAgo: 1 },
      { environment: 'staging', version: 4, count: 1 },
    ],
    // Someone logged in over SSH on one of its instances: sshd's line in
    // its shipped logs (interactive-session).
    sshLogin: 'production',
  },
  'search-indexer': {
    tags: { 'immutable-infra:service': 'search-indexer' },
    launchTemplate: { name: 'search-indexer', version: 3 },
    instances: [
      { environment: 'production', version: 3, count: 2 },
      { environment: 'production', handBuilt: true, count: 1 },
      { environment: 'staging', version: 2, count: 1 },
    ],
  },
  'checkout-web': {
    tags: { 'immutable-infra:service': 'checkout-web' },
    sshOpen: true,
    keyName: 'checkout-ops',
    instances: [
      { environment: 'production', version: 3, count: 2 },
      { environment: 'staging', version: 3, count: 1 },
    ],
  },
  'legacy-billing': {
    tags: { 'immutable-infra:service': 'legacy-billing' },
    instances: [
      // Never rotated: launched 45 days ago (the emulator backdates it).
      { environment: 'production', version: 1, count: 1, launchedDaysAgo: 45 },
      { environment: 'staging', version: 2, count: 1 },
    ],
  },
};

async function seedFleet() {
  const existing = await clients.ec2.send(
    new DescribeInstancesCommand({
      Filters: [{ Name: 'tag-key', Values: ['environment'] }],
    }),
  );
  if ((existing.Reservations ?? []).length > 0) {
    console.log('demo fleet already running');
    return;
  }
  const sshGroup = await fixtures.securityGroup({
    name: 'checkout-web-legacy-ssh',
    description: 'SSH from anywhere (left over from a debugging session)',
    port: 22,
    cidr: '0.0.0.0/0',
  });
  await clients.ec2.send(new CreateKeyPairCommand({ KeyName: 'checkout-ops' }));
  const imageOf = async (family, version) =>
    (await call(`/api/immutable-infra/images/${family}@${version}`))
      .artifacts[0].imageId;
  const handBuilt = await bake('search-indexer-hotfix-by-hand');
  for (const [family, fleet] of Object.entries(FLEET)) {
    let templateId;
    if (fleet.launchTemplate) {
      const { name, version, versions = [] } = fleet.launchTemplate;
      const images = [];
      for (const v of [version, ...versions]) {
        images.push(await imageOf(family, v));
      }
      templateId = await fixtures.launchTemplate(name, images);
    }
    for (const group of fleet.autoscalingGroups ?? []) {
      await fixtures.groupBehindTargetGroup(clients.elb, {
        name: group.name,
        templateId,
        templateVersion: group.templateVersion,
        capacity: group.min,
        minSize: group.min,
        maxSize: group.max,
        tags: { ...fleet.tags, environment: group.environment },
        region: REGION,
      });
    }
    for (const group of fleet.instances) {
      const imageId = group.handBuilt
        ? handBuilt
        : await imageOf(family, group.version);
      await fixtures.instances(imageId, {
        count: group.count,
        keyName: fleet.keyName,
        securityGroupIds: fleet.sshOpen ? [sshGroup] : undefined,
        tags: {
          ...fleet.tags,
          environment: group.environment,
          ...(group.launchedDaysAgo
            ? { 'emulator:launched-days-ago': String(group.launchedDaysAgo) }
            : {}),
        },
      });
    }
    console.log(`launched the ${family} fleet`);
  }
}

/**
 * The shipped logs of the fleets whose `log-destination` is a CloudWatch
 * Logs group, where the demo wants them read: each instance of
 * ledger-worker writes its stream (named after the instance, as the
 * CloudWatch agent does), but the one launched a day ago; one production
 * instance's stream holds sshd's line of a login.
 */
async function seedLogs() {
  const logs = new CloudWatchLogsClient({
    region: REGION,
    endpoint: ec2Endpoint,
    maxAttempts: 2,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  const family = 'ledger-worker';
  const fleet = FLEET[family];
  const group = `/aws/ec2/${family}`;
  const groups = await logs.send(
    new DescribeLogGroupsCommand({ logGroupNamePrefix: group }),
  );
  if (groups.logGroups?.some(g => g.logGroupName === group)) {
    console.log(`logs of ${family} already shipped`);
    return;
  }
  await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
  const { Reservations = [] } = await clients.ec2.send(
    new DescribeInstancesCommand({
      Filters: [
        ...Object.entries(fleet.tags).map(([key, value]) => ({
          Name: `tag:${key}`,
          Values: [value],
        })),
        { Name: 'instance-state-name', Values: ['running'] },
      ],
    }),
  );
  const instances = Reservations.flatMap(r => r.Instances ?? []);
  const tag = (instance, key) => instance.Tags?.find(t => t.Key === key)?.Value;
  let loggedIn;
  for (const instance of instances) {
    if (tag(instance, 'emulator:launched-days-ago')) {
      continue;
    }
    const id = instance.InstanceId;
    const lines = [`${family}[811]: consumer started, partition 0`];
    if (!loggedIn && tag(instance, 'environment') === fleet.sshLogin) {
      loggedIn = id;
      lines.push(
        'sshd[4242]: Accepted publickey for ops from 198.51.100.23 port 51234 ssh2: ED25519 SHA256:ZGVtbw',
      );
    }
    await logs.send(
      new CreateLogStreamCommand({ logGroupName: group, logStreamName: id }),
    );
    const now = Date.now();
    await logs.send(
      new PutLogEventsCommand({
        logGroupName: group,
        logStreamName: id,
        logEvents: lines.map((message, n) => ({
          timestamp: now + n,
          message,
        })),
      }),
    );
  }
  console.log(
    `shipped the logs of ${family} to ${group}${
      loggedIn ? `; an SSH login on ${loggedIn}` : ''
    }`,
  );
}

/**
 * The alarms of the demo's `immutable-infra.io/rollout-alarms` annotations:
 * OK until `scripts/demo-alarm.mjs` sets one to ALARM.
 */
const ALARMS = [
  {
    name: 'payments-api-5xx',
    description: 'payments-api answers 5xx',
    namespace: 'AWS/ApplicationELB',
    metric: 'HTTPCode_Target_5XX_Count',
    dimension: { Name: 'TargetGroup', Value: 'payments-api-production' },
    threshold: 10,
  },
  {
    name: 'search-indexer-errors',
    description: 'search-indexer fails to index documents',
    namespace: 'SearchIndexer',
    metric: 'IndexingErrors',
    dimension: { Name: 'Environment', Value: 'production' },
    threshold: 5,
  },
];

async function seedAlarms() {
  const { cloudwatch } = clients;
  const { MetricAlarms = [] } = await cloudwatch.send(
    new DescribeAlarmsCommand({ AlarmNames: ALARMS.map(a => a.name) }),
  );
  const existing = new Set(MetricAlarms.map(a => a.AlarmName));
  for (const alarm of ALARMS.filter(a => !existing.has(a.name))) {
    await cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: alarm.name,
        AlarmDescription: alarm.description,
        Namespace: alarm.namespace,
        MetricName: alarm.metric,
        Dimensions: [alarm.dimension],
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: alarm.threshold,
        ComparisonOperator: 'GreaterThanThreshold',
      }),
    );
    console.log(`created the alarm ${alarm.name}`);
  }
}

/**
 * The demo's paused canary: payments-api's staging build rolled out to
 * production through the API, with the strategy of its annotation (half the
 * fleet, then a pause until promoted), left at that pause. Started once: an
 * earlier rollout of production, ended or not, is left as it is.
 */
const DEMO_ROLLOUT = {
  entity: { kind: 'component', namespace: 'default', name: 'payments-api' },
  environment: 'production',
  version: 5,
  reason: 'the staging build, half of production first',
};

async function seedRollout() {
  const { entity, environment } = DEMO_ROLLOUT;
  const entityRef = `${entity.kind}:${entity.namespace}/${entity.name}`;
  const { items } = await call(
    `/api/immutable-infra/entities/${entity.kind}/${entity.namespace}/${entity.name}/rollouts?limit=50`,
  );
  let rollout = items.find(r => r.environment === environment);
  const earlier = rollout !== undefined;
  if (earlier) {
    console.log(
      `${entityRef} already has a rollout in ${environment} (${rollout.state})`,
    );
  } else {
    ({ rollout } = await call('/api/immutable-infra/rollouts', {
      method: 'POST',
      body: {
        entityRef,
        environment,
        version: DEMO_ROLLOUT.version,
        reason: DEMO_ROLLOUT.reason,
      },
    }));
    console.log(
      `started rollout ${rollout.id}: ${entityRef} ${environment} to ${rollout.toVersion}`,
    );
  }
  const deadline = Date.now() + ROLLOUT_PAUSE_TIMEOUT_MS;
  for (;;) {
    rollout = await call(`/api/immutable-infra/rollouts/${rollout.id}`);
    if (rollout.awaitingPromotion || rollout.state === 'succeeded') {
      break;
    }
    if (['failed', 'aborted', 'paused'].includes(rollout.state)) {
      if (earlier) {
        // Promoted, aborted or paused in the demo since: left as it is.
        break;
      }
      throw new Error(
        `the demo rollout ${rollout.id} is ${rollout.state} instead of waiting for a promote: ${rollout.reason}`,
      );
    }
    if (Date.now() > deadline) {
      throw new Error(
        `the demo rollout ${rollout.id} did not reach its pause within ${
          ROLLOUT_PAUSE_TIMEOUT_MS / 1000
        }s: it is ${rollout.state} at step ${rollout.currentStep + 1} of ${
          rollout.steps.length
        }${rollout.reason ? ` (${rollout.reason})` : ''}`,
      );
    }
    await sleep(1000);
  }
  console.log(
    `rollout ${rollout.id}: ${
      rollout.awaitingPromotion
        ? `waiting for a promote at step ${rollout.currentStep + 1} of ${
            rollout.steps.length
          }`
        : rollout.state
    }`,
  );
}

async function sync() {
  const { synced } = await call('/api/immutable-infra/sync', {
    method: 'POST',
    body: {},
  });
  return synced;
}

async function main() {
  const { backstageIdentity } = await call(
    '/api/auth/guest/refresh?env=development',
  );
  token = backstageIdentity.token;

  let entities = [];
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    entities = await call(
      `/api/catalog/entities?filter=metadata.annotations.${FAMILY_ANNOTATION}&fields=kind,metadata.namespace,metadata.name,metadata.annotations`,
    );
    if (entities.length >= EXPECTED_ENROLLED) break;
    await sleep(1000);
  }
  if (entities.length === 0) {
    throw new Error('the demo catalog has no enrolled entities after 120s');
  }
  for (const entity of entities) {
    const entityRef = `${entity.kind}:${
      entity.metadata.namespace ?? 'default'
    }/${entity.metadata.name}`.toLowerCase();
    const name = entity.metadata.annotations[FAMILY_ANNOTATION];
    const { created } = await call('/api/immutable-infra/families', {
      method: 'POST',
      body: { name, entityRef },
    });
    console.log(
      `${
        created ? 'enrolled' : 'already enrolled'
      }: family ${name} for ${entityRef}`,
    );
  }

  if (!ec2Endpoint) {
    console.log('no EC2 emulator: registering made-up AMI ids');
  }
  for (const [family, history] of Object.entries(HISTORY)) {
    await seedFamily(family, history);
  }
  if (ec2Endpoint) {
    // A build that only tagged its AMI: image discovery registers it.
    const imageId = await bake('search-indexer-v4', {
      'immutable-infra:family': 'search-indexer',
      'immutable-infra:version': '4',
      'git:commit': commit('search-indexer', 4),
      'git:repo': HISTORY['search-indexer'].repo,
    });
    console.log(`tagged ${imageId} for image discovery (search-indexer)`);
    // The queue app-config.yaml names (immutableInfra.events): drift made
    // with scripts/demo-drift.mjs is found from its event in seconds.
    console.log(
      `drift events queue: ${await ensureDemoEventsQueue(ec2Endpoint, REGION)}`,
    );
    await seedFleet();
    await seedLogs();
    await seedAlarms();
    for (const result of await sync()) {
      console.log(
        `synced ${result.entityRef}: ${result.status}, ${
          result.instances
        } instances${result.error ? ` (${result.error})` : ''}`,
      );
    }
    await seedRollout();
    // The inventory as the canary left it: half of production on the new
    // version until the promote.
    await sync();
  }
  // Weeks of past rollouts and drift findings (demo.history in
  // app-config.yaml), for the dashboard's delivery and drift figures.
  const history = await call('/api/immutable-infra/demo/history', {
    method: 'POST',
    body: {},
    ok: [404],
  });
  if (history?.rollouts !== undefined) {
    console.log(
      `demo history: ${history.rollouts} past rollouts, ${history.findings} past drift findings, ${history.revocations} past revocation`,
    );
  }
  // The adoption dashboard's trends: today's snapshot, and the six weeks
  // before it rebuilt from the history just replayed.
  const snapshot = await call('/api/immutable-infra/adoption/snapshots', {
    method: 'POST',
    body: { backfillDays: 42 },
  });
  console.log(
    `adoption snapshot of ${snapshot.day}: ${snapshot.components} components, ${snapshot.enrolled} enrolled, ${snapshot.backfilled} days before it rebuilt`,
  );
  // One initiative under way: started four weeks ago, partly done.
  const title = 'Commerce on silver';
  const { items } = await call('/api/immutable-infra/initiatives');
  if (!items.some(i => i.title === title)) {
    const day = offset =>
      new Date(Date.now() + offset * DAY).toISOString().slice(0, 10);
    const initiative = await call('/api/immutable-infra/initiatives', {
      method: 'POST',
      body: {
        title,
        description:
          "Every production service of the commerce department's teams at silver or better",
        goal: { kind: 'level', value: 'silver' },
        scope: { owners: ['group:default/commerce'], productionOnly: true },
        startsOn: day(-28),
        deadline: day(30),
      },
    });
    console.log(
      `initiative "${title}": ${initiative.progress.done} of ${initiative.progress.total} done`,
    );
  }
  if (ec2Endpoint) {
    console.log(
      `to watch an alarm abort a rollout: node scripts/demo-alarm.mjs payments-api-5xx ALARM ${ec2Endpoint}`,
    );
  }
}

main().catch(error => {
  console.error(`seeding the demo failed: ${error.message}`);
  process.exit(1);
});
