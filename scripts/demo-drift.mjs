#!/usr/bin/env node
// Makes drift in the running demo and watches the remediation policy erase
// it: opens SSH to the world on ONE running instance of a service (a new
// security group of its own, attached beside the instance's groups, so the
// twin a rollout launches from the launch template comes without it), puts
// the CloudTrail event of that change on the demo's drift events queue (as
// EventBridge would; without the queue, it asks the backend for a sync of the
// service instead), then follows the drift API and the service's rollouts,
// printing when the finding appears, when the automatic replace-drifted
// rollout starts and ends, and when the finding is gone; last, it takes the
// day's adoption snapshot and prints the dashboard's drift lifetime.
// The demo's search-indexer has `immutable-infra.io/remediation: auto:ssh-open`
// (docs/remediation.md); another service's policy may leave the finding to a
// person, which the script says.
//
// usage: node scripts/demo-drift.mjs ssh-open <service> [backendBaseUrl] [ec2Endpoint]
//   e.g. node scripts/demo-drift.mjs ssh-open search-indexer
// The backend defaults to http://localhost:7007, the endpoint to $MOTO_URL,
// else http://127.0.0.1:5000 (scripts/start). <service> is a component's
// name or an entity ref.

import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeInstancesCommand,
  EC2Client,
  ModifyInstanceAttributeCommand,
} from '@aws-sdk/client-ec2';
import { demoEventsQueueUrl, sendApiCallEvent } from './lib/demo-events.mjs';
import { answer } from './lib/http.mjs';

const RULES = ['ssh-open'];
const REMEDIATION_ACTOR = 'plugin:immutable-infra/remediation';
const FINISHED = ['succeeded', 'failed', 'aborted'];
/** How long to wait for the finding to come and go. */
const TIMEOUT_MS = 10 * 60_000;
const POLL_MS = 1_000;

const [rule, service, backendArg, endpointArg] = process.argv.slice(2);
if (!RULES.includes(rule) || !service) {
  console.error(
    `usage: node scripts/demo-drift.mjs <${RULES.join(
      '|',
    )}> <service> [backendBaseUrl] [ec2Endpoint]`,
  );
  process.exit(2);
}
const backend = (backendArg ?? 'http://localhost:7007').replace(/\/$/, '');
const endpoint = endpointArg ?? process.env.MOTO_URL ?? 'http://127.0.0.1:5000';

let token;

async function call(path, { method = 'GET', body, ok = [] } = {}) {
  let reply;
  try {
    reply = await answer(`${backend}${path}`, {
      method,
      body,
      token,
      timeoutMs: 60_000,
      headers: { 'X-Requested-With': 'XMLHttpRequest' },
    });
  } catch (error) {
    throw new Error(
      `the backend at ${backend} does not answer (${
        error.cause?.code ?? error.cause?.message ?? error.message
      }): is the demo running (scripts/start)?`,
    );
  }
  const { status, text, json } = reply;
  if ((status < 200 || status > 299) && !ok.includes(status)) {
    throw new Error(`${method} ${path} answered ${status}: ${text}`);
  }
  return { status, json };
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

let t0;
/** Prints a line with the wall-clock time and the seconds since the drift was made. */
function say(message) {
  const now = new Date();
  const since = t0 ? ` +${((now - t0) / 1000).toFixed(1)}s` : '';
  console.log(`${now.toISOString().slice(11, 23)}${since}  ${message}`);
}

/** `component:default/x` from a name or a ref, as the plugin spells refs. */
function toEntityRef(nameOrRef) {
  const match = /^(?:([^:/]+):)?(?:([^:/]+)\/)?([^:/]+)$/.exec(nameOrRef);
  if (!match) {
    throw new Error(`"${nameOrRef}" is neither a name nor an entity ref`);
  }
  const [, kind = 'component', namespace = 'default', name] = match;
  return `${kind}:${namespace}/${name}`.toLocaleLowerCase('en-US');
}

/**
 * The instance to open: running, no SSH exposure yet, outside Auto Scaling
 * groups first, and with no other drift first, so that the new finding is
 * the only one it has.
 */
function pickInstance(instances) {
  const candidates = instances.filter(i => i.sshExposure !== 'world');
  const rank = i => (i.asg ? 2 : 0) + (i.rules.length ? 1 : 0);
  return [...candidates].sort(
    (a, b) => rank(a) - rank(b) || a.instanceId.localeCompare(b.instanceId),
  );
}

/** Whether a policy replaces the rule's drift automatically (docs/remediation.md). */
function replacesAutomatically(policy, ruleId) {
  return (
    policy?.mode === 'auto' &&
    policy.targets.some(t => t === ruleId || t.startsWith(`${ruleId}:`))
  );
}

/** The drift group of the rule that names the instance, if any. */
function groupOf(drift, ruleId, instanceId) {
  return drift.groups.find(
    g => g.rule === ruleId && g.instanceIds.includes(instanceId),
  );
}

/** The automatic replace-drifted rollout of the environment started since `since`. */
function automaticRollout(rollouts, environment, since) {
  return rollouts
    .filter(
      r =>
        r.strategy === 'replaceDrifted' &&
        r.createdBy === REMEDIATION_ACTOR &&
        r.environment === environment &&
        Date.parse(r.createdAt) >= since.getTime() - 5_000,
    )
    .sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt))[0];
}

async function enrolledNames() {
  const { json } = await call(
    '/api/catalog/entities?filter=metadata.annotations.immutable-infra.io/image-family&fields=metadata.name',
  );
  return json.map(e => e.metadata.name).sort();
}

/** The service's running instances as the last sync saw them. */
async function runningInstances(entityRef) {
  const [kind, rest] = entityRef.split(':');
  const [namespace, name] = rest.split('/');
  const base = `/api/immutable-infra/entities/${kind}/${namespace}/${name}`;
  const catalog = await call(
    `/api/catalog/entities/by-name/${kind}/${namespace}/${name}`,
    { ok: [404] },
  );
  if (catalog.status === 404) {
    throw new Error(
      `unknown service ${service}: the catalog has no ${entityRef} (the demo's enrolled services: ${(
        await enrolledNames()
      ).join(', ')})`,
    );
  }
  const items = [];
  let cursor;
  do {
    const { status, json } = await call(
      `${base}/instances?state=running&limit=100${
        cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''
      }`,
      { ok: [404] },
    );
    if (status === 404) {
      throw new Error(
        `${entityRef} is not enrolled: it has no immutable-infra.io/image-family family registered`,
      );
    }
    items.push(...json.items);
    cursor = json.nextCursor;
  } while (cursor);
  return { base, items };
}

function ec2Client(region) {
  return new EC2Client({
    region,
    endpoint,
    maxAttempts: 1,
    credentials: {
      accessKeyId: 'immutable-infra-emulator',
      secretAccessKey: 'immutable-infra-emulator',
    },
  });
}

/** The instance as the emulator has it now, when it runs. */
async function describeRunning(ec2, instanceId) {
  let reply;
  try {
    reply = await ec2.send(
      new DescribeInstancesCommand({ InstanceIds: [instanceId] }),
    );
  } catch (error) {
    if (error.name === 'InvalidInstanceID.NotFound') return undefined;
    if (!error.$metadata?.httpStatusCode) {
      throw new Error(
        `the EC2 emulator at ${endpoint} does not answer (${
          error.cause?.code ?? error.message
        }): pass the endpoint scripts/start printed`,
      );
    }
    throw error;
  }
  const instance = reply.Reservations?.[0]?.Instances?.[0];
  return instance?.State?.Name === 'running' ? instance : undefined;
}

/**
 * A security group of its own allowing TCP 22 from 0.0.0.0/0, attached to
 * the instance beside its groups. ModifyInstanceAttribute's Groups replaces
 * the instance's security groups with the list given, so the list is its
 * groups and the new one:
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyInstanceAttribute.html
 */
async function openSsh(ec2, instance) {
  const name = `demo-ssh-open-${instance.InstanceId}-${Date.now()}`;
  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html
  const { GroupId } = await ec2.send(
    new CreateSecurityGroupCommand({
      GroupName: name,
      Description: `SSH from anywhere on ${instance.InstanceId} (scripts/demo-drift.mjs)`,
      ...(instance.VpcId ? { VpcId: instance.VpcId } : {}),
    }),
  );
  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AuthorizeSecurityGroupIngress.html
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId,
      IpPermissions: [
        {
          IpProtocol: 'tcp',
          FromPort: 22,
          ToPort: 22,
          IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'demo drift' }],
        },
      ],
    }),
  );
  const groups = (instance.SecurityGroups ?? []).map(g => g.GroupId);
  await ec2.send(
    new ModifyInstanceAttributeCommand({
      InstanceId: instance.InstanceId,
      Groups: [...groups, GroupId],
    }),
  );
  return { groupId: GroupId, name };
}

/** Takes the day's adoption snapshot and prints the dashboard's drift figures. */
async function snapshotDriftLifetime(entityRef) {
  await call('/api/immutable-infra/adoption/snapshots', {
    method: 'POST',
    body: {},
  });
  const { json: view } = await call('/api/immutable-infra/adoption?limit=500');
  const row = view.services?.items?.find(s => s.entityRef === entityRef);
  const minutes = m => (m === undefined || m === null ? '-' : `${m} min`);
  say(
    `adoption snapshot of ${view.day}: drift lifetime p50 ${minutes(
      view.figures.driftLifetimeP50Minutes,
    )}, p95 ${minutes(
      view.figures.driftLifetimeP95Minutes,
    )}, erased automatically ${
      view.figures.erasedAutomaticallyShare === undefined ||
      view.figures.erasedAutomaticallyShare === null
        ? '-'
        : `${Math.round(view.figures.erasedAutomaticallyShare * 100)}%`
    }${
      row
        ? `; ${entityRef}: p50 ${minutes(row.driftLifetimeP50Minutes)}, ${
            row.findingsErasedAutomatically ?? 0
          } of ${row.findingsGone ?? 0} erased automatically`
        : ''
    }`,
  );
}

async function main() {
  const { json: identity } = await call(
    '/api/auth/guest/refresh?env=development',
  );
  token = identity.backstageIdentity.token;
  const entityRef = toEntityRef(service);
  const { base, items } = await runningInstances(entityRef);
  if (items.length === 0) {
    throw new Error(
      `${entityRef} has no running instance (as its last sync saw it): is the demo seeded with the emulator?`,
    );
  }
  const { json: before } = await call(`${base}/drift`);
  const policy = before.remediation;
  console.log(
    `${entityRef}: remediation policy ${
      policy ? `"${policy.summary}" (${policy.source})` : 'off'
    }`,
  );
  if (!replacesAutomatically(policy?.policy, rule)) {
    throw new Error(
      `the policy of ${entityRef} does not replace ${rule} automatically, so the drift would wait for a person: pick a service whose immutable-infra.io/remediation names it (the demo's search-indexer has auto:ssh-open)`,
    );
  }

  let target;
  let instance;
  let ec2;
  const candidates = pickInstance(items);
  for (const candidate of candidates) {
    ec2 = ec2Client(candidate.region);
    instance = await describeRunning(ec2, candidate.instanceId);
    if (instance) {
      target = candidate;
      break;
    }
  }
  if (!target) {
    throw new Error(
      candidates.length === 0
        ? `every running instance of ${entityRef} already has SSH open to the world`
        : `none of the ${
            candidates.length
          } instances of ${entityRef} its last sync saw running (${candidates
            .map(i => i.instanceId)
            .join(
              ', ',
            )}) runs in the emulator at ${endpoint}: pass the endpoint scripts/start printed`,
    );
  }

  const group = await openSsh(ec2, instance);
  t0 = new Date();
  say(
    `opened SSH to the world on ${target.instanceId} (${
      target.environment ?? 'no environment'
    }, ${target.region}): security group ${group.groupId} (${group.name})`,
  );

  const queueUrl = await demoEventsQueueUrl(endpoint, target.region);
  if (queueUrl) {
    // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyInstanceAttribute.html
    const id = await sendApiCallEvent(endpoint, target.region, queueUrl, {
      eventName: 'ModifyInstanceAttribute',
      requestParameters: {
        instanceId: target.instanceId,
        groupSet: {
          items: [
            ...(instance.SecurityGroups ?? []).map(g => ({
              groupId: g.GroupId,
            })),
            { groupId: group.groupId },
          ],
        },
      },
      responseElements: { _return: true },
    });
    say(
      `put the CloudTrail event ModifyInstanceAttribute (${id}) on ${queueUrl}`,
    );
  } else {
    say(
      `no drift events queue in the emulator (${endpoint}): asking the backend for a sync instead`,
    );
    const { json: synced } = await call('/api/immutable-infra/sync', {
      method: 'POST',
      body: { entityRef },
    });
    for (const result of synced.synced ?? []) {
      say(
        `synced ${result.entityRef}: ${result.status}, ${
          result.instances
        } instances${result.error ? ` (${result.error})` : ''}`,
      );
    }
  }

  let appeared = false;
  let waiting;
  let rollout;
  let rolloutState;
  const deadline = Date.now() + TIMEOUT_MS;
  while (Date.now() < deadline) {
    const { json: drift } = await call(`${base}/drift`);
    const found = groupOf(drift, rule, target.instanceId);
    if (found && !appeared) {
      appeared = true;
      const finding = found.findings.find(
        f => f.instanceId === target.instanceId,
      );
      say(
        `finding appeared: ${found.rootCause} (${found.severity}) on ${
          target.instanceId
        }: ${finding?.detail ?? found.summary}; remediation ${
          found.remediation?.mode ?? 'manual'
        }`,
      );
      if (found.remediation?.mode !== 'automatic') {
        throw new Error(
          `the policy of ${entityRef} (${
            policy?.summary ?? 'off'
          }) does not replace ${rule} automatically: the finding waits for a person (Drift tab, Replace drifted); the demo's search-indexer has immutable-infra.io/remediation: auto:ssh-open`,
        );
      }
    }
    if (found?.remediation?.stopped) {
      throw new Error(
        `automation stopped for ${found.rootCause}: ${found.remediation.stopped.reason} (likely source: ${found.remediation.stopped.likelySource})`,
      );
    }
    if (found?.remediation?.waiting !== waiting) {
      waiting = found?.remediation?.waiting;
      if (waiting) say(`the automatic replacement waits: ${waiting}`);
    }

    if (appeared && !rollout) {
      const { json: page } = await call(`${base}/rollouts?limit=20`);
      rollout = automaticRollout(page.items, target.environment, t0);
      if (rollout) {
        say(
          `automatic rollout ${rollout.id} started at ${rollout.createdAt.slice(
            11,
            23,
          )} by ${rollout.createdBy}: replaceDrifted of ${
            rollout.environment
          } to ${rollout.toVersion} (${rollout.state})`,
        );
        rolloutState = rollout.state;
      }
    }
    if (rollout && !FINISHED.includes(rolloutState)) {
      const { json: now } = await call(
        `/api/immutable-infra/rollouts/${rollout.id}`,
      );
      if (now.state !== rolloutState) {
        rolloutState = now.state;
        say(
          `rollout ${rollout.id}: ${now.state}${
            now.reason ? ` (${now.reason})` : ''
          }`,
        );
        if (['failed', 'aborted'].includes(now.state)) {
          throw new Error(
            `the automatic rollout ${rollout.id} ${now.state}: the finding stays until a person looks (Drift tab)`,
          );
        }
      }
    }

    if (appeared && !found) {
      const erased = drift.lifetime?.windows?.[0]?.erasedAutomatically;
      say(
        `finding gone: ${target.instanceId} replaced${
          rollout ? ` by rollout ${rollout.id}` : ''
        }${
          erased === undefined
            ? ''
            : `; findings erased automatically in the last ${drift.lifetime.windows[0].days} days: ${erased}`
        }`,
      );
      await snapshotDriftLifetime(entityRef);
      return;
    }
    await sleep(POLL_MS);
  }
  throw new Error(
    `timed out after ${TIMEOUT_MS / 60_000} minutes: ${
      !appeared
        ? `the sync did not report ${rule} on ${target.instanceId}`
        : !rollout
        ? `no automatic rollout started${waiting ? ` (${waiting})` : ''}`
        : `rollout ${rollout.id} is ${rolloutState} and the finding is still there`
    }`,
  );
}

main().catch(error => {
  console.error(`demo drift failed: ${error.message}`);
  process.exit(1);
});
