import { Knex } from 'knex';
import { ChannelStore, DatabaseChannelStore } from './DatabaseChannelStore';
import { DatabaseFamilyStore, FamilyStore } from './DatabaseFamilyStore';
import {
  DatabaseLifecycleStore,
  LifecycleStore,
} from './DatabaseLifecycleStore';
import { DatabaseVersionStore, VersionStore } from './DatabaseVersionStore';

/**
 * The registry's stores, one per aggregate.
 *
 * @internal
 */
export type RegistryStores = {
  families: FamilyStore;
  versions: VersionStore;
  channels: ChannelStore;
  lifecycle: LifecycleStore;
};

/** The registry's stores on one database. @internal */
export function createRegistryStores(knex: Knex): RegistryStores {
  return {
    families: DatabaseFamilyStore.create({ knex }),
    versions: DatabaseVersionStore.create({ knex }),
    channels: DatabaseChannelStore.create({ knex }),
    lifecycle: DatabaseLifecycleStore.create({ knex }),
  };
}
