import { z } from 'zod';
import { entityRefSchema } from './entityRefs';
import { boundedString } from './validation';

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
    .union([boundedString(4096), z.array(boundedString(4096)).max(max)])
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
 * covers the groups below it), systems, lifecycles, types, levels,
 * enrolled or not.
 *
 * @public
 */
export const adoptionFilterQuerySchema = z.object({
  owner: listOf(entityRefSchema, 50).optional(),
  system: listOf(entityRefSchema, 50).optional(),
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
  days: z.array(adoptionFiguresSchema.extend({ day: z.string() })),
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
