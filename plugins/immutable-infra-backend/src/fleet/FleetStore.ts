import {
  FleetInstance,
  LaunchTemplateDefault,
} from '../providers/FleetProvider';
import {
  AutoScalingGroupRecord,
  InstanceRecord,
  Inventory,
} from '../drift/types';

export type { Inventory } from '../drift/types';

/** What a good sync found of one entity's fleet. @internal */
export type InventoryUpdate = {
  entityRef: string;
  instances: (FleetInstance & { environment?: string })[];
  launchTemplates: LaunchTemplateDefault[];
  autoscalingGroups: AutoScalingGroupRecord[];
};

/**
 * Persistence of the fleet inventory. A good sync replaces an entity's
 * instances in one transaction; a failed one only records the failure, so
 * the last good inventory stays (and is marked stale).
 *
 * @internal
 */
export interface FleetStore {
  replaceInventory(update: InventoryUpdate): Promise<void>;

  /**
   * Replaces the inventories of several entities in one transaction: all
   * are written or none is.
   */
  replaceInventories(updates: InventoryUpdate[]): Promise<void>;

  recordSyncFailure(options: {
    entityRef: string;
    error: string;
  }): Promise<void>;

  getInventory(entityRef: string): Promise<Inventory>;

  /** Instances running any of these AMIs, across entities. */
  findInstancesByImage(imageIds: string[]): Promise<InstanceRecord[]>;
}
