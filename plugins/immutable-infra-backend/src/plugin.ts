import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { immutableInfraPermissions } from '@immutable-infra/backstage-plugin-common';
import { DatabaseImageStore } from './database/DatabaseImageStore';
import { connectDatabase } from './database/migrations';
import { AwsClientFactory } from './providers/aws/AwsClientFactory';
import { Ec2ImageProvider } from './providers/aws/Ec2ImageProvider';
import { ImagePruner } from './registry/ImagePruner';
import { createRouter } from './router';
import { ImageDiscovery } from './service/ImageDiscovery';
import { readSettings } from './service/registryConfig';

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
        catalog,
      }) {
        permissionsRegistry.addPermissions(immutableInfraPermissions);
        const settings = readSettings(config);
        const knex = await connectDatabase(database);
        const images = DatabaseImageStore.create({ knex });
        const provider = new Ec2ImageProvider(
          AwsClientFactory.fromConfig(config),
        );
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
        httpRouter.use(
          await createRouter({
            logger,
            httpAuth,
            permissions,
            auditor,
            catalog,
            images,
            pruner: new ImagePruner({ images, provider, logger }),
            settings,
          }),
        );
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });
      },
    });
  },
});
