import {
  DriftLifetime,
  DriftResponse,
} from '@immutable-infra/backstage-plugin-common';
import { quantile } from '../drift/views';
import { FindingKey, FindingLifetime } from './FindingLifetimeStore';

const DAY = 86_400_000;

/** The windows an entity's drift lifetime is given over, in days. @internal */
export const DRIFT_LIFETIME_WINDOWS = [30, 90] as const;

/** How long a finding lived, in whole seconds. @internal */
export function lifeSeconds(lifetime: FindingLifetime): number | undefined {
  return lifetime.goneAt === undefined
    ? undefined
    : Math.max(
        0,
        Math.round(
          (Date.parse(lifetime.goneAt) - Date.parse(lifetime.firstSeenAt)) /
            1000,
        ),
      );
}

/** Whether a finding went with its instance, replaced by an automatic rollout. @internal */
export function erasedAutomatically(lifetime: FindingLifetime): boolean {
  return lifetime.goneBy === 'replaced' && lifetime.automatic === true;
}

const keyOf = (f: FindingKey) =>
  JSON.stringify([f.rule, f.rootCause, f.instanceId ?? '']);

/**
 * The drift answer with how long its drift lives: each finding and group
 * with when it was first found, the open findings, and over the last 30 and
 * 90 days the median and p95 of the lives of the findings gone.
 *
 * @internal
 */
export function withDriftLifetime(options: {
  view: DriftResponse;
  open: FindingLifetime[];
  /** Lives gone in the longest window, at least. */
  gone: FindingLifetime[];
  now: number;
}): DriftResponse {
  const { view, open, gone, now } = options;
  const firstSeen = new Map(open.map(l => [keyOf(l), l.firstSeenAt]));
  const groups = view.groups.map(group => {
    const findings = group.findings.map(f => {
      const firstSeenAt = firstSeen.get(keyOf(f));
      return firstSeenAt ? { ...f, firstSeenAt } : f;
    });
    const seen = findings
      .map(f => f.firstSeenAt)
      .filter((at): at is string => at !== undefined)
      .sort();
    return seen.length > 0
      ? { ...group, findings, firstSeenAt: seen[0] }
      : { ...group, findings };
  });
  const lifetime: DriftLifetime = {
    open: open.length,
    oldestOpenSince: open.map(l => l.firstSeenAt).sort()[0],
    windows: DRIFT_LIFETIME_WINDOWS.map(days => {
      const since = now - days * DAY;
      const within = gone.filter(
        l => l.goneAt !== undefined && Date.parse(l.goneAt) >= since,
      );
      const lives = within
        .map(lifeSeconds)
        .filter((s): s is number => s !== undefined)
        .sort((a, b) => a - b);
      return {
        days,
        gone: within.length,
        p50Seconds: quantile(lives, 0.5),
        p95Seconds: quantile(lives, 0.95),
        erasedAutomatically: within.filter(erasedAutomatically).length,
      };
    }),
  };
  return { ...view, groups, lifetime };
}
