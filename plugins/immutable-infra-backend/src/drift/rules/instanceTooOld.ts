import { defineDriftRule } from './DriftRuleDefinition';
import { DAY, days, instancesPhrase } from './wording';

/**
 * The instance was launched longer ago than the max instance age: it was not
 * rotated. Exactly at the limit is not drift.
 *
 * @internal
 */
export const instanceTooOld = defineDriftRule({
  id: 'instance-too-old',
  severity: 'medium',
  fails: ['rotation'],
  evaluate: {
    instance: ({ instance }, { now, maxInstanceAgeDays }) => {
      if (!instance.launchTime) {
        return undefined;
      }
      const ageMs = now - Date.parse(instance.launchTime);
      return ageMs > maxInstanceAgeDays * DAY
        ? { instance, ageMs, maxInstanceAgeDays }
        : undefined;
    },
  },
  detail: ({ instance, ageMs, maxInstanceAgeDays }) =>
    `${instance.instanceId} was launched ${days(
      ageMs,
    )} days ago and never replaced; the limit is ${maxInstanceAgeDays} days.`,
  rootCause: ({ instance }) =>
    `instance-too-old:${instance.environment ?? 'unknown'}`,
  fix: () =>
    'Rotate the fleet: replace instances older than the limit, even on the same image.',
  summary: ({ count, cause }) => {
    const { n, verb } = instancesPhrase(count);
    return `${n} in ${cause} ${verb(
      'has',
      'have',
    )} not been replaced within the instance age limit`;
  },
});
