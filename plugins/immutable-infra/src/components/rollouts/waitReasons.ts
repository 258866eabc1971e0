import {
  Rollout,
  RolloutGateHold,
} from '@immutable-infra/backstage-plugin-common';

/** One thing a rollout waits for, in a developer's words. */
export type WaitReason = {
  /** What waits: an instance, a fleet, the rollout's alarms. */
  subject: string;
  /** Why, and what happens next. */
  words: string;
  /** What AWS (or the engine, where AWS said nothing) said, as it said it. */
  quote?: { from: 'AWS' | 'Rollout'; text: string };
};

function aws(text: string): WaitReason['quote'] {
  return { from: 'AWS', text };
}

/** Target health reason codes of Elastic Load Balancing, in words. */
const TARGET_HEALTH_REASONS: Record<string, (group: string) => string> = {
  'Elb.RegistrationInProgress': group =>
    `is being registered in target group ${group}`,
  'Elb.InitialHealthChecking': group =>
    `waits for the first health checks of target group ${group} to pass`,
  'Target.ResponseCodeMismatch': group =>
    `fails the health check of target group ${group}: its health check path answers an HTTP status the target group does not accept`,
  'Target.Timeout': group =>
    `does not answer the health check of target group ${group} in time: the service may not listen on the health check port yet, or a security group blocks the load balancer`,
  'Target.FailedHealthChecks': group =>
    `fails the health checks of target group ${group}: the service does not accept connections on the health check port`,
  'Target.NotRegistered': group => `is not registered in target group ${group}`,
  'Target.NotInUse': group =>
    `cannot be checked: target group ${group} serves no load balancer in the instance's Availability Zone`,
  'Target.DeregistrationInProgress': group =>
    `is leaving target group ${group} (deregistration in progress)`,
  'Target.InvalidState': group =>
    `is stopped or terminated, so target group ${group} cannot check it`,
  'Target.HealthCheckDisabled': group =>
    `cannot pass: health checks are disabled in target group ${group}`,
  'Elb.InternalError': group =>
    `could not be checked: target group ${group} had an internal error, it checks again`,
};

/** Target health states without a reason code, in words. */
const TARGET_HEALTH_STATES: Record<string, string> = {
  initial: 'has not been checked yet',
  unhealthy: 'fails the health checks',
  unused: 'is not used: the target group serves no load balancer',
  draining: 'is draining its connections',
  unavailable: 'cannot be checked: health checks are disabled',
};

/** EC2 instance states of an instance that should be running, in words. */
const INSTANCE_STATES: Record<string, string> = {
  pending: 'is still starting',
  stopping: 'is stopping: it serves nothing',
  stopped: 'is stopped: it serves nothing',
  'shutting-down': 'is terminating: it is replaced',
  terminated: 'has terminated: it is replaced',
};

/** EC2 status check results, in words. */
const STATUS_CHECKS: Record<string, string> = {
  initializing:
    'is still booting: its EC2 status checks are initializing (usually a few minutes after launch)',
  impaired:
    'fails its EC2 status checks: it is unreachable or its operating system did not start, and will not pass',
  'insufficient-data': 'has no EC2 status check result yet',
};

/**
 * What the gate said of an instance: the AWS states it read turned into
 * words, with what AWS said kept as it said it.
 */
function gateWords(text: string): Pick<WaitReason, 'words' | 'quote'> {
  const state = /^instance is (\S+)$/.exec(text);
  if (state) {
    return {
      words: INSTANCE_STATES[state[1]] ?? `is ${state[1]}`,
      quote: aws(`instance state ${state[1]}`),
    };
  }
  const checks = /^EC2 status checks: instance (\S+), system (\S+)$/.exec(text);
  if (checks) {
    const failing = [checks[1], checks[2]].find(s => s !== 'ok');
    return {
      words:
        STATUS_CHECKS[failing ?? ''] ??
        `has not passed its EC2 status checks (${failing})`,
      quote: aws(`instance status ${checks[1]}, system status ${checks[2]}`),
    };
  }
  if (text === 'no status from EC2 yet') {
    return { words: 'was just launched: EC2 does not report its status yet' };
  }
  const health = /^target group (\S+): (\S+)(?: \(([^)]+)\))?$/.exec(text);
  if (health) {
    const [, group, healthState, reason] = health;
    const words =
      (reason && TARGET_HEALTH_REASONS[reason]?.(group)) ??
      `${
        TARGET_HEALTH_STATES[healthState] ?? `is ${healthState}`
      } in target group ${group}`;
    return {
      words,
      quote: aws(`target health ${healthState}${reason ? `, ${reason}` : ''}`),
    };
  }
  const unregistered = /^not registered in target group (\S+)$/.exec(text);
  if (unregistered) {
    return {
      words: `is not registered in target group ${unregistered[1]} yet`,
    };
  }
  if (text.startsWith('HTTP probe')) {
    return { words: `does not pass the rollout's probe yet: ${text}` };
  }
  if (text === 'not checked yet') {
    return { words: 'has not been checked by the gate yet' };
  }
  return { words: text };
}

/**
 * What holds an instance at the gate, from what AWS reported (the
 * status's structured `gate`); the engine's sentence where it has none.
 */
function holdWords(
  hold: RolloutGateHold,
  text: string,
): Pick<WaitReason, 'words' | 'quote'> {
  switch (hold.check) {
    case 'instance-state':
      return gateWords(`instance is ${hold.instanceState}`);
    case 'status-checks':
      return hold.instanceStatus || hold.systemStatus
        ? gateWords(
            `EC2 status checks: instance ${
              hold.instanceStatus ?? 'ok'
            }, system ${hold.systemStatus ?? 'ok'}`,
          )
        : gateWords('no status from EC2 yet');
    case 'target-health': {
      const group = hold.targetGroup ?? 'of the fleet';
      const state = hold.targetState ?? 'unknown';
      const words =
        (hold.reason && TARGET_HEALTH_REASONS[hold.reason]?.(group)) ??
        `${
          TARGET_HEALTH_STATES[state] ?? `is ${state}`
        } in target group ${group}`;
      return {
        words,
        quote: aws(
          `target health ${state}${hold.reason ? `, ${hold.reason}` : ''}${
            hold.description ? `: ${hold.description}` : ''
          }`,
        ),
      };
    }
    case 'not-registered':
      return {
        words: `is not registered in target group ${hold.targetGroup} yet`,
      };
    default:
      return gateWords(text);
  }
}

/** The scaling policy (or scheduled action) an activity's Cause names. */
function scaledByWords(cause: string): string {
  const policy = /triggered policy (\S+)/.exec(cause);
  if (policy) {
    return `its scaling policy ${policy[1]}`;
  }
  const scheduled = /scheduled action/.test(cause);
  return scheduled
    ? 'a scheduled action'
    : 'a scaling policy, or someone, changing its desired capacity';
}

/** A failed scaling activity's message, in words. */
function activityWords(message: string): string {
  if (/InsufficientInstanceCapacity|sufficient .* capacity/i.test(message)) {
    return 'AWS has no capacity for the instance type in an Availability Zone right now: the group tries again, or in its other zones';
  }
  if (/vCPU|instance limit|InstanceLimitExceeded/i.test(message)) {
    return "the account's EC2 quota is reached: raise it, or lower the surge";
  }
  if (/free (IP )?addresses|InsufficientFreeAddresses/i.test(message)) {
    return 'a subnet of the group has no free IP addresses left';
  }
  if (/image|AMI/i.test(message)) {
    return 'the group cannot launch the new image: it is missing, not shared with this account, or its snapshot cannot be read';
  }
  return 'Auto Scaling could not launch an instance';
}

/**
 * Why a rollout that has not ended waits, thing by thing: an analysis or a
 * bake left inconclusive by an alarm with no data, a scaling activity that
 * failed, a group whose own scaling moved its capacity, and each instance
 * the gate holds back. What the rollout status does not carry is not said.
 */
export function waitReasons(rollout: Rollout): WaitReason[] {
  const reasons: WaitReason[] = [];
  const alarms = new Map(
    rollout.status
      .flatMap(s => s.alarms ?? [])
      .map(a => [`${a.region}:${a.alarm}`, a]),
  );
  if (rollout.state === 'paused') {
    for (const alarm of alarms.values()) {
      reasons.push({
        subject: `Alarm ${alarm.alarm} (${alarm.region})`,
        words:
          alarm.state === 'INSUFFICIENT_DATA'
            ? 'had no data, so the rollout cannot tell whether the new version is healthy: the new instances may not send the metric it watches, or there is no traffic yet. The rollout paused rather than pass on silence; resume to watch the alarms again, or abort.'
            : `is in ${alarm.state}.`,
        quote: aws(`${alarm.state}${alarm.reason ? `: ${alarm.reason}` : ''}`),
      });
    }
  }
  if (
    rollout.state === 'paused' &&
    alarms.size === 0 &&
    rollout.reason?.includes('INSUFFICIENT_DATA')
  ) {
    reasons.push({
      subject: 'Alarms',
      words:
        'an alarm had no data, so the rollout cannot tell whether the new version is healthy: the new instances may not send the metric it watches, or there is no traffic yet. The rollout paused rather than pass on silence; resume to watch the alarms again, or abort.',
      quote: { from: 'Rollout', text: rollout.reason },
    });
  }
  for (const status of rollout.status) {
    const fleet = rollout.fleets.find(f => f.key === status.key);
    const name = fleet?.name ?? status.key;
    if (status.activity) {
      const cause = status.failedActivity?.cause;
      reasons.push({
        subject: name,
        words: `a scaling activity failed: ${activityWords(status.activity)}.`,
        quote: aws(`${status.activity}${cause ? ` Cause: ${cause}` : ''}`),
      });
    }
    if (
      fleet?.kind === 'autoscaling-group' &&
      status.capacity !== undefined &&
      status.capacity !== fleet.capacity
    ) {
      const cause = status.scaledBy?.cause;
      reasons.push({
        subject: name,
        words: `the group was scaled from ${fleet.capacity} to ${
          status.capacity
        } instances since the rollout was planned (${
          cause
            ? `by ${scaledByWords(cause)}`
            : 'a scaling policy, or someone, changed its desired capacity'
        }). The rollout follows it and never undoes it: the targets are shares of ${
          status.capacity
        } now, and what the group launches runs the version its launch template names.`,
        ...(cause ? { quote: aws(cause) } : {}),
      });
    }
    for (const [instance, text] of Object.entries(status.waiting)) {
      const hold = status.gate?.[instance];
      reasons.push({
        subject: `${instance} (${name})`,
        ...(hold ? holdWords(hold, text) : gateWords(text)),
      });
    }
  }
  return reasons;
}
