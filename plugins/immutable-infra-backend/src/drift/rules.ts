import {
  DriftFinding,
  DriftRule,
} from '@immutable-infra/backstage-plugin-common';
import { asgMissing } from './rules/asgMissing';
import { asgUnpinned } from './rules/asgUnpinned';
import {
  DRIFT_SUBJECT_KINDS,
  DriftInput,
  DriftRuleDefinition,
} from './rules/DriftRuleDefinition';
import { imageMismatch } from './rules/imageMismatch';
import { imageTooOld } from './rules/imageTooOld';
import { imdsv1Allowed } from './rules/imdsv1Allowed';
import { interactiveSession } from './rules/interactiveSession';
import { instanceTooOld } from './rules/instanceTooOld';
import { launchTemplateDrift } from './rules/launchTemplateDrift';
import { logsNotShipped } from './rules/logsNotShipped';
import { notManaged } from './rules/notManaged';
import { ownedTwice } from './rules/ownedTwice';
import { revokedImage } from './rules/revokedImage';
import { sshKey } from './rules/sshKey';
import { sshOpen } from './rules/sshOpen';
import { staleInventory } from './rules/staleInventory';
import { driftContext, driftSubjects } from './rules/subjects';
import { unregisteredImage } from './rules/unregisteredImage';

export type { DriftInput } from './rules/DriftRuleDefinition';

/**
 * The drift rules, one definition each (in `rules/`). Subjects are judged
 * kind by kind (instances, launch templates, Auto Scaling groups, the
 * entity); the findings of one subject follow this order. docs/score.md
 * documents the same rules.
 *
 * @internal
 */
export const DRIFT_RULE_DEFINITIONS: readonly DriftRuleDefinition[] = [
  revokedImage,
  unregisteredImage,
  imageMismatch,
  imageTooOld,
  instanceTooOld,
  sshOpen,
  sshKey,
  interactiveSession,
  logsNotShipped,
  imdsv1Allowed,
  notManaged,
  ownedTwice,
  asgMissing,
  asgUnpinned,
  launchTemplateDrift,
  staleInventory,
];

const BY_ID = new Map(DRIFT_RULE_DEFINITIONS.map(rule => [rule.id, rule]));

/** The definition of a rule. @internal */
export function driftRuleDefinition(
  id: DriftRule,
): DriftRuleDefinition | undefined {
  return BY_ID.get(id);
}

/**
 * Applies every drift rule to one entity's fleet. Pure: same input, same
 * findings. Each finding carries a sentence a developer understands, how to
 * fix it, and a root cause shared by every instance with the same problem.
 *
 * @internal
 */
export function evaluateDrift(input: DriftInput): DriftFinding[] {
  const context = driftContext(input);
  const subjects = driftSubjects(context);
  const approval = input.annotations.stateful
    ? ' This service is stateful: replacing its instances needs approval.'
    : '';
  const findings: DriftFinding[] = [];
  for (const kind of DRIFT_SUBJECT_KINDS) {
    const rules = DRIFT_RULE_DEFINITIONS.filter(r => r.subjects.includes(kind));
    for (const subject of subjects[kind]) {
      for (const rule of rules) {
        const found = rule.judge(kind, subject, context);
        if (found) {
          findings.push({
            ...subject.location,
            ...found,
            detail: found.detail + approval,
          });
        }
      }
    }
  }
  return findings;
}
