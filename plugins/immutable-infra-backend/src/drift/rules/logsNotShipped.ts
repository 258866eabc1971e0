import { cloudWatchLogGroup } from '../logDestination';
import { InstanceRecord } from '../types';
import { defineDriftRule } from './DriftRuleDefinition';
import { instancesPhrase } from './wording';

type Hit = {
  instance: InstanceRecord;
  group: string;
  windowMs: number;
  /** Why shipping could not be verified. */
  unverified?: string;
  /** The newest event seen, older than the window. */
  lastEventAt?: string;
};

const HOUR = 60 * 60 * 1000;

/** A span in hours or minutes, as a sentence says it. */
function span(ms: number): string {
  if (ms % HOUR === 0) {
    const h = ms / HOUR;
    return h === 1 ? '1 hour' : `${h} hours`;
  }
  const m = Math.round(ms / 60_000);
  return m === 1 ? '1 minute' : `${m} minutes`;
}

/**
 * `log-destination` is `cloudwatch:<group>` and a running instance older
 * than the grace period has no log stream in that group with an event in the
 * window. Exactly at the grace period, or an event exactly a window ago, is
 * not drift. Shipping that could not be verified (the group not read, or
 * read in another group than the annotation names) is a finding too: a fact
 * that could not be read never passes.
 *
 * @internal
 */
export const logsNotShipped = defineDriftRule<Hit>({
  id: 'logs-not-shipped',
  severity: 'high',
  fails: ['logs-off-host'],
  evaluate: {
    instance: ({ instance }, { input, now, logGraceMs, logWindowMs }) => {
      const group = cloudWatchLogGroup(input.annotations.logDestination);
      if (!group || instance.state !== 'running') {
        return undefined;
      }
      if (
        instance.launchTime &&
        now - Date.parse(instance.launchTime) <= logGraceMs
      ) {
        return undefined;
      }
      const hit = { instance, group, windowMs: logWindowMs };
      const logs = instance.logs;
      if (!logs || logs.group !== group) {
        return { ...hit, unverified: 'the group was not read yet' };
      }
      if (logs.status === 'unknown') {
        return {
          ...hit,
          unverified: logs.error || 'the group could not be read',
        };
      }
      if (
        logs.lastEventAt &&
        now - Date.parse(logs.lastEventAt) <= logWindowMs
      ) {
        return undefined;
      }
      return { ...hit, lastEventAt: logs.lastEventAt };
    },
  },
  detail: ({ instance, group, windowMs, unverified, lastEventAt }) => {
    if (unverified) {
      return `Whether ${instance.instanceId} ships its logs to ${group} could not be verified: ${unverified}.`;
    }
    return `${
      instance.instanceId
    } has shipped no log event to ${group} in the last ${span(windowMs)}${
      lastEventAt ? ` (its last was at ${lastEventAt})` : ''
    }: its logs die with it.`;
  },
  rootCause: ({ group, unverified }) =>
    unverified
      ? `logs-not-shipped:unverified:${group}`
      : `logs-not-shipped:${group}`,
  fix: ({ group, unverified }) =>
    unverified
      ? `Let the plugin's AWS role call logs:DescribeLogStreams on ${group}; the next sync checks again.`
      : `Ship the instance's logs to ${group}: the CloudWatch agent running, its configuration naming the group with the instance id as stream name (the default), the instance profile allowed logs:PutLogEvents; then replace the instances.`,
  summary: ({ count, cause }) => {
    const { n, verb } = instancesPhrase(count);
    return cause.startsWith('unverified:')
      ? `${n} could not be checked for logs in ${cause.slice(
          'unverified:'.length,
        )}`
      : `${n} ${verb('ships', 'ship')} no logs to ${cause}`;
  },
});
