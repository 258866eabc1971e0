import { z } from 'zod';
import { entityRefSchema } from './entityRefs';
import { uuidParam } from './lib/paramString';
import { boundedString, freeText, lineOfText } from './validation';

/** The levels of the immutability score, best first. @public */
export const ADOPTION_LEVELS = ['gold', 'silver', 'bronze', 'none'] as const;

/** What the adoption roll-ups group by. @public */
export const ADOPTION_GROUPINGS = ['owner', 'system', 'domain'] as const;

/** How the adoption view's services can be sorted. @public */
export const ADOPTION_SORTS = [
  'entityRef',
  'owner',
  'level',
  'score',
  'imageAgeDays',
  'criticalFindings',
] as const;

/** A query value given once or repeated (`?owner=a&owner=b`), or comma-separated. */
function listOf<T extends z.ZodType<unknown, string>>(item: T, max: number) {
  return z
    .union([boundedString(4096), z.array(boundedString(4096)).max(max)], {
      error:
        'must be text: one value, values separated by commas, or the parameter repeated',
    })
    .transform(value =>
      (Array.isArray(value) ? value : [value])
        .flatMap(v => v.split(','))
        .map(v => v.trim())
        .filter(v => v !== ''),
    )
    .pipe(z.array(item).max(max));
}

/**
 * The filters of an adoption view, as query parameters: owners (a group
 * covers the groups below it), systems, domains, lifecycles, types, levels,
 * enrolled or not.
 *
 * @public
 */
export const adoptionFilterQuerySchema = z.strictObject({
  owner: listOf(entityRefSchema, 50).optional(),
  system: listOf(entityRefSchema, 50).optional(),
  domain: listOf(entityRefSchema, 50).optional(),
  lifecycle: listOf(boundedString(64), 20).optional(),
  type: listOf(boundedString(64), 20).optional(),
  level: listOf(z.enum(ADOPTION_LEVELS), 4).optional(),
  enrolled: z.enum(['true', 'false']).optional(),
});

/** @public */
export type AdoptionFilterQuery = z.infer<typeof adoptionFilterQuerySchema>;

/** `GET /adoption`: the filters, the grouping, and a page of services. @public */
export const adoptionQuerySchema = adoptionFilterQuerySchema.extend({
  groupBy: z.enum(ADOPTION_GROUPINGS).default('owner'),
  sort: z.enum(ADOPTION_SORTS).default('entityRef'),
  order: z.enum(['asc', 'desc']).default('asc'),
  cursor: boundedString(15)
    .regex(/^\d{1,15}$/, 'must be a nextCursor from a previous page')
    .optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

/** @public */
export type AdoptionQuery = z.infer<typeof adoptionQuerySchema>;

/** `GET /adoption/history`: the filters and how many days back. @public */
export const adoptionHistoryQuerySchema = adoptionFilterQuerySchema.extend({
  days: z.coerce.number().int().min(1).max(400).default(90),
});

/** @public */
export type AdoptionHistoryQuery = z.infer<typeof adoptionHistoryQuerySchema>;

const levelCountsSchema = z.object({
  gold: z.number(),
  silver: z.number(),
  bronze: z.number(),
  none: z.number(),
});

/** The figures of a set of components. @public */
export const adoptionFiguresSchema = z.object({
  services: z.number(),
  enrolled: z.number(),
  levels: levelCountsSchema,
  instances: z.number(),
  instancesOnChannel: z.number(),
  onChannelShare: z.number().optional(),
  criticalFindings: z.number(),
  imageAgeMedianDays: z.number().optional(),
  imageAgeP95Days: z.number().optional(),
  withinPolicyShare: z.number().optional(),
  /**
   * Drift lifetime: across components with findings gone in the 30 days
   * before, the median of each one's median life of a finding, in minutes.
   */
  driftLifetimeP50Minutes: z.number().optional(),
  /** The p95 across those components of each one's p95 life, in minutes. */
  driftLifetimeP95Minutes: z.number().optional(),
  /**
   * Of the findings gone in the 30 days before, the share whose instance
   * was replaced by an automatic rollout (the remediation policy's).
   */
  erasedAutomaticallyShare: z.number().optional(),
  rollouts: z.object({
    succeeded: z.number(),
    failed: z.number(),
    aborted: z.number(),
  }),
});

/** @public */
export type AdoptionFigures = z.infer<typeof adoptionFiguresSchema>;

/** One row of a roll-up by owner, system or domain. @public */
export const adoptionGroupSchema = z.object({
  key: z.string(),
  parent: z.string().optional(),
  depth: z.number().optional(),
  directServices: z.number(),
  figures: adoptionFiguresSchema,
});

/** @public */
export type AdoptionGroup = z.infer<typeof adoptionGroupSchema>;

/** One component of the view. @public */
export const adoptionServiceSchema = z.object({
  entityRef: z.string(),
  owner: z.string().optional(),
  system: z.string().optional(),
  domain: z.string().optional(),
  type: z.string().optional(),
  lifecycle: z.string().optional(),
  enrolled: z.boolean(),
  level: z.enum(ADOPTION_LEVELS).optional(),
  score: z.number().optional(),
  passingChecks: z.array(z.string()),
  criticalFindings: z.number(),
  instances: z.number(),
  instancesOnChannel: z.number(),
  imageAgeDays: z.number().optional(),
  imageAgePolicyDays: z.number().optional(),
  /** Median life of its findings gone in the 30 days before, in minutes. */
  driftLifetimeP50Minutes: z.number().optional(),
  driftLifetimeP95Minutes: z.number().optional(),
  /** Its findings gone in the 30 days before. */
  findingsGone: z.number().optional(),
  /** Of those, replaced by an automatic rollout. */
  findingsErasedAutomatically: z.number().optional(),
});

/** @public */
export type AdoptionService = z.infer<typeof adoptionServiceSchema>;

/** Delivery over a window, from the rollouts and images the plugin records. @public */
export const deliveryMetricsSchema = z.object({
  windowDays: z.number(),
  /** Successful rollouts per enrolled service per week. */
  deploymentsPerServicePerWeek: z.number().optional(),
  succeeded: z.number(),
  failed: z.number(),
  aborted: z.number(),
  /** (failed + aborted) / finished. */
  failureRate: z.number().optional(),
  abortRate: z.number().optional(),
  /** Image build to the success of its production rollout. */
  leadTimeMedianHours: z.number().optional(),
  leadTimeP95Hours: z.number().optional(),
  productionRollouts: z.number(),
  /** Revoked versions no instance of a service runs any more, in the window. */
  revokedReplaced: z.number(),
  /** Revoked versions some instance of a service still runs. */
  revokedStillRunning: z.number(),
  /** Revocation until no instance of the service runs the version. */
  revokedReplaceMedianHours: z.number().optional(),
  revokedReplaceMaxHours: z.number().optional(),
});

/** @public */
export type DeliveryMetrics = z.infer<typeof deliveryMetricsSchema>;

/** `GET /adoption`. @public */
export const adoptionResponseSchema = z.object({
  /** The day of the snapshots (UTC); absent before the first one. */
  day: z.string().optional(),
  takenAt: z.string().optional(),
  figures: adoptionFiguresSchema,
  byType: z.array(
    z.object({ type: z.string(), services: z.number(), enrolled: z.number() }),
  ),
  byLifecycle: z.array(
    z.object({
      lifecycle: z.string(),
      services: z.number(),
      enrolled: z.number(),
    }),
  ),
  groupBy: z.enum(ADOPTION_GROUPINGS),
  groups: z.array(adoptionGroupSchema),
  services: z.object({
    items: z.array(adoptionServiceSchema),
    total: z.number(),
    nextCursor: z.string().optional(),
  }),
  delivery: deliveryMetricsSchema,
});

/** @public */
export type AdoptionResponse = z.infer<typeof adoptionResponseSchema>;

/** `GET /adoption/history`: one entry per day with snapshots. @public */
export const adoptionHistoryResponseSchema = z.object({
  days: z.array(
    adoptionFiguresSchema.extend({
      day: z.string(),
      /** Median lead time of that day's production rollouts. */
      leadTimeMedianHours: z.number().optional(),
      /** Median time to replace of the revoked versions replaced that day. */
      revokedReplaceMedianHours: z.number().optional(),
    }),
  ),
});

/** @public */
export type AdoptionHistoryResponse = z.infer<
  typeof adoptionHistoryResponseSchema
>;

/**
 * An adoption view as the client asks for it (and the dashboard keeps in
 * its URL): lists are sent comma-separated.
 *
 * @public
 */
export type AdoptionViewRequest = {
  owner?: string[];
  system?: string[];
  domain?: string[];
  lifecycle?: string[];
  type?: string[];
  level?: Array<(typeof ADOPTION_LEVELS)[number]>;
  enrolled?: boolean;
  groupBy?: (typeof ADOPTION_GROUPINGS)[number];
  sort?: (typeof ADOPTION_SORTS)[number];
  order?: 'asc' | 'desc';
  cursor?: string;
  limit?: number;
};

/** The query parameters of a view, empty ones left out. @public */
export function adoptionQueryParams(
  request: AdoptionViewRequest & { days?: number },
): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [key, value] of Object.entries(request)) {
    if (Array.isArray(value)) {
      if (value.length > 0) {
        params[key] = value.join(',');
      }
    } else if (value !== undefined && value !== '') {
      params[key] = String(value);
    }
  }
  return params;
}

/**
 * `POST /adoption/snapshots`: writes today's snapshot now, and with
 * `backfillDays` rebuilds that many days before it from the records.
 *
 * @public
 */
export const adoptionSnapshotRequestSchema = z
  .object({
    backfillDays: z.number().int().min(0).max(400).optional(),
  })
  .strict();

/** @public */
export type AdoptionSnapshotRequest = z.infer<
  typeof adoptionSnapshotRequestSchema
>;

/** @public */
export const adoptionSnapshotResponseSchema = z.object({
  day: z.string(),
  components: z.number(),
  enrolled: z.number(),
  backfilled: z.number(),
});

/** @public */
export type AdoptionSnapshotResponse = z.infer<
  typeof adoptionSnapshotResponseSchema
>;

/** The ids of the immutability score's checks, a goal an initiative can set. @public */
export const SCORE_CHECK_IDS = [
  'on-channel-image',
  'no-critical-findings',
  'pipeline-images',
  'image-age',
  'no-ssh',
  'logs-off-host',
  'rotation',
] as const;

const DAY_PATTERN = /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

/**
 * Whether a `YYYY-MM-DD` text names a day of the (proleptic Gregorian)
 * calendar: `2027-02-29` and `2027-04-31` do not.
 *
 * @public
 */
export function isCalendarDay(text: string): boolean {
  const match = DAY_PATTERN.exec(text);
  if (!match) {
    return false;
  }
  const [year, month, day] = match.slice(1).map(Number);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return day <= days[month - 1];
}

/** A calendar day, YYYY-MM-DD, that exists. */
const daySchema = boundedString(10)
  .regex(DAY_PATTERN, { message: 'must be a day, YYYY-MM-DD', abort: true })
  .refine(isCalendarDay, {
    error: issue =>
      `must be a day of the calendar: ${String(
        issue.input,
      )} does not exist (YYYY-MM-DD)`,
  });

const levelGoal = z.object({
  kind: z.literal('level'),
  value: z.enum(['gold', 'silver', 'bronze']),
});

const checkGoal = z.object({
  kind: z.literal('check'),
  value: z.enum(SCORE_CHECK_IDS),
});

/**
 * Drift lives at most `value` minutes: the p95 life of a component's
 * findings gone in the 30 days before (none gone meets it).
 */
const driftLifetimeGoal = z.object({
  kind: z.literal('driftLifetime'),
  value: z.number().int().min(1).max(525_600),
});

/**
 * At least `value` (a share, 0 to 1) of a component's findings gone in the
 * 30 days before were erased by an automatic rollout (none gone meets it).
 */
const erasedShareGoal = z.object({
  kind: z.literal('erasedShare'),
  value: z.number().gt(0).max(1),
});

/**
 * What an initiative asks of each component in its scope, as a request
 * gives it: only `kind` and `value`.
 *
 * @public
 */
export const initiativeGoalSchema = z.discriminatedUnion(
  'kind',
  [
    levelGoal.strict(),
    checkGoal.strict(),
    driftLifetimeGoal.strict(),
    erasedShareGoal.strict(),
  ],
  {
    error:
      'must be {kind: "level", value: "gold" | "silver" | "bronze"}, {kind: "check", value: <a score check id>}, {kind: "driftLifetime", value: <p95 minutes, 1 to 525600>} or {kind: "erasedShare", value: <a share, above 0 and at most 1>}',
  },
);

/** @public */
export type InitiativeGoal = z.infer<typeof initiativeGoalSchema>;

/**
 * Which components an initiative covers: those of its owners (a group
 * covers the groups below it) or systems, or every component when it names
 * neither; optionally production ones only.
 *
 * @public
 */
export const initiativeScopeSchema = z
  .object({
    owners: z.array(entityRefSchema).max(50).default([]),
    systems: z.array(entityRefSchema).max(50).default([]),
    productionOnly: z.boolean().default(false),
  })
  .strict();

/** @public */
export type InitiativeScope = z.infer<typeof initiativeScopeSchema>;

/** An initiative's title: one line with something to read. */
const initiativeTitleSchema = lineOfText(200);

/** `POST /initiatives`. @public */
export const createInitiativeRequestSchema = z
  .object({
    title: initiativeTitleSchema,
    description: freeText(2000).optional(),
    goal: initiativeGoalSchema,
    scope: initiativeScopeSchema.default({
      owners: [],
      systems: [],
      productionOnly: false,
    }),
    /** Default today. */
    startsOn: daySchema.optional(),
    deadline: daySchema,
  })
  .strict();

/** @public */
export type CreateInitiativeRequest = z.input<
  typeof createInitiativeRequestSchema
>;

/** `PATCH /initiatives/:id`: what changes; `state: closed` closes it. @public */
export const updateInitiativeRequestSchema = z
  .object({
    title: initiativeTitleSchema.optional(),
    description: freeText(2000).optional(),
    deadline: daySchema.optional(),
    state: z.literal('closed').optional(),
  })
  .strict();

/** @public */
export type UpdateInitiativeRequest = z.infer<
  typeof updateInitiativeRequestSchema
>;

/** `/initiatives/:id`: the UUID `POST /initiatives` answered. @public */
export const initiativePathParamsSchema = z.object({
  id: uuidParam('initiative id', 'POST /initiatives'),
});

/** Progress of one owner of the scope. @public */
export const initiativeOwnerProgressSchema = z.object({
  owner: z.string(),
  done: z.number(),
  total: z.number(),
});

/** An initiative and where it stands, over what the caller may read. @public */
export const initiativeSchema = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string().optional(),
  goal: z.discriminatedUnion('kind', [
    levelGoal,
    checkGoal,
    driftLifetimeGoal,
    erasedShareGoal,
  ]),
  scope: z.object({
    owners: z.array(z.string()),
    systems: z.array(z.string()),
    productionOnly: z.boolean(),
  }),
  startsOn: z.string(),
  deadline: z.string(),
  state: z.enum(['active', 'closed']),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  closedAt: z.string().optional(),
  /** The components in scope today, and those meeting the goal. */
  progress: z.object({ done: z.number(), total: z.number() }),
});

/** @public */
export type Initiative = z.infer<typeof initiativeSchema>;

/** `GET /initiatives/:id`: the initiative, its burn-up, who is done and who is behind. @public */
export const initiativeDetailSchema = initiativeSchema.extend({
  burnUp: z.array(
    z.object({ day: z.string(), done: z.number(), total: z.number() }),
  ),
  owners: z.array(initiativeOwnerProgressSchema),
  /** Components of the scope not meeting the goal yet. */
  behind: z.array(
    z.object({ entityRef: z.string(), owner: z.string().optional() }),
  ),
});

/** @public */
export type InitiativeDetail = z.infer<typeof initiativeDetailSchema>;

/** `GET /initiatives`. @public */
export const initiativeListSchema = z.object({
  items: z.array(initiativeSchema),
});

/** @public */
export type InitiativeList = z.infer<typeof initiativeListSchema>;
