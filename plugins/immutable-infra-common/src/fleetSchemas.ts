import { z } from 'zod';
import { entityRefSchema } from './entityRefs';
import { pageQuerySchema } from './registrySchemas';
import {
  driftGroupRemediationSchema,
  driftRemediationSchema,
} from './remediationSchemas';
import { boundedString, REQUEST_LIMITS } from './validation';

/** @public */
export const DRIFT_RULES = [
  'revoked-image',
  'unregistered-image',
  'image-mismatch',
  'image-too-old',
  'instance-too-old',
  'ssh-open',
  'ssh-key',
  'launch-template-drift',
  'asg-missing',
  'asg-unpinned',
  'stale-inventory',
  'logs-not-shipped',
  'interactive-session',
  'imdsv1-allowed',
  'not-managed',
  'owned-twice',
] as const;

/** @public */
export type DriftRule = (typeof DRIFT_RULES)[number];

/** @public */
export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;

/** @public */
export type Severity = (typeof SEVERITIES)[number];

/** One drift finding. @public */
export const driftFindingSchema = z.object({
  rule: z.enum(DRIFT_RULES),
  severity: z.enum(SEVERITIES),
  instanceId: z.string().optional(),
  region: z.string().optional(),
  environment: z.string().optional(),
  detail: z.string(),
  fix: z.string(),
  /** Findings with the same root cause are one problem. */
  rootCause: z.string(),
  /** When a sync first found it (drift lifetimes), if recorded. */
  firstSeenAt: z.string().optional(),
});

/** @public */
export type DriftFinding = z.infer<typeof driftFindingSchema>;

/** Findings that share a root cause. @public */
export const driftGroupSchema = z.object({
  rootCause: z.string(),
  rule: z.enum(DRIFT_RULES),
  severity: z.enum(SEVERITIES),
  summary: z.string(),
  fix: z.string(),
  count: z.number(),
  /**
   * Its instances; the first `findingsPerGroup` only when the query bounds
   * the groups.
   */
  instanceIds: z.array(z.string()),
  /**
   * Its findings; the first `findingsPerGroup` only when the query bounds
   * the groups (`count` counts them all).
   */
  findings: z.array(driftFindingSchema),
  /** The environments of its instances, of every finding, sorted. */
  environments: z.array(z.string()).optional(),
  /** When the first of its findings was first found: the group's age. */
  firstSeenAt: z.string().optional(),
  /** What the remediation policy does with it. */
  remediation: driftGroupRemediationSchema.optional(),
});

/** @public */
export type DriftGroup = z.infer<typeof driftGroupSchema>;

/** @public */
export const severityCountsSchema = z.object({
  critical: z.number(),
  high: z.number(),
  medium: z.number(),
  low: z.number(),
});

/** @public */
export type SeverityCounts = z.infer<typeof severityCountsSchema>;

/** The last fleet sync of an entity. @public */
export const syncStatusSchema = z.object({
  status: z.enum(['ok', 'failed', 'never']),
  lastAttemptAt: z.string().optional(),
  lastSuccessAt: z.string().optional(),
  error: z.string().optional(),
  stale: z.boolean(),
});

/** @public */
export type SyncStatus = z.infer<typeof syncStatusSchema>;

/**
 * How long an entity's findings lived, of those gone in the last `days`:
 * how many went, the median and p95 of their lives, and how many were
 * erased by an automatic rollout.
 *
 * @public
 */
export const driftLifetimeWindowSchema = z.object({
  days: z.number(),
  gone: z.number(),
  p50Seconds: z.number().optional(),
  p95Seconds: z.number().optional(),
  erasedAutomatically: z.number(),
});

/** @public */
export type DriftLifetimeWindow = z.infer<typeof driftLifetimeWindowSchema>;

/** An entity's drift lifetime: open findings, and lives over 30 and 90 days. @public */
export const driftLifetimeSchema = z.object({
  /** Findings open now (recorded by the syncs). */
  open: z.number(),
  /** When the oldest of them was first found. */
  oldestOpenSince: z.string().optional(),
  windows: z.array(driftLifetimeWindowSchema),
});

/** @public */
export type DriftLifetime = z.infer<typeof driftLifetimeSchema>;

/**
 * Query of `GET /entities/:kind/:namespace/:name/drift`: `findingsPerGroup`
 * bounds the findings and instances each group lists (a page shows a few of
 * thousands). @public
 */
export const driftQuerySchema = z.strictObject({
  findingsPerGroup: z.coerce.number().int().min(1).max(1000).optional(),
});

/** Answer of `GET /entities/:kind/:namespace/:name/drift`. @public */
export const driftResponseSchema = z.object({
  entityRef: z.string(),
  counts: severityCountsSchema,
  groups: z.array(driftGroupSchema),
  sync: syncStatusSchema,
  /** How long its drift lives, once the syncs recorded it. */
  lifetime: driftLifetimeSchema.optional(),
  /** The entity's remediation policy (`immutable-infra.io/remediation`). */
  remediation: driftRemediationSchema.optional(),
});

/** @public */
export type DriftResponse = z.infer<typeof driftResponseSchema>;

/** One named check of the immutability score. @public */
export const scoreCheckSchema = z.object({
  id: z.string(),
  title: z.string(),
  weight: z.number(),
  status: z.enum(['pass', 'fail', 'unknown']),
  evidence: z.string(),
  fix: z.string(),
});

/** @public */
export type ScoreCheck = z.infer<typeof scoreCheckSchema>;

/** @public */
export const immutabilityScoreSchema = z.object({
  score: z.number(),
  level: z.enum(['gold', 'silver', 'bronze', 'none']),
  checks: z.array(scoreCheckSchema),
});

/** @public */
export type ImmutabilityScore = z.infer<typeof immutabilityScoreSchema>;

/** An instance of the fleet, with its image and drift. @public */
export const fleetInstanceSchema = z.object({
  instanceId: z.string(),
  environment: z.string().optional(),
  region: z.string(),
  account: z.string().optional(),
  imageId: z.string().optional(),
  /** `<family>@<version>` when the AMI is registered. */
  version: z.string().optional(),
  imageAgeDays: z.number().optional(),
  launchTime: z.string().optional(),
  state: z.string().optional(),
  asg: z.string().optional(),
  sshExposure: z.enum(['none', 'restricted', 'world']),
  keyName: z.string().optional(),
  rules: z.array(z.enum(DRIFT_RULES)),
  firstSeenAt: z.string(),
  lastSeenAt: z.string(),
});

/** @public */
export type FleetInstanceView = z.infer<typeof fleetInstanceSchema>;

/** @public */
export const instancePageSchema = z.object({
  items: z.array(fleetInstanceSchema),
  nextCursor: z.string().optional(),
  total: z.number(),
});

/** @public */
export type InstancePage = z.infer<typeof instancePageSchema>;

/** Query of the instances endpoint. @public */
export const instanceQuerySchema = pageQuerySchema.extend({
  environment: boundedString(REQUEST_LIMITS.environment).optional(),
  rule: z.enum(DRIFT_RULES).optional(),
  state: boundedString(REQUEST_LIMITS.instanceState).optional(),
});

/** Image age of one environment's fleet against policy. @public */
export const environmentAgeSchema = z.object({
  environment: z.string(),
  instances: z.number(),
  medianDays: z.number().optional(),
  p95Days: z.number().optional(),
  maxDays: z.number().optional(),
  policyDays: z.number(),
  withinPolicy: z.boolean(),
});

/** @public */
export const imageAgeResponseSchema = z.object({
  entityRef: z.string(),
  policyDays: z.number(),
  environments: z.array(environmentAgeSchema),
  /** Instances per running image, registered or not. */
  versionsInUse: z.array(
    z.object({
      version: z.string().optional(),
      imageId: z.string(),
      ageDays: z.number().optional(),
      instances: z.number(),
    }),
  ),
  /** The last sync of the inventory these figures come from. */
  sync: syncStatusSchema,
});

/** @public */
export type ImageAgeResponse = z.infer<typeof imageAgeResponseSchema>;

/** Who still runs a version. @public */
export const blastRadiusSchema = z.object({
  version: z.string(),
  imageIds: z.array(z.string()),
  instances: z.number(),
  entities: z.array(
    z.object({
      entityRef: z.string(),
      owner: z.string().optional(),
      environments: z.array(z.string()),
      instanceIds: z.array(z.string()),
    }),
  ),
});

/** @public */
export type BlastRadius = z.infer<typeof blastRadiusSchema>;

/** Body of `POST /sync`. @public */
export const syncRequestSchema = z.strictObject({
  /** One entity, `kind:namespace/name`; every enrolled entity when absent. */
  entityRef: entityRefSchema.optional(),
});

/** @public */
export const syncResponseSchema = z.object({
  synced: z.array(
    z.object({
      entityRef: z.string(),
      status: z.enum(['ok', 'failed']),
      instances: z.number(),
      error: z.string().optional(),
    }),
  ),
});

/** @public */
export type SyncResponse = z.infer<typeof syncResponseSchema>;

/** Versions an environment should run and does run. @public */
export const environmentVersionsSchema = z.object({
  environment: z.string(),
  /** The channel's version, `<family>@<n>`, when assigned. */
  channelVersion: z.string().optional(),
  running: z.array(
    z.object({
      version: z.string().optional(),
      imageId: z.string(),
      instances: z.number(),
    }),
  ),
});

/** The fleet part of the entity summary. @public */
export const fleetSummarySchema = z.object({
  score: immutabilityScoreSchema,
  counts: severityCountsSchema,
  instances: z.number(),
  sync: syncStatusSchema,
  environments: z.array(environmentVersionsSchema),
  /** Age in days of the oldest image the fleet runs. */
  oldestImageDays: z.number().optional(),
});

/** @public */
export type FleetSummary = z.infer<typeof fleetSummarySchema>;
