import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { immutableInfraPermissions } from '@immutable-infra/backstage-plugin-common';
import { DatabaseImageStore } from './registry/DatabaseImageStore';
import { connectDatabase } from './database/migrations';
import { AwsClientFactory } from './providers/aws/AwsClientFactory';
import { Ec2ImageProvider } from './providers/aws/Ec2ImageProvider';
import { DatabaseFleetStore } from './fleet/DatabaseFleetStore';
import { FleetAnalyzer } from './drift/FleetAnalyzer';
import { Ec2FleetProvider } from './providers/aws/Ec2FleetProvider';
import { ImagePruner } from './registry/ImagePruner';
import { FleetSync } from './fleet/FleetSync';
import { EntityRefresh } from './catalog/EntityRefresh';
import { EntityReadModel } from './entities/EntityReadModel';
import { createRouter } from './http/router';
import { ImageDiscovery } from './registry/ImageDiscovery';
import { readSettings } from './config/settings';

/**
 * The Immutable Infra backend plugin: image registry, fleet inventory, drift
 * and rollouts, served under `/api/immutable-infra`.
 *
 * @public
 */
export const immutableInfraPlugin = createBackendPlugin({
  pluginId: 'immutable-infra',
  register(env) {
    env.registerInit({
      deps: {
        logger: coreServices.logger,
        config: coreServices.rootConfig,
        scheduler: coreServices.scheduler,
        database: coreServices.database,
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        auditor: coreServices.auditor,
        auth: coreServices.auth,
        catalog: catalogServiceRef,
      },
      async init({
        logger,
        config,
        scheduler,
        database,
        httpAuth,
        httpRouter,
        permissions,
        permissionsRegistry,
        auditor,
        auth,
        catalog,
      }) {
        permissionsRegistry.addPermissions(immutableInfraPermissions);
        const settings = readSettings(config);
        const knex = await connectDatabase(database);
        const images = DatabaseImageStore.create({ knex });
        const clients = AwsClientFactory.fromConfig(config);
        const provider = new Ec2ImageProvider(clients);
        const discovery = new ImageDiscovery({
          images,
          provider,
          logger,
          regions: settings.regions,
        });
        await scheduler.scheduleTask({
          id: 'immutable-infra:image-discovery',
          ...settings.schedule,
          initialDelay: { seconds: 10 },
          scope: 'global',
          fn: async () => {
            await discovery.run();
          },
        });
        const fleet = DatabaseFleetStore.create({ knex });
        const readModel = EntityReadModel.create({ knex });
        const entityRefresh = new EntityRefresh({
          catalog,
          auth,
          readModel,
          logger,
        });
        await scheduler.scheduleTask({
          id: 'immutable-infra:entity-refresh',
          frequency: settings.entityRefresh,
          timeout: { minutes: 1 },
          initialDelay: { seconds: 5 },
          scope: 'global',
          fn: async () => {
            await entityRefresh.run();
          },
        });
        const fleetSync = new FleetSync({
          catalog,
          auth,
          fleet,
          readModel,
          // A provider per sync, so its security group cache lasts one sync.
          providerFactory: () => new Ec2FleetProvider(clients),
          logger,
          regions: settings.regions,
          environmentTag: settings.environmentTag,
        });
        await scheduler.scheduleTask({
          id: 'immutable-infra:fleet-sync',
          ...settings.schedule,
          initialDelay: { seconds: 15 },
          scope: 'global',
          fn: async () => {
            await fleetSync.run();
          },
        });
        httpRouter.use(
          await createRouter({
            logger,
            httpAuth,
            permissions,
            auditor,
            catalog,
            images,
            pruner: new ImagePruner({ images, provider, logger }),
            provider,
            settings,
            fleet,
            readModel,
            analyzer: new FleetAnalyzer({ settings }),
            fleetSync,
          }),
        );
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });
      },
    });
  },
});
