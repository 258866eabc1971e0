import { LoggerService } from '@backstage/backend-plugin-api';
import { EntitySnapshotStore } from '../catalog/EntitySnapshotStore';
import { DatabaseFleetResourceIndex } from '../fleet/FleetResourceIndex';
import { FleetSync } from '../fleet/FleetSync';
import { DriftEventConsumer } from './DriftEventConsumer';
import { DriftEventSettings } from './driftEventSettings';
import { DriftEventTargets } from './DriftEventTargets';
import {
  DriftEventLookup,
  DriftEventQueue,
} from '../providers/DriftEventProvider';
import { Knex } from 'knex';

/**
 * The drift events consumer on the plugin's database and fleet sync: each
 * event resyncs the entities it touches with `FleetSync.run(entityRef)`,
 * the path of `POST /sync { entityRef }`.
 *
 * @internal
 */
export function createDriftEventConsumer(options: {
  settings: DriftEventSettings;
  knex: Knex;
  snapshots: EntitySnapshotStore;
  fleetSync: FleetSync;
  queue: DriftEventQueue;
  lookup: DriftEventLookup;
  logger: LoggerService;
}): DriftEventConsumer {
  return new DriftEventConsumer({
    queue: options.queue,
    targets: new DriftEventTargets({
      index: DatabaseFleetResourceIndex.create({ knex: options.knex }),
      snapshots: options.snapshots,
      lookup: options.lookup,
    }),
    syncEntity: async entityRef => {
      const results = await options.fleetSync.run(entityRef);
      return results.every(r => r.status === 'ok');
    },
    settings: options.settings,
    logger: options.logger,
  });
}
