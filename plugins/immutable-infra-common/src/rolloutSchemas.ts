import { z } from 'zod';
import { entityRefSchema } from './entityRefs';
import { uuidParam } from './lib/paramString';
import {
  MAX_IMAGE_VERSION,
  channelNameSchema,
  reasonSchema,
} from './registrySchemas';
import { boundedString } from './validation';

/**
 * States of a rollout: pending, then running (and paused and back), then
 * succeeded, failed or aborted; a retry starts an aborted or failed one
 * again.
 *
 * @public
 */
export const ROLLOUT_STATES = [
  'pending',
  'running',
  'paused',
  'succeeded',
  'failed',
  'aborted',
] as const;

/** @public */
export type RolloutState = (typeof ROLLOUT_STATES)[number];

/** States a rollout leaves only by `retry`. @public */
export const FINISHED_ROLLOUT_STATES: ReadonlyArray<RolloutState> = [
  'succeeded',
  'failed',
  'aborted',
];

/**
 * Strategies a rollout can follow: `canary` (weights, pauses, analyses),
 * `blueGreen` (full new capacity beside the old, then the switch),
 * `replaceDrifted` (only instances with drift findings, replaced by twins
 * from the channel image, in waves) and `rollback` (back to an earlier
 * version; `fast` skips pauses and analyses, never the gate).
 *
 * @public
 */
export const ROLLOUT_STRATEGIES = [
  'canary',
  'blueGreen',
  'replaceDrifted',
  'rollback',
] as const;

/** @public */
export type RolloutStrategyName = (typeof ROLLOUT_STRATEGIES)[number];

const DURATION_PATTERN = /^(\d{1,5})(s|m|h)$/;

/** @public */
export const ROLLOUT_DURATION_RULE =
  'must be a whole number of seconds, minutes or hours such as "30s", "5m" or "1h"';

/**
 * A duration of a rollout step in milliseconds, from `"30s"`, `"5m"` or
 * `"1h"`; undefined when the text is none of these.
 *
 * @public
 */
export function parseRolloutDuration(text: string): number | undefined {
  const match = DURATION_PATTERN.exec(text.trim());
  if (!match) {
    return undefined;
  }
  const unit = { s: 1_000, m: 60_000, h: 3_600_000 }[
    match[2] as 's' | 'm' | 'h'
  ];
  const ms = Number(match[1]) * unit;
  return ms > 0 ? ms : undefined;
}

const durationSchema = boundedString(8).refine(
  value => parseRolloutDuration(value) !== undefined,
  { message: ROLLOUT_DURATION_RULE },
);

/** A CloudWatch alarm a rollout watches: `name` or `region:name`. @public */
export const ROLLOUT_ALARM_PATTERN =
  /^([a-z]{2}(-[a-z]+)+-\d:)?[^\s:][^:]{0,254}$/;

/** @public */
export const ROLLOUT_ALARM_RULE =
  'must be a CloudWatch alarm name, optionally "region:name"';

/**
 * Splits an alarm reference into its region (undefined: every region of
 * the rollout's fleets) and its name.
 *
 * @public
 */
export function parseRolloutAlarm(ref: string): {
  region?: string;
  name: string;
} {
  const match = /^([a-z]{2}(?:-[a-z]+)+-\d):(.+)$/.exec(ref);
  return match ? { region: match[1], name: match[2] } : { name: ref };
}

const alarmsSchema = z
  .array(boundedString(300).regex(ROLLOUT_ALARM_PATTERN, ROLLOUT_ALARM_RULE))
  .min(1)
  .max(20);

/**
 * An analysis: the alarms (the entity's `rollout-alarms` when absent) must
 * stay out of ALARM for `duration` and be OK at its end.
 *
 * @public
 */
export const rolloutAnalysisSchema = z.strictObject({
  duration: durationSchema,
  alarms: alarmsSchema.optional(),
});

/** @public */
export type RolloutAnalysis = z.infer<typeof rolloutAnalysisSchema>;

const SET_WEIGHT_RULE = 'must be a whole number from 1 to 100';

const CANARY_STEP_RULE =
  'must be one of {setWeight: a whole number from 1 to 100}, {pause: {duration?}} or {analysis: {duration, alarms?}}';

/**
 * One step of a canary, in Argo Rollouts' vocabulary: `{ setWeight: 10 }`
 * puts 10% of the environment's capacity on the new version, `{ pause: {} }`
 * waits until promoted, `{ pause: { duration: "5m" } }` waits that long.
 *
 * @public
 */
export const canaryStepSchema = z.union(
  [
    z.strictObject({
      setWeight: z
        .number({ error: SET_WEIGHT_RULE })
        .int({ error: SET_WEIGHT_RULE })
        .min(1, { error: SET_WEIGHT_RULE })
        .max(100, { error: SET_WEIGHT_RULE }),
    }),
    z.strictObject({
      pause: z.strictObject({ duration: durationSchema.optional() }),
    }),
    z.strictObject({ analysis: rolloutAnalysisSchema }),
  ],
  { error: CANARY_STEP_RULE },
);

/** @public */
export type CanaryStep = z.infer<typeof canaryStepSchema>;

/** The canary of `immutable-infra.io/rollout-strategy` when none is given. @public */
export const DEFAULT_CANARY_STEPS: CanaryStep[] = [
  { setWeight: 10 },
  { pause: {} },
  { setWeight: 50 },
  { pause: {} },
  { setWeight: 100 },
];

/**
 * A canary's steps: at least one, at most 20, ending at 100% (a rollout
 * that ends elsewhere would leave two versions running).
 *
 * @public
 */
export const canaryStepsSchema = z
  .array(canaryStepSchema)
  .min(1)
  .max(20)
  .superRefine((steps, ctx) => {
    const weights = steps.flatMap(s => ('setWeight' in s ? [s.setWeight] : []));
    if (weights[weights.length - 1] !== 100) {
      ctx.addIssue({
        code: 'custom',
        message: 'the last setWeight must be 100',
      });
    }
    for (let i = 1; i < weights.length; i++) {
      if (weights[i] < weights[i - 1]) {
        ctx.addIssue({
          code: 'custom',
          message: 'setWeight must not go down from one step to the next',
        });
        break;
      }
    }
  });

/**
 * A blue-green rollout: the full new capacity beside the old (registered in
 * the preview target groups when the entity names them, so that it takes no
 * production traffic), the gate, an optional analysis, a promote (automatic
 * or by hand), the switch (the new instances join the target groups and the
 * old ones leave them), an optional bake (the alarms watched while the old
 * capacity is kept whole, ready to switch back) and post-promotion analysis,
 * then the old capacity is kept for `scaleDownDelay` (never shorter than the
 * target groups' deregistration delay) and terminated.
 *
 * @public
 */
export const blueGreenSchema = z.strictObject({
  autoPromote: z.boolean().default(false),
  prePromotionAnalysis: rolloutAnalysisSchema.optional(),
  bakeTime: durationSchema.optional(),
  postPromotionAnalysis: rolloutAnalysisSchema.optional(),
  scaleDownDelay: durationSchema.default('30s'),
});

/** @public */
export type BlueGreenOptions = z.input<typeof blueGreenSchema>;

/**
 * How a rollout replaces instances: its strategy and steps, how many extra
 * instances it may run at once (`maxSurge`, percent of each fleet's
 * capacity, at least one instance), the share of the capacity that must stay
 * healthy (`minHealthyPercent`, default 100: old instances go only after
 * their replacements pass), and how long a step may take.
 *
 * @public
 */
export const rolloutSpecSchema = z
  .strictObject({
    strategy: z.enum(ROLLOUT_STRATEGIES).default('canary'),
    /** The canary's steps (also a non-fast rollback's). */
    steps: canaryStepsSchema.optional(),
    blueGreen: blueGreenSchema.optional(),
    /** `replaceDrifted`: replace only the instances of this root cause (a Drift tab group). */
    rootCause: boundedString(300).optional(),
    /** `rollback`: skip pauses and analyses (never the gate or the minimum healthy). */
    fast: z.boolean().optional(),
    maxSurgePercent: z.number().int().min(1).max(100).optional(),
    minHealthyPercent: z.number().int().min(0).max(100).optional(),
    progressDeadline: durationSchema.optional(),
  })
  .superRefine((spec, ctx) => {
    const only = (
      field: 'steps' | 'blueGreen' | 'rootCause' | 'fast',
      strategies: RolloutStrategyName[],
    ) => {
      if (spec[field] !== undefined && !strategies.includes(spec.strategy)) {
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: `${field} applies to the ${strategies.join(
            ' or ',
          )} strategy, not ${spec.strategy}`,
        });
      }
    };
    only('steps', ['canary', 'rollback']);
    only('blueGreen', ['blueGreen']);
    only('rootCause', ['replaceDrifted']);
    only('fast', ['rollback']);
  });

/** @public */
export type RolloutSpec = z.infer<typeof rolloutSpecSchema>;

/** `POST /rollouts`. @public */
export const createRolloutRequestSchema = z.strictObject({
  entityRef: entityRefSchema,
  environment: channelNameSchema,
  /** A version number of the entity's family; the environment's channel version when absent. */
  version: z.number().int().min(1).max(MAX_IMAGE_VERSION).optional(),
  spec: rolloutSpecSchema.optional(),
  /** Answer the plan and change nothing. */
  dryRun: z.boolean().default(false),
  reason: reasonSchema.optional(),
});

/** @public */
export type CreateRolloutRequest = z.input<typeof createRolloutRequestSchema>;

/** `POST /rollouts/:id/{pause,resume,abort,retry}`. @public */
export const rolloutControlRequestSchema = z.strictObject({
  reason: reasonSchema.optional(),
});

/** @public */
export type RolloutControlRequest = z.input<typeof rolloutControlRequestSchema>;

const PROMOTE_STEP_RULE =
  'must be the index of a pause step: a whole number from 0';

/**
 * `POST /rollouts/:id/promote`: `step` is the pause step the promote ends
 * (the index the rollout's `currentStep` showed); the rollout's current
 * step when absent. A promote of any other step is refused.
 *
 * @public
 */
export const rolloutPromoteRequestSchema = z.strictObject({
  reason: reasonSchema.optional(),
  step: z
    .number({ error: PROMOTE_STEP_RULE })
    .int({ error: PROMOTE_STEP_RULE })
    .min(0, { error: PROMOTE_STEP_RULE })
    .optional(),
});

/** @public */
export type RolloutPromoteRequest = z.input<typeof rolloutPromoteRequestSchema>;

/** The control actions of a rollout. @public */
export const ROLLOUT_ACTIONS = [
  'pause',
  'resume',
  'promote',
  'abort',
  'retry',
] as const;

/** @public */
export type RolloutAction = (typeof ROLLOUT_ACTIONS)[number];

/** A rollout id in a path: the UUID `POST /rollouts` answered. @public */
export const rolloutPathParamsSchema = z.object({
  id: uuidParam('rollout id', 'POST /rollouts'),
});

/** One fleet a rollout replaces: an Auto Scaling group or standalone instances. @public */
export const rolloutFleetSchema = z.object({
  key: z.string(),
  kind: z.enum(['autoscaling-group', 'instances']),
  region: z.string(),
  name: z.string(),
  /** Instances in service when the rollout was planned: the capacity to keep. */
  capacity: z.number(),
  /** The AMI the fleet moves to in its region. */
  targetImageId: z.string(),
  /** Instances running before, to be replaced. */
  oldInstanceIds: z.array(z.string()),
  targetGroupArns: z.array(z.string()),
  /**
   * Blue-green: the target groups where the new instances are registered
   * and gated until the switch (`immutable-infra.io/preview-target-groups`).
   */
  previewTargetGroupArns: z.array(z.string()).optional(),
  /**
   * The longest deregistration delay of the fleet's target groups, read
   * from AWS when planned: how long a deregistered instance keeps draining
   * its connections before it may be terminated.
   */
  deregistrationDelayMs: z.number().optional(),
  /** The launch template and the version the fleet launched before. */
  launchTemplate: z
    .object({ id: z.string(), name: z.string(), version: z.number() })
    .optional(),
  /** The group's maximum size before the rollout raised it for the surge. */
  maxSize: z.number().optional(),
  /** The group's minimum size before the rollout lowered it to what must stay healthy. */
  minSize: z.number().optional(),
  /**
   * Whether the group protected new instances from scale-in before the
   * rollout did (it protects what it launches, so that lowering the desired
   * capacity retires old instances only); put back when it ends.
   */
  newInstancesProtected: z.boolean().optional(),
  /** Set once the rollout made the template version of the new AMI. */
  newTemplateVersion: z.number().optional(),
  /**
   * Only `oldInstanceIds` are replaced (replace-drifted): the fleet's other
   * instances stay, whatever AMI they run.
   */
  replaceOnly: z.boolean().optional(),
  /** Data volumes (non-root EBS) attached to each old instance, listed before it goes. */
  dataVolumes: z.record(z.string(), z.array(z.string())).optional(),
  /** Extra instances the fleet may run at once. */
  maxSurge: z.number(),
  /** Instances that must stay healthy. */
  minHealthy: z.number(),
});

/** @public */
export type RolloutFleet = z.infer<typeof rolloutFleetSchema>;

/** A planned step with the new instances each fleet needs by its end. @public */
export const rolloutPlanStepSchema = z.object({
  index: z.number(),
  /**
   * `setWeight` replaces up to a share, `pause` waits (for a promote when it
   * has no duration), `analysis` watches alarms, `switch` moves the target
   * groups from the old instances to the new, `bake` watches alarms for its
   * duration after the switch with the old instances kept whole.
   */
  kind: z.enum(['setWeight', 'pause', 'analysis', 'switch', 'bake']),
  weight: z.number().optional(),
  durationMs: z.number().optional(),
  /** A setWeight that launches beside the old instances and terminates none (blue-green). */
  keepOld: z.boolean().optional(),
  /** The alarms an analysis watches. */
  alarms: z.array(z.string()).optional(),
  /** New instances per fleet key at the end of the step. */
  targets: z.record(z.string(), z.number()),
});

/** @public */
export type RolloutPlanStep = z.infer<typeof rolloutPlanStepSchema>;

/** @public */
export const rolloutEventSchema = z.object({
  id: z.string(),
  at: z.string(),
  kind: z.string(),
  message: z.string(),
  actor: z.string().optional(),
});

/** @public */
export type RolloutEvent = z.infer<typeof rolloutEventSchema>;

/**
 * What holds one instance of a fleet at the gate, as AWS reported it: its
 * EC2 state, its EC2 status checks (`DescribeInstanceStatus`), its health
 * in a target group (`DescribeTargetHealth`: state, reason code and
 * description), the rollout's HTTP probe, or, for an old instance, that it
 * serves nothing.
 *
 * @public
 */
export const rolloutGateHoldSchema = z.object({
  check: z.enum([
    'instance-state',
    'status-checks',
    'target-health',
    'not-registered',
    'probe',
    'old-instance',
  ]),
  /** The EC2 instance state (`pending`, `stopped`, …). */
  instanceState: z.string().optional(),
  /** The EC2 instance status check (`ok`, `initializing`, `impaired`, …); absent while EC2 reports none. */
  instanceStatus: z.string().optional(),
  /** The EC2 system status check. */
  systemStatus: z.string().optional(),
  /** The target group's name. */
  targetGroup: z.string().optional(),
  /** The target's health state (`initial`, `unhealthy`, `draining`, `unused`, …). */
  targetState: z.string().optional(),
  /** The target health reason code (`Target.Timeout`, `Elb.InitialHealthChecking`, …). */
  reason: z.string().optional(),
  /** TargetHealth's Description, or the probe's answer, as it was given. */
  description: z.string().optional(),
});

/** @public */
export type RolloutGateHold = z.infer<typeof rolloutGateHoldSchema>;

/**
 * A scaling activity of an Auto Scaling group (`DescribeScalingActivities`),
 * in AWS's words.
 *
 * @public
 */
export const rolloutScalingActivitySchema = z.object({
  /** StatusMessage: why it failed. */
  statusMessage: z.string().optional(),
  /** Cause: what started it (a policy, a scheduled action, a request). */
  cause: z.string().optional(),
  description: z.string().optional(),
  startTime: z.string().optional(),
});

/** @public */
export type RolloutScalingActivity = z.infer<
  typeof rolloutScalingActivitySchema
>;

/**
 * A CloudWatch alarm of the rollout as it was read when it held the
 * rollout, with its StateReason.
 *
 * @public
 */
export const rolloutAlarmStateSchema = z.object({
  alarm: z.string(),
  region: z.string(),
  /** `ALARM` or `INSUFFICIENT_DATA`. */
  state: z.string(),
  reason: z.string().optional(),
});

/** @public */
export type RolloutAlarmState = z.infer<typeof rolloutAlarmStateSchema>;

/** Where one fleet stands, as the engine last observed it. @public */
export const rolloutFleetStatusSchema = z.object({
  key: z.string(),
  newInstances: z.number(),
  healthyNewInstances: z.number(),
  oldInstances: z.number(),
  /**
   * What holds the step, by instance: new instances not through the gate
   * yet, old ones that serve nothing (stopped).
   */
  waiting: z.record(z.string(), z.string()),
  /**
   * Old instances still in service in an Auto Scaling group whose desired
   * capacity was lowered: the group has not scaled in yet.
   */
  scalingIn: z.number().optional(),
  /**
   * The capacity the fleet wants now: for an Auto Scaling group its desired
   * capacity less what the rollout added (a scaling policy may have moved
   * it since the plan), for standalone instances the planned capacity.
   */
  capacity: z.number().optional(),
  /** The group's last failed scaling activity, in AWS's words. */
  activity: z.string().optional(),
  /**
   * What holds each instance of `waiting`, as AWS reported it (absent in
   * statuses written before it was kept).
   */
  gate: z.record(z.string(), rolloutGateHoldSchema).optional(),
  /** The group's last failed scaling activity: StatusMessage, Cause, Description. */
  failedActivity: rolloutScalingActivitySchema.optional(),
  /**
   * The group's own scaling (a scaling policy or a scheduled action) that
   * moved its capacity during the rollout, its activity's Cause in AWS's
   * words.
   */
  scaledBy: rolloutScalingActivitySchema.optional(),
  /** The alarms that held the rollout in the fleet's region, not OK. */
  alarms: z.array(rolloutAlarmStateSchema).optional(),
});

/** @public */
export type RolloutFleetStatus = z.infer<typeof rolloutFleetStatusSchema>;

/** A rollout as the API answers it. @public */
export const rolloutSchema = z.object({
  id: z.string(),
  entityRef: z.string(),
  environment: z.string(),
  family: z.string(),
  fromVersion: z.string().optional(),
  toVersion: z.string(),
  /** Whether success moves the environment's channel to `toVersion`. */
  movesChannel: z.boolean(),
  strategy: z.enum(ROLLOUT_STRATEGIES),
  state: z.enum(ROLLOUT_STATES),
  currentStep: z.number(),
  stepStartedAt: z.string().optional(),
  /** Whether the current step waits for a promote. */
  awaitingPromotion: z.boolean(),
  reason: z.string().optional(),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  fleets: z.array(rolloutFleetSchema),
  steps: z.array(rolloutPlanStepSchema),
  status: z.array(rolloutFleetStatusSchema),
  progressDeadlineMs: z.number(),
  /** Alarms watched on every tick: one in ALARM aborts the rollout. */
  alarms: z.array(z.string()),
  /**
   * The HTTP probe of the gate (`immutable-infra.io/rollout-probe`): a URL
   * with instance placeholders every new instance must answer with a 2xx.
   */
  probe: z.string().optional(),
  /**
   * What the plan wants a person to know before it starts, in a sentence
   * each: a blue-green whose new instances serve production traffic before
   * the switch (no preview target group), a scale-down delay raised to the
   * target groups' deregistration delay.
   */
  notes: z.array(z.string()).optional(),
  events: z.array(rolloutEventSchema),
});

/** @public */
export type Rollout = z.infer<typeof rolloutSchema>;

/** `POST /rollouts`: the rollout started, or with `dryRun` its plan. @public */
export const createRolloutResponseSchema = z.object({
  rollout: rolloutSchema,
  dryRun: z.boolean(),
});

/** @public */
export type CreateRolloutResponse = z.infer<typeof createRolloutResponseSchema>;

/** @public */
export const rolloutPageSchema = z.object({
  items: z.array(rolloutSchema.omit({ events: true })),
  nextCursor: z.string().optional(),
});

/** @public */
export type RolloutPage = z.infer<typeof rolloutPageSchema>;

/**
 * Reads `immutable-infra.io/rollout-strategy`: `canary` (the default
 * steps), `canary:10,pause,50,analysis=5m,pause=5m,100` (weights, pauses
 * and analyses of the entity's alarms, in order), `blueGreen` (promoted by
 * hand) or `blueGreen:auto`. Throws an error whose message says what is
 * expected.
 *
 * @public
 */
export function parseRolloutStrategyAnnotation(value: string): {
  strategy: 'canary' | 'blueGreen';
  steps?: CanaryStep[];
  blueGreen?: BlueGreenOptions;
} {
  const text = value.trim();
  const [name, rest] = text.split(/:(.*)/s);
  if (name === 'blueGreen' && (rest === undefined || rest === 'auto')) {
    return { strategy: 'blueGreen', blueGreen: { autoPromote: !!rest } };
  }
  if (name !== 'canary') {
    throw new Error(
      'must be "canary", "canary:" followed by weights, pauses and analyses such as "canary:10,pause,50,analysis=5m,100", "blueGreen" or "blueGreen:auto"',
    );
  }
  if (!rest) {
    return { strategy: 'canary', steps: DEFAULT_CANARY_STEPS };
  }
  const steps: CanaryStep[] = rest.split(',').map(part => {
    const token = part.trim();
    if (token === 'pause') {
      return { pause: {} };
    }
    if (token.startsWith('pause=')) {
      return { pause: { duration: token.slice('pause='.length) } };
    }
    if (token.startsWith('analysis=')) {
      return { analysis: { duration: token.slice('analysis='.length) } };
    }
    return { setWeight: /^\d{1,3}$/.test(token) ? Number(token) : NaN };
  });
  const parsed = canaryStepsSchema.safeParse(steps);
  if (!parsed.success) {
    throw new Error(
      `has steps that cannot run (${parsed.error.issues
        .map(i => i.message)
        .join(
          '; ',
        )}): write weights from 1 to 100 ending at 100, "pause", "pause=5m" or "analysis=5m"`,
    );
  }
  return { strategy: 'canary', steps: parsed.data };
}
