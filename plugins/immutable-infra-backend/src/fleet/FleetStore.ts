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
  instances: (FleetInstance & {
    environment?: string;
    /** The other entities whose selectors match the instance too. */
    ownedAlsoBy?: string[];
  })[];
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

  /**
   * The entities whose last good inventory holds each of these instances
   * (an instance owned twice has two).
   */
  findOwners?(instanceIds: string[]): Promise<Map<string, string[]>>;

  /**
   * When each of these entities' last sync was attempted (good or failed),
   * in milliseconds since the epoch; entities never synced are absent. A
   * sync cut short by its time budget starts the next run with the least
   * recently attempted.
   */
  lastSyncAttempts?(entityRefs: string[]): Promise<Map<string, number>>;

  /** Instances running any of these AMIs, across entities. */
  findInstancesByImage(imageIds: string[]): Promise<InstanceRecord[]>;
}
