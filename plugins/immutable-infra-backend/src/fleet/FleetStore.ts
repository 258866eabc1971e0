import {
  FleetInstance,
  LaunchTemplateDefault,
} from '../providers/FleetProvider';
import { InstanceRecord, SyncState } from '../drift/types';

/** An entity's inventory as last synced. @internal */
export type Inventory = {
  instances: InstanceRecord[];
  launchTemplates: LaunchTemplateDefault[];
  sync?: SyncState;
};

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
