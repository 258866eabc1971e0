import {
  AuthService,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { Knex } from 'knex';
import { parseEntityRef } from '@backstage/catalog-model';
import { AdoptionService } from './adoption/AdoptionService';
import {
  AdoptionNotifier,
  SendNotification,
} from './adoption/AdoptionNotifier';
import { FindingLifetimeRecorder } from './adoption/FindingLifetimeRecorder';
import { InitiativeService } from './adoption/InitiativeService';
import { DatabaseNoticeStore } from './adoption/NoticeStore';
import { DatabaseInitiativeStore } from './adoption/InitiativeStore';
import { AdoptionSnapshotter } from './adoption/AdoptionSnapshotter';
import { DatabaseAdoptionStore } from './adoption/AdoptionStore';
import { DatabaseAuditLog } from './audit/AuditLog';
import { EntityAccess } from './catalog/EntityAccess';
import { EntityRefresh } from './catalog/EntityRefresh';
import { DatabaseEntitySnapshotStore } from './catalog/EntitySnapshotStore';
import { ImmutableInfraSettings, schedulePeriodMs } from './config/settings';
import { FleetAnalyzer } from './drift/FleetAnalyzer';
import { EntityPages } from './entities/EntityPages';
import { EntityReadCache } from './entities/EntityReadCache';
import { EntityReadModel } from './entities/EntityReadModel';
import { DatabaseFleetStore } from './fleet/DatabaseFleetStore';
import { DatabaseFindingLifetimeStore } from './fleet/FindingLifetimeStore';
import { FleetService } from './fleet/FleetService';
import { FleetSync } from './fleet/FleetSync';
import { FleetProvider } from './providers/FleetProvider';
import { ImageProvider } from './providers/ImageProvider';
import { ArtifactVerifier } from './registry/ArtifactVerifier';
import { ImageDiscovery } from './registry/ImageDiscovery';
import { ImagePruner } from './registry/ImagePruner';
import { ImageRegistry } from './registry/ImageRegistry';
import { createRegistryStores } from './registry/RegistryStores';
import { RolloutProvider } from './providers/RolloutProvider';
import { DatabaseRolloutStore } from './rollouts/DatabaseRolloutStore';
import {
  DatabaseRolloutReplacements,
  REMEDIATION_ACTOR,
} from './rollouts/RolloutReplacements';
import { viewOf } from './rollouts/RolloutStore';
import { RolloutEngine } from './rollouts/RolloutEngine';
import { RolloutService } from './rollouts/RolloutService';
import { RolloutNotify } from './rollouts/notices';
import { DatabaseRemediationStore } from './remediation/RemediationStore';
import { Remediator } from './remediation/Remediator';

/**
 * Builds every service of the plugin on one database: the plugin wires
 * them to Backstage, tests and benchmarks to fakes where no real part runs.
 *
 * @internal
 */
export function createServices(options: {
  knex: Knex;
  settings: ImmutableInfraSettings;
  logger: LoggerService;
  permissions: PermissionsService;
  catalog: CatalogService;
  auth: AuthService;
  imageProvider: ImageProvider;
  /** A provider per sync, so its caches last one sync. */
  fleetProviderFactory: () => FleetProvider;
  rolloutProvider: RolloutProvider;
  /** Runs the rollout engine soon (the scheduler's trigger). */
  nudgeRollouts?: () => void;
  /** Tells entity owners of a rollout's moments (Backstage notifications). */
  notify?: RolloutNotify;
  /** Sends the adoption notices (Backstage notifications); none without it. */
  sendNotification?: SendNotification;
}) {
  const { knex, settings, logger, catalog, auth, imageProvider } = options;
  const access = new EntityAccess({
    permissions: options.permissions,
    catalog,
  });
  const stores = createRegistryStores(knex);
  const snapshots = DatabaseEntitySnapshotStore.create({ knex });
  const fleet = DatabaseFleetStore.create({ knex });
  const readModel = EntityReadModel.create({ knex });
  const registry = new ImageRegistry({
    stores,
    access,
    verifier: new ArtifactVerifier({
      provider: imageProvider,
      logger,
      enabled: settings.registration.verifyArtifacts,
      concurrency: settings.registration.concurrency,
    }),
    pruner: new ImagePruner({ stores, provider: imageProvider, logger }),
    registrationTimeoutMs: settings.registration.timeoutMs,
    policy: settings.policy,
  });
  const analyzer = new FleetAnalyzer({
    policy: { ...settings.policy, ...settings.drift },
    syncPeriodMs: schedulePeriodMs(settings.schedule.frequency),
  });
  const rolloutStore = DatabaseRolloutStore.create({ knex });
  const lifetimes = DatabaseFindingLifetimeStore.create({ knex });
  const replacements = DatabaseRolloutReplacements.create({ knex });
  const lifetimeRecorder = new FindingLifetimeRecorder({
    store: lifetimes,
    readModel,
    analyzer,
    activeRollouts: async entityRef =>
      (await rolloutStore.listActive(entityRef)).map(viewOf),
    replacements: query => replacements.replacing(query),
    logger,
  });
  const fleetSync = new FleetSync({
    catalog,
    auth,
    fleet,
    snapshots,
    providerFactory: options.fleetProviderFactory,
    logger,
    regions: settings.regions,
    environmentTag: settings.environmentTag,
    facts: settings.drift,
    afterSync: sync => lifetimeRecorder.afterSync(sync),
  });
  const pages = new EntityPages({
    access,
    readModel: new EntityReadCache(readModel),
    stores,
    auditLog: DatabaseAuditLog.create({ knex }),
    analyzer,
    policy: settings.policy,
    activeRollouts: async entityRef =>
      (await rolloutStore.listActive(entityRef)).map(viewOf),
    lifetimes,
    // eslint-disable-next-line @typescript-eslint/no-use-before-define -- called after both are built
    remediation: input => remediator.describe(input),
  });
  const adoptionStore = DatabaseAdoptionStore.create({ knex });
  const adoptionSnapshotter = new AdoptionSnapshotter({
    catalog,
    auth,
    readModel,
    analyzer,
    rollouts: rolloutStore,
    lifetimes,
    store: adoptionStore,
    policy: settings.policy,
    logger,
  });
  const notices = DatabaseNoticeStore.create({ knex });
  const adoption = new AdoptionService({
    store: adoptionStore,
    access,
    catalog,
    rollouts: rolloutStore,
    stores,
    snapshotter: adoptionSnapshotter,
    exposures: notices,
  });
  const initiativeStore = DatabaseInitiativeStore.create({ knex });
  const initiatives = new InitiativeService({
    store: initiativeStore,
    adoption,
    access,
  });
  const rollouts = new RolloutService({
    store: rolloutStore,
    access,
    stores,
    fleet,
    environmentTag: settings.environmentTag,
    nudge: options.nudgeRollouts,
    notify: options.notify,
    probeAllowedHosts: settings.rollouts.probeAllowedHosts,
    drift: (entityRef, credentials) =>
      pages.drift(parseEntityRef(entityRef), credentials),
    provider: options.rolloutProvider,
  });
  const remediator: Remediator = new Remediator({
    store: DatabaseRemediationStore.create({ knex }),
    entities: async () =>
      (await snapshots.listSnapshots()).map(row => ({
        entityRef: row.entity_ref,
        name: row.name,
        annotations: JSON.parse(row.annotations),
      })),
    drift: async entityRef =>
      pages.drift(
        parseEntityRef(entityRef),
        await auth.getOwnServiceCredentials(),
      ),
    activeRollout: async (entityRef, environment) =>
      Boolean(await rolloutStore.findActive(entityRef, environment)),
    startRollout: async start => {
      const { rollout } = await rollouts.create({
        entityRef: start.entityRef,
        environment: start.environment,
        spec: { strategy: 'replaceDrifted', rootCause: start.rootCause },
        dryRun: false,
        reason: start.reason,
        credentials: await auth.getOwnServiceCredentials(),
        startedBy: { actor: REMEDIATION_ACTOR, payload: start.payload },
      });
      return { id: rollout.id, toVersion: rollout.toVersion };
    },
    alarmStates: location => options.rolloutProvider.alarmStates(location),
    defaultPolicy: settings.remediation.policy,
    maxConcurrent: settings.remediation.maxConcurrent,
    notify: options.sendNotification,
    logger,
  });
  return {
    stores,
    snapshots,
    rolloutStore,
    rollouts,
    remediator,
    rolloutEngine: new RolloutEngine({
      store: rolloutStore,
      provider: options.rolloutProvider,
      logger,
      versionState: async (family, version) => {
        const found = await stores.versions.getVersion({ family, version });
        return found && { state: found.state, reason: found.revokeReason };
      },
      syncEntity: entityRef => fleetSync.run(entityRef),
      notify: options.notify,
      probe: { allowedHosts: settings.rollouts.probeAllowedHosts },
      concurrency: settings.rollouts.concurrency,
      launchVisibilityMs: settings.rollouts.launchVisibilityMs,
    }),
    fleet,
    readModel,
    registry,
    fleetSync,
    discovery: new ImageDiscovery({
      stores,
      provider: imageProvider,
      logger,
      regions: settings.regions,
    }),
    entityRefresh: new EntityRefresh({ catalog, auth, snapshots, logger }),
    pages,
    adoptionStore,
    adoptionSnapshotter,
    adoption,
    initiatives,
    adoptionNotifier: new AdoptionNotifier({
      notices,
      initiatives,
      initiativeStore,
      readModel,
      snapshots,
      auth,
      send: options.sendNotification ?? (async () => {}),
      logger,
    }),
    fleetService: new FleetService({
      access,
      registry,
      fleet,
      snapshots,
      fleetSync,
    }),
  };
}

/** @internal */
export type ImmutableInfraServices = ReturnType<typeof createServices>;
