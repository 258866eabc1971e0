import {
  Channel,
  DriftFinding,
  DriftRule,
  ImmutableInfraAnnotations,
  Severity,
} from '@immutable-infra/backstage-plugin-common';
import type {
  AutoScalingGroupDescription,
  LaunchTemplateDefault,
} from '../../providers/FleetProvider';
import {
  AutoScalingGroupRecord,
  ChannelVersionFacts,
  InstanceRecord,
  ScoreCheckId,
  SyncState,
  VersionFacts,
} from '../types';

/** The organisation's policy the rules apply. @internal */
export type DriftPolicy = {
  maxImageAgeDays: number;
  maxInstanceAgeDays: number;
  /** Whether every instance must be a Systems Manager managed instance. */
  requireSystemsManager?: boolean;
  /** How long a new instance may run before its logs must show. */
  logGraceMs?: number;
  /** How recent an instance's newest log event must be. */
  logWindowMs?: number;
};

/** How long a new instance may run before its logs must show: 2 hours. @internal */
export const DEFAULT_LOG_GRACE_MS = 2 * 60 * 60 * 1000;

/** How recent an instance's newest log event must be: 6 hours. @internal */
export const DEFAULT_LOG_WINDOW_MS = 6 * 60 * 60 * 1000;

/** Everything the drift rules look at for one entity. @internal */
export type DriftInput = {
  annotations: ImmutableInfraAnnotations;
  policy: DriftPolicy;
  instances: InstanceRecord[];
  /** Registered versions by AMI id, for every AMI the fleet runs. */
  versionsByImage: Map<string, VersionFacts>;
  /** The family's channels, with the version each points at. */
  channels: Channel[];
  /** Channel versions with their AMIs: `<family>@<n>` → version. */
  channelVersions: Map<string, ChannelVersionFacts>;
  launchTemplates: LaunchTemplateDefault[];
  /** The annotated Auto Scaling groups, per environment and region. */
  autoscalingGroups: AutoScalingGroupRecord[];
  sync?: SyncState;
  /** How often syncs run; stale after two periods without success. */
  syncPeriodMs: number;
  now: number;
};

/** The version a channel points at, and its AMI in one region. @internal */
export type ChannelImage = { version: ChannelVersionFacts; imageId?: string };

/** What every rule may read besides its subject. @internal */
export type DriftContext = {
  input: DriftInput;
  now: number;
  /** The entity's image family. */
  family?: string;
  /** The age limits, annotations over the policy. */
  maxImageAgeDays: number;
  maxInstanceAgeDays: number;
  /** The policy's Systems Manager and log settings, defaults applied. */
  requireSystemsManager: boolean;
  logGraceMs: number;
  logWindowMs: number;
  /** The AMI the channel of an environment points at in a region. */
  channelImage(environment: string, region: string): ChannelImage | undefined;
};

/** Where a finding is: the fields of a finding that its subject decides. */
type FindingLocation = Pick<
  DriftFinding,
  'instanceId' | 'region' | 'environment'
>;

/** An instance of the fleet, with its registered version and its channel's AMI. @internal */
export type InstanceSubject = {
  location: FindingLocation;
  instance: InstanceRecord;
  version?: VersionFacts;
  /** The channel of the instance's environment, in its region. */
  channel?: ChannelImage;
};

/** A launch template's default version. @internal */
export type LaunchTemplateSubject = {
  location: FindingLocation;
  template: LaunchTemplateDefault;
};

/**
 * An Auto Scaling group the entity names: one subject per group found in a
 * region, or one for a name found in none of them.
 *
 * @internal
 */
export type AutoScalingGroupSubject = {
  location: FindingLocation;
  name: string;
  /** Every record of this name, one per environment and region searched. */
  records: AutoScalingGroupRecord[];
  /** The group found; undefined when no region has a group of this name. */
  found?: { environment: string; group: AutoScalingGroupDescription };
};

/** The entity as a whole. @internal */
export type EntitySubject = {
  location: FindingLocation;
  sync?: SyncState;
};

/**
 * What a rule can look at, one at a time. Rules judge subjects kind by kind
 * in the order of {@link DRIFT_SUBJECT_KINDS}, then in their list's order.
 *
 * @internal
 */
export type DriftSubjects = {
  instance: InstanceSubject;
  launchTemplate: LaunchTemplateSubject;
  autoscalingGroup: AutoScalingGroupSubject;
  entity: EntitySubject;
};

/** A kind of subject. @internal */
export type DriftSubjectKind = keyof DriftSubjects;

/** The order in which kinds of subject are judged. @internal */
export const DRIFT_SUBJECT_KINDS: readonly DriftSubjectKind[] = [
  'instance',
  'launchTemplate',
  'autoscalingGroup',
  'entity',
];

/** What a group of findings with one root cause is summarised from. @internal */
export type DriftGroupFacts = {
  /** How many instances share the root cause. */
  count: number;
  /** The root cause without the rule's prefix. */
  cause: string;
};

/**
 * One drift rule, as its file writes it. `evaluate` judges the kinds of
 * subject the rule is about and answers what it found (the hit), or
 * undefined; the other fields turn the hit into the finding's words. The
 * hit's type is what `evaluate` answers (`NoInfer` keeps the other fields
 * from deciding it).
 *
 * @internal
 */
export type DriftRuleSpec<Hit> = {
  id: DriftRule;
  /** The severity, or how a hit decides it. */
  severity: Severity | ((hit: NoInfer<Hit>) => Severity);
  /** The score checks a finding of this rule fails. */
  fails: ScoreCheckId[];
  /**
   * A rollout of the finding's environment makes such findings while it
   * runs (the old and the new version side by side, the launch template's
   * default moved only when it succeeds): the score counts them as the
   * rollout's progress until it ends.
   */
  madeByRollouts?: boolean;
  evaluate: {
    [K in DriftSubjectKind]?: (
      subject: DriftSubjects[K],
      context: DriftContext,
    ) => Hit | undefined;
  };
  /** A sentence a developer understands. */
  detail(hit: NoInfer<Hit>): string;
  /** Shared by every finding with the same problem. Starts with the rule id. */
  rootCause(hit: NoInfer<Hit>): string;
  fix(hit: NoInfer<Hit>): string;
  /** The summary of a root cause's group; the first finding's detail without it. */
  summary?(group: DriftGroupFacts): string;
};

/** The parts of a finding that a rule decides. @internal */
export type RuleFinding = Pick<
  DriftFinding,
  'rule' | 'severity' | 'rootCause' | 'detail' | 'fix'
>;

/**
 * A drift rule as the list holds it: its declarations, and how it judges one
 * subject.
 *
 * @internal
 */
export type DriftRuleDefinition = {
  id: DriftRule;
  /** The severity; undefined where each finding decides it. */
  severity?: Severity;
  fails: readonly ScoreCheckId[];
  /** Whether a running rollout of the finding's environment makes such findings. */
  madeByRollouts: boolean;
  /** The kinds of subject the rule judges. */
  subjects: readonly DriftSubjectKind[];
  judge<K extends DriftSubjectKind>(
    kind: K,
    subject: DriftSubjects[K],
    context: DriftContext,
  ): RuleFinding | undefined;
  summary?(group: DriftGroupFacts): string;
};

/**
 * Makes a rule's file into an entry of the rule list, keeping the type of its
 * hit inside the rule.
 *
 * @internal
 */
export function defineDriftRule<Hit>(
  spec: DriftRuleSpec<Hit>,
): DriftRuleDefinition {
  const { severity } = spec;
  return {
    id: spec.id,
    severity: typeof severity === 'string' ? severity : undefined,
    fails: spec.fails,
    madeByRollouts: spec.madeByRollouts ?? false,
    subjects: DRIFT_SUBJECT_KINDS.filter(kind => spec.evaluate[kind]),
    judge(kind, subject, context) {
      const evaluate = spec.evaluate[kind] as
        | ((s: typeof subject, c: DriftContext) => Hit | undefined)
        | undefined;
      const hit = evaluate?.(subject, context);
      if (hit === undefined) {
        return undefined;
      }
      return {
        rule: spec.id,
        severity: typeof severity === 'string' ? severity : severity(hit),
        rootCause: spec.rootCause(hit),
        detail: spec.detail(hit),
        fix: spec.fix(hit),
      };
    },
    summary: spec.summary?.bind(spec),
  };
}
