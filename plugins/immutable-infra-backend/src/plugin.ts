import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { immutableInfraPermissions } from '@immutable-infra/backstage-plugin-common';
import { readSettings } from './config/settings';
import { connectDatabase } from './database/migrations';
import { createRouter } from './http/router';
import { AwsClientFactory } from './providers/aws/AwsClientFactory';
import { Ec2FleetProvider } from './providers/aws/Ec2FleetProvider';
import { Ec2ImageProvider } from './providers/aws/Ec2ImageProvider';
import { Ec2RolloutProvider } from './providers/aws/Ec2RolloutProvider';
import { RolloutNotifier } from './rollouts/RolloutNotifier';
import { createServices } from './services';

const ROLLOUT_TASK = 'immutable-infra:rollouts';

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
        // Its default sends to the notifications backend over HTTP; an app
        // without that backend still starts, and the notifier logs the misses.
        notifications: notificationService,
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
        notifications,
      }) {
        permissionsRegistry.addPermissions(immutableInfraPermissions);
        const settings = readSettings(config);
        const clients = AwsClientFactory.fromConfig(config);
        const services = createServices({
          knex: await connectDatabase(database),
          settings,
          logger,
          permissions,
          catalog,
          auth,
          imageProvider: new Ec2ImageProvider(clients),
          fleetProviderFactory: () => new Ec2FleetProvider(clients),
          rolloutProvider: new Ec2RolloutProvider(clients),
          notify: new RolloutNotifier({ notifications, logger }).notify,
          sendNotification: notification => notifications.send(notification),
          nudgeRollouts: () => {
            // Already running or due: the next run picks the change up.
            scheduler.triggerTask(ROLLOUT_TASK).catch(() => {});
          },
        });

        await scheduler.scheduleTask({
          id: 'immutable-infra:image-discovery',
          ...settings.schedule,
          initialDelay: { seconds: 10 },
          scope: 'global',
          fn: async () => {
            await services.discovery.run();
          },
        });
        await scheduler.scheduleTask({
          id: 'immutable-infra:entity-refresh',
          frequency: settings.entityRefresh,
          timeout: { minutes: 1 },
          initialDelay: { seconds: 5 },
          scope: 'global',
          fn: async () => {
            await services.entityRefresh.run();
          },
        });
        await scheduler.scheduleTask({
          id: 'immutable-infra:fleet-sync',
          ...settings.schedule,
          initialDelay: { seconds: 15 },
          scope: 'global',
          fn: async () => {
            await services.fleetSync.run();
            // What the sync found: revoked versions running, and replaced.
            await services.adoptionNotifier.trackRevokedImages();
          },
        });

        await scheduler.scheduleTask({
          id: 'immutable-infra:adoption-snapshot',
          frequency: settings.adoption.frequency,
          timeout: { minutes: 15 },
          initialDelay: { seconds: 30 },
          scope: 'global',
          fn: async () => {
            await services.adoptionSnapshotter.run();
            await services.adoptionNotifier.notifyInitiatives();
          },
        });

        // The rollout engine: one replica at a time (global scope), so each
        // step runs once; a replica that dies mid-tick leaves nothing the
        // next tick cannot observe and finish.
        await scheduler.scheduleTask({
          id: ROLLOUT_TASK,
          frequency: settings.rollouts.frequency,
          timeout: { minutes: 5 },
          initialDelay: { seconds: 5 },
          scope: 'global',
          fn: async signal => {
            await services.rolloutEngine.tick(signal);
          },
        });

        // Remediation policies: automatic replace-drifted rollouts of the
        // drift a policy names, one replica at a time.
        await scheduler.scheduleTask({
          id: 'immutable-infra:remediation',
          frequency: settings.remediation.frequency,
          timeout: { minutes: 5 },
          initialDelay: { seconds: 20 },
          scope: 'global',
          fn: async () => {
            await services.remediator.tick();
          },
        });

        httpRouter.use(await createRouter({ httpAuth, auditor, ...services }));
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });
      },
    });
  },
});
