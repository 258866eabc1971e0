import { z } from 'zod';

/**
 * The modes of a remediation policy: `off` (drift waits for a person),
 * `observe` (what would be replaced is recorded, nothing is replaced) and
 * `auto` (the named drift is replaced by an automatic rollout).
 *
 * @public
 */
export const REMEDIATION_MODES = ['off', 'observe', 'auto'] as const;

/** @public */
export type RemediationMode = (typeof REMEDIATION_MODES)[number];

/** Automatic rollouts an entity may start in a day when its policy does not say. @public */
export const DEFAULT_REMEDIATION_MAX_PER_DAY = 5;

/**
 * When automatic rollouts may start: days of the week (0 = Sunday), a
 * start and an end time (`HH:MM`; an end before the start runs past
 * midnight into the next day) in an IANA time zone.
 *
 * @public
 */
export const remediationWindowSchema = z.object({
  days: z.array(z.number().int().min(0).max(6)),
  start: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/),
  end: z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/),
  timeZone: z.string().max(100),
});

/** @public */
export type RemediationWindow = z.infer<typeof remediationWindowSchema>;

/**
 * A remediation policy as parsed from `immutable-infra.io/remediation` or
 * the organisation default `immutableInfra.remediation.policy`. `targets`
 * are rule ids or root causes; an `observe` policy without targets watches
 * every root cause that names instances.
 *
 * @public
 */
export const remediationPolicySchema = z.object({
  mode: z.enum(REMEDIATION_MODES),
  targets: z.array(z.string().max(300)),
  window: remediationWindowSchema.optional(),
  maxPerDay: z.number().int().positive(),
});

/** @public */
export type RemediationPolicy = z.infer<typeof remediationPolicySchema>;

/** The policy of an entity with no annotation and no organisation default. @public */
export const REMEDIATION_OFF: RemediationPolicy = {
  mode: 'off',
  targets: [],
  maxPerDay: DEFAULT_REMEDIATION_MAX_PER_DAY,
};

/**
 * Why automation stopped for a root cause: it came back after automatic
 * replacements, so a replacement cannot fix it, and where it likely comes
 * from.
 *
 * @public
 */
export const remediationStopSchema = z.object({
  at: z.string(),
  reason: z.string(),
  likelySource: z.string(),
  /** The automatic rollouts after which it came back. */
  rolloutIds: z.array(z.string()),
});

/** @public */
export type RemediationStop = z.infer<typeof remediationStopSchema>;

/** An automatic rollout of a root cause, as the Drift tab links it. @public */
export const remediationRolloutSchema = z.object({
  id: z.string(),
  environment: z.string(),
  state: z.string(),
  startedAt: z.string(),
});

/** @public */
export type RemediationRollout = z.infer<typeof remediationRolloutSchema>;

/**
 * What the remediation policy does with one drift group: `automatic`
 * (replaced by an automatic rollout, now or when it may start), `observe`
 * (recorded, not replaced), `manual` (the policy does not name it, or it
 * names no instance) or `stopped` (it came back after automatic
 * replacements: drift that replacement cannot fix).
 *
 * @public
 */
export const driftGroupRemediationSchema = z.object({
  mode: z.enum(['automatic', 'observe', 'manual', 'stopped']),
  /** Why an automatic replacement waits, when it does. */
  waiting: z.string().optional(),
  /** The latest automatic rollout of this root cause, in the last day. */
  rollout: remediationRolloutSchema.optional(),
  /** When observe mode last recorded it, and the instances it would replace. */
  observed: z
    .object({ at: z.string(), instanceIds: z.array(z.string()) })
    .optional(),
  stopped: remediationStopSchema.optional(),
});

/** @public */
export type DriftGroupRemediation = z.infer<typeof driftGroupRemediationSchema>;

/** The entity's remediation policy, as the drift answer gives it. @public */
export const driftRemediationSchema = z.object({
  policy: remediationPolicySchema,
  /** Where the policy comes from: the entity's annotation or the organisation default. */
  source: z.enum(['annotation', 'config']),
  /** The policy in a few words. */
  summary: z.string(),
  /** Whether its window is open now (absent without a window). */
  windowOpen: z.boolean().optional(),
  /** Automatic rollouts started in the last 24 hours. */
  startedToday: z.number(),
});

/** @public */
export type DriftRemediation = z.infer<typeof driftRemediationSchema>;
