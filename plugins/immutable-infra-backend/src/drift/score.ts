import {
  DriftFinding,
  DriftRule,
  ImmutabilityScore,
  ImmutableInfraAnnotations,
  ScoreCheck,
} from '@immutable-infra/backstage-plugin-common';
import { InstanceRecord, VersionFacts } from './types';

/**
 * The checks of the immutability score, their weights (summing to 100) and
 * the rules that fail them. docs/score.md documents the same table.
 *
 * @internal
 */
export const SCORE_CHECKS: {
  id: string;
  title: string;
  weight: number;
  failedBy: DriftRule[];
  fix: string;
  needsInstances: boolean;
}[] = [
  {
    id: 'on-channel-image',
    title: 'Fleet runs its channel image',
    weight: 20,
    failedBy: [
      'image-mismatch',
      'unregistered-image',
      'revoked-image',
      'launch-template-drift',
    ],
    fix: 'Roll each environment out to its channel version.',
    needsInstances: true,
  },
  {
    id: 'no-critical-findings',
    title: 'No critical findings',
    weight: 20,
    failedBy: [],
    fix: 'Fix the critical findings on the Drift tab first.',
    needsInstances: true,
  },
  {
    id: 'pipeline-images',
    title: 'Every image comes from the pipeline, with a commit',
    weight: 15,
    failedBy: ['unregistered-image'],
    fix: 'Register every image from CI with its git commit.',
    needsInstances: true,
  },
  {
    id: 'image-age',
    title: 'Images within the age policy',
    weight: 15,
    failedBy: ['image-too-old'],
    fix: 'Rebuild on the current base image and roll out.',
    needsInstances: true,
  },
  {
    id: 'no-ssh',
    title: 'No SSH: no port 22, no key pairs',
    weight: 10,
    failedBy: ['ssh-open', 'ssh-key'],
    fix: 'Close port 22 and launch without key pairs.',
    needsInstances: true,
  },
  {
    id: 'logs-off-host',
    title: 'Logs shipped off-host',
    weight: 10,
    failedBy: [],
    fix: 'Declare immutable-infra.io/log-destination and ship logs there.',
    needsInstances: false,
  },
  {
    id: 'rotation',
    title: 'Instances rotated within the instance age policy',
    weight: 10,
    failedBy: ['instance-too-old'],
    fix: 'Replace instances older than the limit regularly.',
    needsInstances: true,
  },
];

/** Score thresholds of the levels. @internal */
export const LEVELS = { gold: 90, silver: 70, bronze: 40 };

/**
 * The immutability score of an entity from its findings. Checks about the
 * fleet are `unknown` (and earn nothing) while no instance is known.
 *
 * @internal
 */
export function scoreEntity(options: {
  annotations: ImmutableInfraAnnotations;
  instances: InstanceRecord[];
  findings: DriftFinding[];
  versionsByImage: Map<string, VersionFacts>;
}): ImmutabilityScore {
  const { findings, instances } = options;
  const checks: ScoreCheck[] = SCORE_CHECKS.map(check => {
    let failing: DriftFinding[];
    if (check.id === 'no-critical-findings') {
      failing = findings.filter(f => f.severity === 'critical');
    } else {
      failing = findings.filter(f => check.failedBy.includes(f.rule));
    }
    let status: ScoreCheck['status'];
    let evidence: string;
    if (check.id === 'logs-off-host') {
      status = options.annotations.logDestination ? 'pass' : 'fail';
      evidence = options.annotations.logDestination
        ? `logs go to ${options.annotations.logDestination}`
        : 'no immutable-infra.io/log-destination annotation';
    } else if (check.needsInstances && instances.length === 0) {
      status = 'unknown';
      evidence = 'no instances found';
    } else if (check.id === 'pipeline-images' && failing.length === 0) {
      const noCommit = instances.filter(i => {
        const v = i.imageId
          ? options.versionsByImage.get(i.imageId)
          : undefined;
        return v && !v.gitCommit;
      });
      status = noCommit.length ? 'fail' : 'pass';
      evidence = noCommit.length
        ? `${noCommit.length} instances run images registered without a commit`
        : `all ${instances.length} instances run registered images with a commit`;
    } else if (failing.length > 0) {
      status = 'fail';
      const ids = new Set(failing.map(f => f.instanceId ?? f.rootCause));
      evidence = `${ids.size} ${ids.size === 1 ? 'finding' : 'findings'}: ${
        failing[0].detail
      }`;
    } else {
      status = 'pass';
      evidence = `all ${instances.length} instances pass`;
    }
    return {
      id: check.id,
      title: check.title,
      weight: check.weight,
      status,
      evidence,
      fix: check.fix,
    };
  });
  const score = checks
    .filter(c => c.status === 'pass')
    .reduce((sum, c) => sum + c.weight, 0);
  let level: ImmutabilityScore['level'] = 'none';
  if (score >= LEVELS.gold) {
    level = 'gold';
  } else if (score >= LEVELS.silver) {
    level = 'silver';
  } else if (score >= LEVELS.bronze) {
    level = 'bronze';
  }
  return { score, level, checks };
}
