import { z } from 'zod';
import { fleetSummarySchema } from './fleetSchemas';
import { imageFamilySchema, immutableInfraAnnotationsSchema } from './schemas';

/**
 * What the Immutability tab and card show for one entity.
 *
 * @public
 */
export const entitySummarySchema = z.object({
  entityRef: z.string(),
  enrolled: z.boolean(),
  annotations: immutableInfraAnnotationsSchema,
  /** The registered family, when the entity's image family is registered. */
  family: imageFamilySchema.optional(),
  /**
   * Set when the annotated family is registered to another entity: the
   * entity cannot claim it.
   */
  familyOwnedBy: z.string().optional(),
  /** The fleet, once enrolled: score, findings, versions per environment. */
  fleet: fleetSummarySchema.optional(),
  /** Rollouts of the entity that have not ended, with their step. */
  activeRollouts: z
    .array(
      z.object({
        id: z.string(),
        environment: z.string(),
        toVersion: z.string(),
        strategy: z.string(),
        state: z.string(),
        currentStep: z.number(),
        stepCount: z.number(),
        awaitingPromotion: z.boolean(),
      }),
    )
    .optional(),
});

/** @public */
export type EntitySummary = z.infer<typeof entitySummarySchema>;

/**
 * One change recorded in the audit log: who did what to which object.
 *
 * @public
 */
export const auditEventSchema = z.object({
  id: z.string(),
  /** User or service entity ref that made the change. */
  actor: z.string(),
  /** What was done, e.g. `image.revoke` or `channel.assign`. */
  action: z.string(),
  entityRef: z.string().optional(),
  /** The object changed: a family, a version ref, `<family>/<channel>`. */
  subject: z.string().optional(),
  /** Details of the change, e.g. a revocation's reason. */
  payload: z.record(z.string(), z.unknown()).optional(),
  at: z.string(),
});

/** @public */
export type AuditEvent = z.infer<typeof auditEventSchema>;

/** @public */
export const auditEventPageSchema = z.object({
  items: z.array(auditEventSchema),
  nextCursor: z.string().optional(),
});

/** @public */
export type AuditEventPage = z.infer<typeof auditEventPageSchema>;
