import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { immutableInfraPermissions } from '@immutable-infra/backstage-plugin-common';
import { readSettings, schedulePeriodMs } from './config/settings';
import { fleetSyncBudgetMs, fleetSyncStopMs } from './fleet/FleetSync';
import { connectDatabase } from './database/migrations';
import { createDriftEventConsumer } from './events/createDriftEventConsumer';
import { readDriftEventSettings } from './events/driftEventSettings';
import { createRouter } from './http/router';
import { AwsClientFactory } from './providers/aws/AwsClientFactory';
import { Ec2DriftEventLookup } from './providers/aws/Ec2DriftEventLookup';
import { Ec2FleetProvider } from './providers/aws/Ec2FleetProvider';
import { Ec2ImageProvider } from './providers/aws/Ec2ImageProvider';
import { Ec2RolloutProvider } from './providers/aws/Ec2RolloutProvider';
import { discoverOrganization } from './providers/aws/OrganizationAccounts';
import { SqsDriftEventQueue } from './providers/aws/SqsDriftEventQueue';
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
        const syncTimeoutMs =
          schedulePeriodMs(settings.schedule.timeout) ?? 3 * 60_000;
        const syncBudgetMs = fleetSyncBudgetMs(syncTimeoutMs);
        const syncStopMs = fleetSyncStopMs(syncTimeoutMs);
        await scheduler.scheduleTask({
          id: 'immutable-infra:fleet-sync',
          ...settings.schedule,
          initialDelay: { seconds: 15 },
          scope: 'global',
          fn: async () => {
            // Accounts and regions are started within the task's timeout,
            // less a margin, and given up if still answering near it; those
            // not reached open the next run.
            const started = Date.now();
            await discoverOrganization(clients, logger);
            const spent = Date.now() - started;
            await services.fleetSync.runWithin(syncBudgetMs - spent, {
              stopMs: syncStopMs - spent,
            });
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

        // Drift found from AWS events, seconds after it is made; off until
        // immutableInfra.events names a queue (the fleet sync above stays
        // as the backstop for lost events).
        const eventSettings = readDriftEventSettings(config);
        if (eventSettings) {
          const consumer = createDriftEventConsumer({
            settings: eventSettings,
            // The plugin's client, migrated above.
            knex: await database.getClient(),
            snapshots: services.snapshots,
            fleetSync: services.fleetSync,
            queue: new SqsDriftEventQueue(clients),
            lookup: new Ec2DriftEventLookup(clients),
            logger,
          });
          // One replica consumes, the others stand by: a global task is run
          // by one replica at a time (the scheduler's lock). Each run
          // long-polls for a bounded time (runFor, a minute by default) and
          // ends, so the lock changes hands when a replica stops; the next
          // run is due at once (every second) and starts within the
          // scheduler's one-second check. SQS's visibility timeout keeps a
          // message received by a run that dies, or that outlives its lock,
          // from a second reader until that timeout has passed.
          await scheduler.scheduleTask({
            id: 'immutable-infra:drift-events',
            frequency: { seconds: 1 },
            timeout: { milliseconds: eventSettings.runForMs + 60_000 },
            initialDelay: { seconds: 5 },
            scope: 'global',
            fn: async signal => {
              await consumer.run(signal);
            },
          });
        }

        httpRouter.use(await createRouter({ httpAuth, auditor, ...services }));
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });
      },
    });
  },
});
