import {
  Channel,
  DriftFinding,
  ImageVersion,
  ImageFamily,
  ImmutabilityScore,
  ImmutableInfraAnnotations,
  SyncStatus,
} from '@immutable-infra/backstage-plugin-common';
import { FleetStore, Inventory } from '../database/FleetStore';
import { ImageStore } from '../database/ImageStore';
import { ImmutableInfraSettings } from '../service/registryConfig';
import { evaluateDrift } from './rules';
import { scoreEntity } from './score';

/** Everything known about one entity's fleet. @internal */
export type FleetAnalysis = {
  inventory: Inventory;
  findings: DriftFinding[];
  versionsByImage: Map<string, ImageVersion>;
  channels: Channel[];
  score: ImmutabilityScore;
  sync: SyncStatus;
};

/** Milliseconds of a schedule frequency, for staleness. */
function periodMs(settings: ImmutableInfraSettings): number {
  const f = settings.schedule.frequency as {
    minutes?: number;
    hours?: number;
    seconds?: number;
  };
  const ms =
    ((f.hours ?? 0) * 3600 + (f.minutes ?? 0) * 60 + (f.seconds ?? 0)) * 1000;
  return ms > 0 ? ms : 5 * 60 * 1000;
}

/**
 * Joins an entity's inventory with the registry and applies the drift rules
 * and the score. Reads only: drift always reflects the current channels and
 * revocations, not those of the last sync.
 *
 * @internal
 */
export class FleetAnalyzer {
  constructor(
    private readonly options: {
      images: ImageStore;
      fleet: FleetStore;
      settings: ImmutableInfraSettings;
    },
  ) {}

  /**
   * Analyses an entity's fleet. `family` is the entity's registered family,
   * already checked by the caller to belong to it.
   */
  async analyze(options: {
    entityRef: string;
    annotations: ImmutableInfraAnnotations;
    family: ImageFamily;
    now?: number;
  }): Promise<FleetAnalysis> {
    const { images, fleet, settings } = this.options;
    const now = options.now ?? Date.now();
    const [inventory, channels] = await Promise.all([
      fleet.getInventory(options.entityRef),
      images.listChannels(options.family.name),
    ]);
    const versionsByImage = await images.getVersionsByImageIds([
      ...new Set(
        inventory.instances.flatMap(i => (i.imageId ? [i.imageId] : [])),
      ),
    ]);
    const channelVersions = await images.getVersionsByRefs(
      channels.flatMap(c => (c.version ? [c.version] : [])),
    );

    const syncPeriodMs = periodMs(settings);
    const findings = evaluateDrift({
      annotations: options.annotations,
      policy: settings.policy,
      instances: inventory.instances,
      versionsByImage,
      channels,
      channelVersions,
      launchTemplates: inventory.launchTemplates,
      sync: inventory.sync,
      syncPeriodMs,
      now,
    });
    const sync: SyncStatus = inventory.sync
      ? {
          status: inventory.sync.status,
          lastAttemptAt: inventory.sync.lastAttemptAt,
          lastSuccessAt: inventory.sync.lastSuccessAt,
          error: inventory.sync.error,
          stale: findings.some(f => f.rule === 'stale-inventory'),
        }
      : { status: 'never', stale: false };
    return {
      inventory,
      findings,
      versionsByImage,
      channels,
      score: scoreEntity({
        annotations: options.annotations,
        instances: inventory.instances,
        findings,
        versionsByImage,
      }),
      sync,
    };
  }
}
