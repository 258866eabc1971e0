import { Timestamp, toIso } from '../database/timestamps';
import { AdoptionLevel, AdoptionSnapshot, SnapshotColumns } from './types';

/** A row of `adoption_snapshots`, as written and as read. @internal */
export type SnapshotRow = Omit<SnapshotColumns, 'enrolled' | 'level'> & {
  /** SQLite answers 0 or 1. */
  enrolled: boolean | number;
  level: string | null;
  passing_checks: string | null;
  taken_at: Timestamp;
};

const orNull = <T>(value: T | undefined): T | null => value ?? null;

/** A snapshot's columns, as the figures read them. @internal */
export function columnsOf(s: AdoptionSnapshot): SnapshotColumns {
  return {
    day: s.day,
    entity_ref: s.entityRef,
    enrolled: s.enrolled,
    owner: orNull(s.owner),
    system: orNull(s.system),
    domain: orNull(s.domain),
    type: orNull(s.type),
    lifecycle: orNull(s.lifecycle),
    level: orNull(s.level),
    score: orNull(s.score),
    findings_critical: s.findings.critical,
    findings_high: s.findings.high,
    findings_medium: s.findings.medium,
    findings_low: s.findings.low,
    instances: s.instances,
    instances_on_channel: s.instancesOnChannel,
    image_age_days: orNull(s.imageAgeDays),
    image_age_policy_days: orNull(s.imageAgePolicyDays),
    rollouts_succeeded: s.rollouts.succeeded,
    rollouts_failed: s.rollouts.failed,
    rollouts_aborted: s.rollouts.aborted,
    drift_lifetime_p50_minutes: orNull(s.drift.lifetimeP50Minutes),
    drift_lifetime_p95_minutes: orNull(s.drift.lifetimeP95Minutes),
    findings_gone: s.drift.gone,
    findings_erased_automatically: s.drift.erasedAutomatically,
  };
}

/** The row a snapshot is stored as. @internal */
export function toRow(s: AdoptionSnapshot): SnapshotRow {
  return {
    ...columnsOf(s),
    passing_checks: JSON.stringify(s.passingChecks),
    taken_at: s.takenAt,
  };
}

const orUndefined = <T>(value: T | null): T | undefined =>
  value === null ? undefined : value;

/** The snapshot a row holds. @internal */
export function fromRow(r: SnapshotRow): AdoptionSnapshot {
  return {
    day: r.day,
    entityRef: r.entity_ref,
    owner: orUndefined(r.owner),
    system: orUndefined(r.system),
    domain: orUndefined(r.domain),
    type: orUndefined(r.type),
    lifecycle: orUndefined(r.lifecycle),
    enrolled: Boolean(r.enrolled),
    level: orUndefined(r.level) as AdoptionLevel | undefined,
    score: orUndefined(r.score),
    passingChecks: r.passing_checks ? JSON.parse(r.passing_checks) : [],
    findings: {
      critical: r.findings_critical,
      high: r.findings_high,
      medium: r.findings_medium,
      low: r.findings_low,
    },
    instances: r.instances,
    instancesOnChannel: r.instances_on_channel,
    imageAgeDays: orUndefined(r.image_age_days),
    imageAgePolicyDays: orUndefined(r.image_age_policy_days),
    rollouts: {
      succeeded: r.rollouts_succeeded,
      failed: r.rollouts_failed,
      aborted: r.rollouts_aborted,
    },
    drift: {
      lifetimeP50Minutes: orUndefined(r.drift_lifetime_p50_minutes),
      lifetimeP95Minutes: orUndefined(r.drift_lifetime_p95_minutes),
      gone: r.findings_gone,
      erasedAutomatically: r.findings_erased_automatically,
    },
    takenAt: toIso(r.taken_at),
  };
}
