import {
  DriftFinding,
  DriftRule,
  ImmutabilityScore,
  ImmutableInfraAnnotations,
  ScoreCheck,
} from '@immutable-infra/backstage-plugin-common';
import {
  rolloutMaking,
  rolloutProgress,
  rolloutsOnTheirWay,
} from './rollingOut';
import { cloudWatchLogGroup } from './logDestination';
import { DRIFT_RULE_DEFINITIONS } from './rules';
import {
  ActiveRollout,
  InstanceRecord,
  ScoreCheckId,
  VersionFacts,
} from './types';

/** What a score check looks at. @internal */
export type ScoreInput = {
  annotations: ImmutableInfraAnnotations;
  instances: InstanceRecord[];
  findings: DriftFinding[];
  versionsByImage: Map<string, VersionFacts>;
  /** The entity's rollouts that hold an environment (none when absent). */
  rollouts?: ActiveRollout[];
};

type Verdict = Pick<ScoreCheck, 'status' | 'evidence'>;

/**
 * One check of the immutability score: its weight (the weights sum to 100)
 * and how it is decided.
 *
 * @internal
 */
export type ScoreCheckDefinition = {
  id: ScoreCheckId;
  title: string;
  weight: number;
  fix: string;
  /**
   * The drift rules whose findings fail the check: those that declare it in
   * their `fails`.
   */
  failsOn: DriftRule[];
  evaluate(input: ScoreInput): Verdict;
};

/** The rules that declare they fail a check. */
function rulesFailing(id: ScoreCheckId): DriftRule[] {
  return DRIFT_RULE_DEFINITIONS.filter(rule => rule.fails.includes(id)).map(
    rule => rule.id,
  );
}

/** A check, with the rules that fail it. */
function scoreCheck(
  definition: Omit<ScoreCheckDefinition, 'failsOn' | 'evaluate'> & {
    evaluate(input: ScoreInput, failsOn: DriftRule[]): Verdict;
  },
): ScoreCheckDefinition {
  const failsOn = rulesFailing(definition.id);
  return {
    ...definition,
    failsOn,
    evaluate: input => definition.evaluate(input, failsOn),
  };
}

/** Evidence naming how many findings fail a check, and the first. */
function failedBy(findings: DriftFinding[]): Verdict {
  const ids = new Set(findings.map(f => f.instanceId ?? f.rootCause));
  return {
    status: 'fail',
    evidence: `${ids.size} ${ids.size === 1 ? 'finding' : 'findings'}: ${
      findings[0].detail
    }`,
  };
}

/**
 * A check about the fleet that fails on findings of the rules that declare
 * it; unknown (earning nothing) while no instance is known.
 */
function fleetCheck(
  definition: Omit<ScoreCheckDefinition, 'failsOn' | 'evaluate'>,
): ScoreCheckDefinition {
  return scoreCheck({
    ...definition,
    evaluate: ({ instances, findings }, failsOn) => {
      if (instances.length === 0) {
        return { status: 'unknown', evidence: 'no instances found' };
      }
      const failing = findings.filter(f => failsOn.includes(f.rule));
      return failing.length > 0
        ? failedBy(failing)
        : {
            status: 'pass',
            evidence: `all ${instances.length} instances pass`,
          };
    },
  });
}

/**
 * The checks of the immutability score. The drift rules each check fails on
 * are those that declare it (a rule's `fails`). docs/score.md documents the
 * same table.
 *
 * @internal
 */
export const SCORE_CHECKS: ScoreCheckDefinition[] = [
  scoreCheck({
    id: 'on-channel-image',
    title: 'Fleet runs its channel image',
    weight: 20,
    fix: 'Roll each environment out to its channel version.',
    // A rollout on its way mixes its environment on purpose: the findings
    // it makes are its progress, until it ends. One that failed or was
    // aborted leaves them drift again.
    evaluate: ({ instances, findings, rollouts }, failsOn) => {
      if (instances.length === 0) {
        return { status: 'unknown', evidence: 'no instances found' };
      }
      const moving = rolloutsOnTheirWay(rollouts);
      const progress = moving.map(rolloutProgress).join('; ');
      const failing = findings.filter(f => failsOn.includes(f.rule));
      const left = failing.filter(f => !rolloutMaking(f, moving));
      if (left.length > 0) {
        const verdict = failedBy(left);
        return progress
          ? { ...verdict, evidence: `${verdict.evidence}; ${progress}` }
          : verdict;
      }
      if (failing.length > 0) {
        return {
          status: 'pass',
          evidence: `${progress}. Its ${failing.length} ${
            failing.length === 1 ? 'finding' : 'findings'
          } on what it is replacing count again if it fails or is aborted.`,
        };
      }
      return {
        status: 'pass',
        evidence: `all ${instances.length} instances pass${
          progress ? `; ${progress}` : ''
        }`,
      };
    },
  }),
  scoreCheck({
    id: 'no-critical-findings',
    title: 'No critical findings',
    weight: 20,
    fix: 'Fix the critical findings on the Drift tab first.',
    // Fails on severity, whatever the rule.
    evaluate: ({ instances, findings }) => {
      if (instances.length === 0) {
        return { status: 'unknown', evidence: 'no instances found' };
      }
      const critical = findings.filter(f => f.severity === 'critical');
      return critical.length > 0
        ? failedBy(critical)
        : {
            status: 'pass',
            evidence: `all ${instances.length} instances pass`,
          };
    },
  }),
  scoreCheck({
    id: 'pipeline-images',
    title: 'Every image comes from the pipeline, with a commit',
    weight: 15,
    fix: 'Register every image from CI with its git commit.',
    evaluate: ({ instances, findings, versionsByImage }, failsOn) => {
      if (instances.length === 0) {
        return { status: 'unknown', evidence: 'no instances found' };
      }
      const failing = findings.filter(f => failsOn.includes(f.rule));
      if (failing.length > 0) {
        return failedBy(failing);
      }
      const noCommit = instances.filter(i => {
        const version = i.imageId ? versionsByImage.get(i.imageId) : undefined;
        return version && !version.gitCommit;
      });
      return noCommit.length > 0
        ? {
            status: 'fail',
            evidence: `${noCommit.length} instances run images registered without a commit`,
          }
        : {
            status: 'pass',
            evidence: `all ${instances.length} instances run registered images with a commit`,
          };
    },
  }),
  fleetCheck({
    id: 'image-age',
    title: 'Images within the age policy',
    weight: 15,
    fix: 'Rebuild on the current base image and roll out.',
  }),
  fleetCheck({
    id: 'no-ssh',
    title: 'No SSH: no port 22, no key pairs',
    weight: 10,
    fix: 'Close port 22 and launch without key pairs.',
  }),
  scoreCheck({
    id: 'logs-off-host',
    title: 'Logs shipped off-host',
    weight: 10,
    fix: 'Declare immutable-infra.io/log-destination and ship logs there.',
    // A CloudWatch Logs destination is verified by the rules that name the
    // check (logs-not-shipped); another kind is taken as declared.
    evaluate: ({ annotations, instances, findings }, failsOn) => {
      const destination = annotations.logDestination;
      if (!destination) {
        return {
          status: 'fail',
          evidence: 'no immutable-infra.io/log-destination annotation',
        };
      }
      const group = cloudWatchLogGroup(destination);
      if (!group) {
        return {
          status: 'pass',
          evidence: `logs go to ${destination} (declared, not verified)`,
        };
      }
      if (instances.length === 0) {
        return { status: 'unknown', evidence: 'no instances found' };
      }
      const failing = findings.filter(f => failsOn.includes(f.rule));
      return failing.length > 0
        ? failedBy(failing)
        : {
            status: 'pass',
            evidence: `no instance past the grace period is missing logs in ${group}`,
          };
    },
  }),
  fleetCheck({
    id: 'rotation',
    title: 'Instances rotated within the instance age policy',
    weight: 10,
    fix: 'Replace instances older than the limit regularly.',
  }),
];

/** Score thresholds of the levels. @internal */
export const LEVELS = { gold: 90, silver: 70, bronze: 40 };

/**
 * The immutability score of an entity: the weights of the checks it passes,
 * and the level that sum reaches.
 *
 * @internal
 */
export function scoreEntity(input: ScoreInput): ImmutabilityScore {
  const checks: ScoreCheck[] = SCORE_CHECKS.map(check => ({
    id: check.id,
    title: check.title,
    weight: check.weight,
    ...check.evaluate(input),
    fix: check.fix,
  }));
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
