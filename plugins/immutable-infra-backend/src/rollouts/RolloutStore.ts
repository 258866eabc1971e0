import { ConflictError } from '@backstage/errors';
import {
  Rollout,
  RolloutFleetStatus,
  RolloutPage,
  RolloutState,
} from '@immutable-infra/backstage-plugin-common';
import { AuditEventInput } from '../audit/AuditLog';
import { RolloutPlan } from './plan';

/** What a rollout's plan row holds besides the plan. @internal */
export type StoredPlan = RolloutPlan & {
  /** The tags that find the entity's standalone instances. */
  selector: { key: string; value: string }[];
  environmentTag: string;
  account?: string;
  /** Set before a blue-green switch takes the old instances out of their target groups. */
  switched?: boolean;
  /**
   * Whether this attempt's fleets are prepared (template version made,
   * groups pointed at it, tagged). Clean-up puts them back and clears it:
   * a retry, even resumed from a pause before it started, prepares again.
   */
  prepared?: boolean;
  /** Bumped by each retry: a retry's launches carry new client tokens. */
  attempt?: number;
  /** What the engine keeps per fleet key while it runs. */
  runtime?: Record<string, FleetRuntime>;
};

/**
 * What the engine keeps of one fleet between ticks.
 *
 * @internal
 */
export type FleetRuntime = {
  /**
   * The desired capacity this rollout added to an Auto Scaling group and
   * has not retired yet: what the group itself wants is its desired
   * capacity less this.
   */
  surge: number;
  /**
   * A change of the group's desired capacity recorded before it was asked:
   * the next observation tells whether it happened (the desired capacity is
   * `to`), did not (`from`), or cannot tell (a scaling policy moved it too,
   * taken as the reading that keeps the larger capacity).
   */
  pending?: { from: number; to: number };
  /** The capacity the fleet wanted at the last tick, to tell when its own scaling moved it. */
  wanted?: number;
  /**
   * When the rollout last asked for launches (recorded before it asked): a
   * clean-up waits until they can be seen, since EC2's and Auto Scaling's
   * reads lag launches.
   */
  launchedAt?: string;
  /** The subnets standalone launches go to in turn (the fleet's own, first seen). */
  subnets?: string[];
  /** Bumped when a launch's client token answered instances that terminated since. */
  launchGeneration?: number;
  /** The group's sizes when the rollout prepared it, read from AWS: put back at the end. */
  original?: { minSize: number; maxSize: number };
};

/** A rollout as the engine works on it. @internal */
export type RolloutRecord = Omit<
  Rollout,
  | 'fleets'
  | 'steps'
  | 'progressDeadlineMs'
  | 'events'
  | 'awaitingPromotion'
  | 'alarms'
> & {
  plan: StoredPlan;
  promoted: boolean;
  revision: number;
  /** Whether the rollout still holds its entity and environment. */
  active: boolean;
  /** Ticks in a row whose cloud calls failed (the engine pauses at a few). */
  failedAttempts: number;
};

/** A rollout as it is created: what the store sets left out. @internal */
/** A rollout that ended, as delivery metrics count it. */
export type FinishedRollout = {
  id: string;
  entityRef: string;
  environment: string;
  /** The version rolled out, `<family>@<n>`. */
  toVersion: string;
  state: 'succeeded' | 'failed' | 'aborted';
  createdAt: string;
  finishedAt: string;
};

export type NewRollout = Omit<
  RolloutRecord,
  | 'revision'
  | 'active'
  | 'status'
  | 'createdAt'
  | 'updatedAt'
  | 'failedAttempts'
>;

/** A change of a rollout, applied if nobody changed it since `revision`. @internal */
export type RolloutChange = {
  state?: RolloutState;
  currentStep?: number;
  stepStartedAt?: string | null;
  promoted?: boolean;
  reason?: string | null;
  plan?: StoredPlan;
  status?: RolloutFleetStatus[];
  failedAttempts?: number;
  /** Frees the entity and environment for the next rollout. */
  release?: boolean;
  /** Takes them again (a retry). */
  reacquire?: boolean;
  events?: { kind: string; message: string; actor?: string }[];
  steps?: { step: number; fleet: string; action: string; detail?: object }[];
  audit?: AuditEventInput[];
  /**
   * Points a channel at a version in the same transaction: the change is
   * made with it or not at all. A version no longer usable (revoked,
   * pruned) throws {@link ChannelRefusedError} and nothing is written.
   */
  channel?: {
    family: string;
    channel: string;
    version: number;
    actor: string;
    reason: string;
  };
};

/**
 * A channel move refused inside a rollout's change: the version is no
 * longer usable. Nothing of the change was written.
 *
 * @internal
 */
export class ChannelRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChannelRefusedError';
  }
}

/**
 * Persistence of rollouts, their steps and timeline. Every change goes
 * through one transaction with its events and audit rows, and only if the
 * rollout is still at the revision the writer read.
 *
 * @internal
 */
export interface RolloutStore {
  /** Inserts a rollout; throws ConflictError naming the active one of the same entity and environment. */
  create(options: {
    rollout: NewRollout;
    events: { kind: string; message: string; actor?: string }[];
    audit: AuditEventInput[];
  }): Promise<RolloutRecord>;

  get(id: string): Promise<RolloutRecord | undefined>;

  /** The rollout with its timeline, as the API answers it. */
  getView(id: string): Promise<Rollout | undefined>;

  /** The active rollout of an entity and environment, if any. */
  findActive(
    entityRef: string,
    environment: string,
  ): Promise<RolloutRecord | undefined>;

  /** An entity's rollouts, newest first. */
  listByEntity(options: {
    entityRef: string;
    cursor?: string;
    limit: number;
  }): Promise<RolloutPage>;

  /**
   * Rollouts that still hold their entity and environment: the engine's
   * work, or one entity's.
   */
  listActive(entityRef?: string): Promise<RolloutRecord[]>;

  /**
   * Rollouts that ended (succeeded, failed, aborted) since `since`, oldest
   * first: what delivery metrics count. A retried rollout counts by its
   * state now.
   */
  listFinished(options: { since: string }): Promise<FinishedRollout[]>;

  /**
   * Applies a change; false when the rollout moved on since `revision`, or
   * is not at the step `expected` names (checked in the same transaction).
   */
  update(
    id: string,
    revision: number,
    change: RolloutChange,
    expected?: { currentStep?: number },
  ): Promise<boolean>;

  /**
   * Counts the engine's failed ticks of a rollout, whatever its revision:
   * bookkeeping beside the rollout's state, which it does not change.
   */
  setFailedAttempts(id: string, failedAttempts: number): Promise<void>;
}

/**
 * A rollout as it is once a change applied at `at`: what the store writes,
 * for a writer that goes on without reading it again.
 *
 * @internal
 */
export function applyChange(
  rollout: RolloutRecord,
  change: RolloutChange,
  at: string,
): RolloutRecord {
  const next: RolloutRecord = {
    ...rollout,
    revision: rollout.revision + 1,
    updatedAt: at,
  };
  if (change.state !== undefined) next.state = change.state;
  if (change.currentStep !== undefined) next.currentStep = change.currentStep;
  if (change.stepStartedAt !== undefined)
    next.stepStartedAt = change.stepStartedAt ?? undefined;
  if (change.promoted !== undefined) next.promoted = change.promoted;
  if (change.reason !== undefined) next.reason = change.reason ?? undefined;
  if (change.plan !== undefined) next.plan = change.plan;
  if (change.status !== undefined) next.status = change.status;
  if (change.failedAttempts !== undefined)
    next.failedAttempts = change.failedAttempts;
  if (change.release) next.active = false;
  if (change.reacquire) next.active = true;
  return next;
}

/** The rollout as the API answers it, without its timeline. @internal */
export function viewOf(record: RolloutRecord): Omit<Rollout, 'events'> {
  const {
    plan,
    promoted: _promoted,
    revision: _revision,
    active: _active,
    failedAttempts: _failedAttempts,
    ...rest
  } = record;
  const step = plan.steps[record.currentStep];
  return {
    ...rest,
    fleets: plan.fleets,
    steps: plan.steps,
    progressDeadlineMs: plan.progressDeadlineMs,
    alarms: plan.alarms ?? [],
    ...(plan.probe ? { probe: plan.probe } : {}),
    ...(plan.notes?.length ? { notes: plan.notes } : {}),
    awaitingPromotion:
      record.state === 'running' &&
      step?.kind === 'pause' &&
      step.durationMs === undefined &&
      !record.promoted,
  };
}

/**
 * The answer to a start, or a plan, while another rollout holds the entity
 * and environment: it names that rollout, its state and its version.
 *
 * @internal
 */
export function activeRolloutConflict(
  entityRef: string,
  environment: string,
  active: RolloutRecord | undefined,
): ConflictError {
  return new ConflictError(
    `${entityRef} already has an active rollout in ${environment}: ${
      active
        ? `${active.id} (${active.state}, to ${active.toVersion})`
        : 'another one'
    }; abort it or wait for it to end`,
  );
}
