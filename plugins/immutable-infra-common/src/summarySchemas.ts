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
});

/** @public */
export type EntitySummary = z.infer<typeof entitySummarySchema>;
