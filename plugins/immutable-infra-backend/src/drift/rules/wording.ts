import { InstanceSubject } from './DriftRuleDefinition';

/** A day in milliseconds. @internal */
export const DAY = 86_400_000;

/** Whole days in a span. @internal */
export function days(ms: number): number {
  return Math.floor(ms / DAY);
}

/** How long ago a time was, in whole days. @internal */
export function ago(iso: string, now: number): string {
  const d = days(now - Date.parse(iso));
  if (d <= 0) {
    return 'today';
  }
  return d === 1 ? '1 day ago' : `${d} days ago`;
}

/**
 * How long ago a time was, in the unit that reads best: minutes up to
 * 90 minutes, hours up to 48 hours, then days.
 *
 * @internal
 */
export function agoPrecise(iso: string, now: number): string {
  const minutes = Math.max(0, Math.floor((now - Date.parse(iso)) / 60_000));
  const count = (n: number, unit: string) =>
    `${n} ${unit}${n === 1 ? '' : 's'} ago`;
  if (minutes < 90) {
    return count(minutes, 'minute');
  }
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? count(hours, 'hour') : ago(iso, now);
}

/** `; the production channel is app@2`, or nothing without a channel. @internal */
export function channelClause(subject: InstanceSubject): string {
  return subject.channel
    ? `; the ${subject.instance.environment} channel is ${subject.channel.version.id}`
    : '';
}

/**
 * The start of a group summary: `3 instances`, and the verb that agrees
 * with it.
 *
 * @internal
 */
export function instancesPhrase(count: number): {
  n: string;
  verb: (singular: string, plural: string) => string;
} {
  const one = count === 1;
  return {
    n: `${count} instance${one ? '' : 's'}`,
    verb: (singular, plural) => (one ? singular : plural),
  };
}
