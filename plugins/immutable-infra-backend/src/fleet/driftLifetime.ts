import {
  DriftLifetime,
  DriftResponse,
} from '@immutable-infra/backstage-plugin-common';
import { quantile, withFindingsPerGroup } from '../drift/views';
import {
  FindingKey,
  FindingLifetime,
  OpenGroup,
  OpenSince,
} from './FindingLifetimeStore';

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
  `${f.rule}\u0000${f.rootCause}\u0000${f.instanceId ?? ''}`;

/**
 * The drift answer with how long its drift lives: each finding and group
 * with when it was first found, the open findings, and over the last 30 and
 * 90 days the median and p95 of the lives of the findings gone. With
 * `findingsPerGroup`, each group keeps that many findings and instance ids
 * (its count and environments stay those of the whole group).
 *
 * @internal
 */
export function withDriftLifetime(options: {
  view: DriftResponse;
  /** The open findings by rule and root cause: groups' ages and the totals. */
  openGroups: OpenGroup[];
  /** When the findings kept were first seen (more may be given). */
  open: OpenSince[];
  /** Lives gone in the longest window, at least. */
  gone: FindingLifetime[];
  now: number;
  findingsPerGroup?: number;
}): DriftResponse {
  const { openGroups, open, gone, now } = options;
  const view = withFindingsPerGroup(options.view, options.findingsPerGroup);
  const firstSeen = new Map(open.map(l => [keyOf(l), l.firstSeenAt]));
  const groupSeen = new Map(
    openGroups.map(g => [
      keyOf({ rule: g.rule, rootCause: g.rootCause }),
      g.firstSeenAt,
    ]),
  );
  const groups = view.groups.map(group => {
    const shown = {
      ...group,
      findings: group.findings.map(finding => {
        const firstSeenAt = firstSeen.get(keyOf(finding));
        return firstSeenAt ? { ...finding, firstSeenAt } : finding;
      }),
    };
    const firstSeenAt = groupSeen.get(
      keyOf({ rule: group.rule, rootCause: group.rootCause }),
    );
    return firstSeenAt ? { ...shown, firstSeenAt } : shown;
  });
  let count = 0;
  let oldestOpenSince: string | undefined;
  for (const group of openGroups) {
    count += group.count;
    if (oldestOpenSince === undefined || group.firstSeenAt < oldestOpenSince) {
      oldestOpenSince = group.firstSeenAt;
    }
  }
  const lifetime: DriftLifetime = {
    open: count,
    oldestOpenSince,
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
