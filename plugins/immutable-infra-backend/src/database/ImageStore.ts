import { ImageFamily } from '@immutable-infra/backstage-plugin-common';

/**
 * Outcome of enrolling a family.
 *
 * @internal
 */
export type EnrollResult =
  | { outcome: 'created' | 'existing'; family: ImageFamily }
  | { outcome: 'taken'; family: ImageFamily };

/**
 * Persistence of the image registry.
 *
 * @internal
 */
export interface ImageStore {
  getFamily(name: string): Promise<ImageFamily | undefined>;

  /**
   * Registers a family for an entity, writing the audit event in the same
   * transaction. Enrolling a family the entity already owns changes nothing;
   * a family owned by another entity is reported as `taken`.
   */
  enrollFamily(options: {
    name: string;
    entityRef: string;
    actor: string;
  }): Promise<EnrollResult>;
}
