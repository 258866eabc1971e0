import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { immutableInfraPermissions } from '@immutable-infra/backstage-plugin-common';
import { DatabaseImageStore } from './database/DatabaseImageStore';
import { connectDatabase } from './database/migrations';
import { createRouter } from './router';

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
        database,
        httpAuth,
        httpRouter,
        permissions,
        permissionsRegistry,
        auditor,
        catalog,
      }) {
        permissionsRegistry.addPermissions(immutableInfraPermissions);
        const knex = await connectDatabase(database);
        httpRouter.use(
          await createRouter({
            logger,
            httpAuth,
            permissions,
            auditor,
            catalog,
            images: DatabaseImageStore.create({ knex }),
          }),
        );
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });
      },
    });
  },
});
