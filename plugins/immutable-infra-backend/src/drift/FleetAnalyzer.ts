import {
  Channel,
  DriftFinding,
  ImageFamily,
  ImmutabilityScore,
  ImmutableInfraAnnotations,
  SyncStatus,
} from '@immutable-infra/backstage-plugin-common';
import { EntityFleetData } from '../entities/EntityReadModel';
import { Inventory } from '../fleet/FleetStore';
import { ImmutableInfraSettings } from '../config/settings';
import { evaluateDrift } from './rules';
import { scoreEntity } from './score';
import { VersionFacts } from './types';

/** Everything known about one entity's fleet. @internal */
export type FleetAnalysis = {
  inventory: Inventory;
  findings: DriftFinding[];
  versionsByImage: Map<string, VersionFacts>;
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
 * Applies the drift rules and the score to an entity's fleet as the read
 * model loaded it. Pure: drift always reflects the channels and revocations
 * of that read, not those of the last sync.
 *
 * @internal
 */
export class FleetAnalyzer {
  constructor(private readonly options: { settings: ImmutableInfraSettings }) {}

  /**
   * Analyses an entity's fleet. `family` is the entity's registered family,
   * already checked by the caller to belong to it.
   */
  analyze(options: {
    entityRef: string;
    annotations: ImmutableInfraAnnotations;
    family: ImageFamily;
    data: EntityFleetData;
    now?: number;
  }): FleetAnalysis {
    const { settings } = this.options;
    const { inventory, versionsByImage, channelVersions } = options.data;
    const channels = options.data.channels.get(options.family.name) ?? [];
    const now = options.now ?? Date.now();
    const findings = evaluateDrift({
      annotations: options.annotations,
      policy: settings.policy,
      instances: inventory.instances,
      versionsByImage,
      channels,
      channelVersions,
      launchTemplates: inventory.launchTemplates,
      sync: inventory.sync,
      syncPeriodMs: periodMs(settings),
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
