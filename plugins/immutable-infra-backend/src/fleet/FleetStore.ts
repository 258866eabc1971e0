import {
  FleetInstance,
  LaunchTemplateDefault,
} from '../providers/FleetProvider';
import { InstanceRecord, Inventory } from '../drift/types';

export type { Inventory } from '../drift/types';

/**
 * Persistence of the fleet inventory. A good sync replaces an entity's
 * instances in one transaction; a failed one only records the failure, so
 * the last good inventory stays (and is marked stale).
 *
 * @internal
 */
export interface FleetStore {
  replaceInventory(options: {
    entityRef: string;
    instances: (FleetInstance & { environment?: string })[];
    launchTemplates: LaunchTemplateDefault[];
  }): Promise<void>;

  recordSyncFailure(options: {
    entityRef: string;
    error: string;
  }): Promise<void>;

  getInventory(entityRef: string): Promise<Inventory>;

  /** Instances running any of these AMIs, across entities. */
  findInstancesByImage(imageIds: string[]): Promise<InstanceRecord[]>;
}
