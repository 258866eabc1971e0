import fs from 'node:fs';
import path from 'node:path';
import {
  DRIFT_RULES,
  DriftRule,
  ImageVersion,
} from '@immutable-infra/backstage-plugin-common';
import { DRIFT_RULE_DEFINITIONS } from './rules';
import { SCORE_CHECKS, scoreEntity } from './score';
import { InstanceRecord } from './types';

// The rule list against what the product documents (docs/score.md and the
// API's rule ids), and the score's "fails on" lists against the rules'
// declarations.

const SCORE_DOC = fs.readFileSync(
  path.resolve(__dirname, '../../../../docs/score.md'),
  'utf8',
);

/** The rows of the first table under a `## ` heading, as trimmed cells. */
function tableRows(markdown: string, heading: string): string[][] {
  const section = markdown.split(/^## /m).find(s => s.startsWith(heading));
  if (!section) {
    throw new Error(`docs/score.md has no section "${heading}"`);
  }
  return section
    .split('\n')
    .filter(line => line.startsWith('|'))
    .slice(2) // the header and its rule
    .map(line =>
      line
        .slice(1, -1)
        .split('|')
        .map(cell => cell.trim()),
    );
}

/** Code spans that name a rule (annotation names have dots and slashes). */
const ruleIdsIn = (cell: string) =>
  [...cell.matchAll(/`([a-z0-9-]+)`/g)].map(m => m[1]);

const documentedRules = tableRows(SCORE_DOC, 'Drift rules').map(
  ([rule, severity]) => ({ id: ruleIdsIn(rule)[0], severity }),
);
const documentedChecks = tableRows(SCORE_DOC, 'The score').map(
  ([title, weight, failsOn]) => ({
    title,
    weight: Number(weight),
    failsOn: ruleIdsIn(failsOn),
  }),
);

const ids = DRIFT_RULE_DEFINITIONS.map(rule => rule.id);

describe('the drift rule list', () => {
  it('defines each rule once', () => {
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('is the set of rules docs/score.md documents', () => {
    expect([...ids].sort()).toEqual(documentedRules.map(r => r.id).sort());
  });

  it('is the set of rule ids the API accepts and answers', () => {
    expect([...ids].sort()).toEqual([...DRIFT_RULES].sort());
  });

  it('declares the severities docs/score.md gives', () => {
    const declared = DRIFT_RULE_DEFINITIONS.map(rule => [
      rule.id,
      rule.severity ?? 'decided per finding',
    ]);
    const documented = documentedRules.map(({ id, severity }) => [
      id,
      /^(critical|high|medium|low)$/.test(severity)
        ? severity
        : 'decided per finding',
    ]);
    expect(declared.sort()).toEqual(documented.sort());
  });

  it('has each rule judge some kind of subject', () => {
    expect(
      DRIFT_RULE_DEFINITIONS.filter(rule => rule.subjects.length === 0),
    ).toEqual([]);
  });
});

describe('the score checks', () => {
  it('are the checks docs/score.md gives, with their weights', () => {
    expect(SCORE_CHECKS.map(c => [c.title, c.weight])).toEqual(
      documentedChecks.map(c => [c.title, c.weight]),
    );
  });

  it('weigh 100 together, so that a clean fleet scores 100', () => {
    expect(SCORE_CHECKS.reduce((sum, c) => sum + c.weight, 0)).toBe(100);
  });
});

describe("the score's fails-on lists", () => {
  it('are the lists docs/score.md gives', () => {
    expect(
      SCORE_CHECKS.map(c => [c.title, [...c.failsOn].sort()]).sort(),
    ).toEqual(
      documentedChecks.map(c => [c.title, [...c.failsOn].sort()]).sort(),
    );
  });

  // A fleet that passes every check, but for one low finding of one rule.
  const instance: InstanceRecord = {
    entityRef: 'component:default/app',
    instanceId: 'i-1',
    region: 'us-east-1',
    imageId: 'ami-1',
    sshExposure: 'none',
    sshSources: [],
    firstSeenAt: '2026-11-26T00:00:00Z',
    lastSeenAt: '2026-11-26T00:00:00Z',
  };
  const version: ImageVersion = {
    id: 'app@1',
    family: 'app',
    version: 1,
    fingerprint: 'c1',
    digest: 'd',
    gitCommit: 'c1',
    source: 'registered',
    state: 'active',
    createdAt: '2026-11-25T00:00:00Z',
    artifacts: [{ provider: 'aws', region: 'us-east-1', imageId: 'ami-1' }],
    channels: [],
  };
  const statusesWith = (rule: DriftRule) =>
    scoreEntity({
      annotations: {
        imageFamily: 'app',
        fleetSelector: [],
        environments: ['production'],
        stateful: false,
        logDestination: 'cloudwatch:/app',
      },
      instances: [instance],
      versionsByImage: new Map([['ami-1', version]]),
      findings: [
        {
          rule,
          severity: 'low',
          instanceId: 'i-1',
          rootCause: `${rule}:x`,
          detail: `i-1 breaks ${rule}.`,
          fix: 'Fix it.',
        },
      ],
    }).checks.map(c => [c.id, c.status]);

  it.each(ids)(
    'fail, on a finding of %s, exactly the checks the rule declares',
    id => {
      const { fails } = DRIFT_RULE_DEFINITIONS.find(r => r.id === id)!;
      expect(statusesWith(id)).toEqual(
        SCORE_CHECKS.map(c => [c.id, fails.includes(c.id) ? 'fail' : 'pass']),
      );
    },
  );
});
