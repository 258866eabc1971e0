import {
  DriftFinding,
  DriftGroup,
  SEVERITIES,
  SeverityCounts,
} from '@immutable-infra/backstage-plugin-common';
import { byCodeUnits } from './order';

const RANK = Object.fromEntries(SEVERITIES.map((s, i) => [s, i]));

function summarise(first: DriftFinding, count: number): string {
  const one = count === 1;
  const n = `${count} instance${one ? '' : 's'}`;
  const verb = (singular: string, plural: string) => (one ? singular : plural);
  const cause = first.rootCause.split(':').slice(1).join(':');
  switch (first.rule) {
    case 'revoked-image':
      return `${n} ${verb('runs', 'run')} the revoked ${cause}`;
    case 'unregistered-image':
      return `${n} ${verb(
        'runs',
        'run',
      )} ${cause}, an image no pipeline registered`;
    case 'image-mismatch': {
      const [environment, version] = cause.split(':');
      return `${n} in ${environment} ${verb(
        'runs',
        'run',
      )} ${version}, not the channel image`;
    }
    case 'image-too-old':
      return `${n} ${verb(
        'runs',
        'run',
      )} ${cause}, older than the image age limit`;
    case 'instance-too-old':
      return `${n} in ${cause} ${verb(
        'has',
        'have',
      )} not been replaced within the instance age limit`;
    case 'ssh-open':
      return `${n} ${verb('allows', 'allow')} SSH from ${
        cause === 'world' ? 'the whole internet' : 'some networks'
      }`;
    case 'ssh-key':
      return `${n} ${verb('carries', 'carry')} the key pair ${cause}`;
    default:
      return first.detail;
  }
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
    for (const finding of list) {
      if (finding.instanceId) {
        ids.add(finding.instanceId);
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
