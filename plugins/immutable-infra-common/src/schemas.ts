import { z } from 'zod';
import { entityRefSchema } from './entityRefs';
import { remediationPolicySchema } from './remediationSchemas';
import { boundedString, REQUEST_LIMITS } from './validation';

/**
 * Image family names: lower-case letters, digits, dots, dashes and
 * underscores, starting with a letter or digit, at most 128 characters.
 *
 * @public
 */
export const IMAGE_FAMILY_PATTERN = /^[a-z0-9][a-z0-9._-]{0,127}$/;

/** @public */
export const IMAGE_FAMILY_RULE =
  'must be lower-case letters, digits, ".", "-" or "_", starting with a letter or digit (at most 128 characters)';

/**
 * An image family name in a request body or query: see
 * {@link IMAGE_FAMILY_PATTERN}.
 *
 * @public
 */
export const imageFamilyNameSchema = boundedString(
  REQUEST_LIMITS.imageFamily,
).regex(IMAGE_FAMILY_PATTERN, IMAGE_FAMILY_RULE);

/**
 * Annotations of an entity after parsing, with defaults applied.
 *
 * @public
 */
export const immutableInfraAnnotationsSchema = z.object({
  imageFamily: z.string().optional(),
  fleetSelector: z.array(z.object({ key: z.string(), value: z.string() })),
  environments: z.array(z.string()),
  regions: z.array(z.string()).optional(),
  awsAccountId: z.string().optional(),
  launchTemplate: z.string().optional(),
  autoscalingGroups: z.record(z.string(), z.string()).optional(),
  /** From `immutable-infra.io/target-groups`: ARNs or names per environment. */
  targetGroups: z.record(z.string(), z.array(z.string())).optional(),
  /** From `immutable-infra.io/preview-target-groups`: ARNs or names per environment. */
  previewTargetGroups: z.record(z.string(), z.array(z.string())).optional(),
  maxImageAgeDays: z.number().int().positive().optional(),
  maxInstanceAgeDays: z.number().int().positive().optional(),
  stateful: z.boolean(),
  /** From `immutable-infra.io/rollout-strategy`. */
  rolloutStrategy: z
    .object({
      strategy: z.enum(['canary', 'blueGreen']),
      steps: z.array(z.record(z.string(), z.unknown())).optional(),
      blueGreen: z
        .object({ autoPromote: z.boolean().optional() })
        .passthrough()
        .optional(),
    })
    .optional(),
  /** From `immutable-infra.io/rollout-alarms`: `name` or `region:name`. */
  rolloutAlarms: z.array(z.string()).optional(),
  /** From `immutable-infra.io/rollout-probe`: a URL with placeholders. */
  rolloutProbe: z.string().optional(),
  logDestination: z.string().optional(),
  /** From `immutable-infra.io/remediation`; absent: the organisation default. */
  remediation: remediationPolicySchema.optional(),
});

/** @public */
export type ImmutableInfraAnnotations = z.infer<
  typeof immutableInfraAnnotationsSchema
>;

/**
 * An image family: the line of machine images one service is baked into.
 *
 * @public
 */
export const imageFamilySchema = z.object({
  name: z.string(),
  entityRef: z.string(),
  createdAt: z.string(),
});

/** @public */
export type ImageFamily = z.infer<typeof imageFamilySchema>;

/**
 * Answer of `GET /families`: the enrolled families whose entity the caller
 * may read, by name.
 *
 * @public
 */
export const familyListSchema = z.object({
  items: z.array(imageFamilySchema),
});

/** @public */
export type FamilyList = z.infer<typeof familyListSchema>;

/**
 * Body of `POST /families`: enroll an entity's image family.
 *
 * @public
 */
export const enrollRequestSchema = z.strictObject({
  name: imageFamilyNameSchema,
  /** The owning entity, `kind:namespace/name`. */
  entityRef: entityRefSchema,
});

/** @public */
export type EnrollRequest = z.infer<typeof enrollRequestSchema>;

/**
 * Answer of `POST /families`: 201 with `created: true` for a new family, 200
 * with `created: false` when the entity already owns it.
 *
 * @public
 */
export const enrollResponseSchema = z.object({
  family: imageFamilySchema,
  created: z.boolean(),
});

/** @public */
export type EnrollResponse = z.infer<typeof enrollResponseSchema>;
