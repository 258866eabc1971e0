import {
  DriftFinding,
  DriftGroup,
  SEVERITIES,
  SeverityCounts,
} from '@immutable-infra/backstage-plugin-common';
import { byCodeUnits } from './order';
import { driftRuleDefinition } from './rules';

const RANK = Object.fromEntries(SEVERITIES.map((s, i) => [s, i]));

/** The rule's summary of a group, or the first finding's detail. */
function summarise(first: DriftFinding, count: number): string {
  const summary = driftRuleDefinition(first.rule)?.summary;
  return summary
    ? summary({ count, cause: first.rootCause.split(':').slice(1).join(':') })
    : first.detail;
}

/**
 * Groups findings by root cause, most severe and largest first, so that 300
 * instances on one revoked version read as one problem.
 *
 * @internal
 */
export function groupFindings(findings: DriftFinding[]): DriftGroup[] {
  const groups = new Map<string, DriftFinding[]>();
  for (const finding of findings) {
    const list = groups.get(finding.rootCause);
    if (list) {
      list.push(finding);
    } else {
      groups.set(finding.rootCause, [finding]);
    }
  }
  const result: DriftGroup[] = [];
  for (const [rootCause, list] of groups) {
    const ids = new Set<string>();
    const environments = new Set<string>();
    for (const finding of list) {
      if (finding.instanceId) {
        ids.add(finding.instanceId);
        if (finding.environment) {
          environments.add(finding.environment);
        }
      }
    }
    const first = list[0];
    result.push({
      rootCause,
      rule: first.rule,
      severity: first.severity,
      summary: ids.size > 0 ? summarise(first, ids.size) : first.detail,
      fix: first.fix,
      count: list.length,
      instanceIds: [...ids],
      findings: list,
      environments: [...environments].sort(byCodeUnits),
    });
  }
  return result.sort(
    (a, b) =>
      RANK[a.severity] - RANK[b.severity] ||
      b.count - a.count ||
      byCodeUnits(a.rootCause, b.rootCause),
  );
}

/** Findings per severity. @internal */
export function countBySeverity(findings: DriftFinding[]): SeverityCounts {
  const counts: SeverityCounts = { critical: 0, high: 0, medium: 0, low: 0 };
  for (const finding of findings) {
    counts[finding.severity] += 1;
  }
  return counts;
}
