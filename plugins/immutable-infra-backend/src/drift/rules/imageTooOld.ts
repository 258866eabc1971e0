import { defineDriftRule } from './DriftRuleDefinition';
import { DAY, days, instancesPhrase } from './wording';

/**
 * The running version was built longer ago than the max image age; exactly
 * at the limit is not drift.
 *
 * @internal
 */
export const imageTooOld = defineDriftRule({
  id: 'image-too-old',
  severity: 'medium',
  fails: ['image-age'],
  evaluate: {
    instance: ({ instance, version }, { now, maxImageAgeDays }) => {
      if (!version) {
        return undefined;
      }
      const ageMs = now - Date.parse(version.createdAt);
      return ageMs > maxImageAgeDays * DAY
        ? { instance, version, ageMs, maxImageAgeDays }
        : undefined;
    },
  },
  detail: ({ instance, version, ageMs, maxImageAgeDays }) =>
    `${instance.instanceId} runs ${version.id}, built ${days(
      ageMs,
    )} days ago; the limit is ${maxImageAgeDays} days.`,
  rootCause: ({ version }) => `image-too-old:${version.id}`,
  fix: () => 'Rebuild the image on the current base and roll it out.',
  summary: ({ count, cause }) => {
    const { n, verb } = instancesPhrase(count);
    return `${n} ${verb(
      'runs',
      'run',
    )} ${cause}, older than the image age limit`;
  },
});
