import {
  ImmutableInfraAnnotations,
  RolloutFleet,
  RolloutPlanStep,
  RolloutSpec,
  RolloutStrategyName,
} from '@immutable-infra/backstage-plugin-common';

/** A step as a strategy plans it; the plan numbers them. @internal */
export type PlannedStep = Omit<RolloutPlanStep, 'index'>;

/**
 * What a strategy plans its steps from: the fleets the shared planning
 * made (capacity, surge, minimum healthy, target groups and their
 * deregistration delay), the request's spec and the entity's annotations.
 *
 * @internal
 */
export type StrategyContext = {
  environment: string;
  spec?: RolloutSpec;
  annotations: ImmutableInfraAnnotations;
  fleets: RolloutFleet[];
  /** Stops the plan: a sentence naming what to fix. */
  refuse(problem: string): void;
  /** Tells the person starting it something the plan does: a sentence. */
  note(text: string): void;
  /**
   * An analysis step's duration and alarms (the entity's `rollout-alarms`
   * when it names none); refuses one that would watch nothing.
   */
  analysis(
    duration: string,
    alarms?: string[],
  ): { durationMs?: number; alarms: string[] };
};

/**
 * One way of rolling out, as argo-rollouts has `canary.go` and
 * `bluegreen.go`: how it picks its version, its steps and its refusals.
 * The registry (`strategies/index.ts`) lists them by name.
 *
 * @internal
 */
export type RolloutStrategy = {
  name: RolloutStrategyName;
  /**
   * The version it goes to when the request names none: the
   * environment's channel version, or (`previous`) the one the
   * environment ran before its last successful rollout.
   */
  pickVersion(versions: {
    channel?: number;
    previous(): Promise<number>;
  }): Promise<number | undefined>;
  /** Extra capacity per fleet, in percent, whatever the spec says (blue-green: all of it). */
  surgePercent?: number;
  /** Whether it watches the entity's alarms on every tick (a rollback runs to escape them). */
  watchesAlarms: boolean;
  /** Whether it replaces only the instances with drift findings. */
  replacesOnlyDrifted?: boolean;
  /**
   * Whether its new instances are registered in the preview target groups
   * until the switch; the others ignore `preview-target-groups`.
   */
  usesPreviewTargetGroups?: boolean;
  /** Its steps over the fleets; what cannot run is refused through the context. */
  steps(context: StrategyContext): PlannedStep[];
};
