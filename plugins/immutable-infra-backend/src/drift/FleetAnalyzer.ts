import {
  Channel,
  DriftFinding,
  ImageFamily,
  ImmutabilityScore,
  ImmutableInfraAnnotations,
  SyncStatus,
} from '@immutable-infra/backstage-plugin-common';
import { evaluateDrift } from './rules';
import type { DriftPolicy } from './rules/DriftRuleDefinition';
import { scoreEntity } from './score';
import {
  ActiveRollout,
  ChannelVersionFacts,
  Inventory,
  VersionFacts,
} from './types';

/** What the analysis of an entity's fleet reads. @internal */
export type FleetFacts = {
  inventory: Inventory;
  /** Registered versions of the AMIs the fleet runs, by AMI id. */
  versionsByImage: Map<string, VersionFacts>;
  /** Channels of each family, `latest` first. */
  channels: Map<string, Channel[]>;
  /** The versions those channels point at: `<family>@<n>` → version. */
  channelVersions: Map<string, ChannelVersionFacts>;
};

/** Everything known about one entity's fleet. @internal */
export type FleetAnalysis = {
  inventory: Inventory;
  findings: DriftFinding[];
  versionsByImage: Map<string, VersionFacts>;
  channels: Channel[];
  score: ImmutabilityScore;
  sync: SyncStatus;
};

/** The policy the rules apply: ages, Systems Manager and logs. @internal */
export type AgePolicy = DriftPolicy;

/**
 * Applies the drift rules and the score to an entity's fleet as the read
 * model loaded it. Pure: drift always reflects the channels and revocations
 * of that read, not those of the last sync.
 *
 * @internal
 */
export class FleetAnalyzer {
  constructor(
    private readonly options: {
      policy: AgePolicy;
      /**
       * The longest time between two syncs; undefined when syncs run only
       * when triggered (then a failed last sync makes the inventory stale).
       */
      syncPeriodMs: number | undefined;
    },
  ) {}

  /**
   * Analyses an entity's fleet. `family` is the entity's registered family,
   * already checked by the caller to belong to it; `rollouts` are the
   * entity's rollouts that hold an environment, which the score reads.
   */
  analyze(options: {
    annotations: ImmutableInfraAnnotations;
    family: ImageFamily;
    data: FleetFacts;
    rollouts?: ActiveRollout[];
    now?: number;
  }): FleetAnalysis {
    const { inventory, versionsByImage, channelVersions } = options.data;
    const channels = options.data.channels.get(options.family.name) ?? [];
    const now = options.now ?? Date.now();
    const findings = evaluateDrift({
      annotations: options.annotations,
      policy: this.options.policy,
      instances: inventory.instances,
      versionsByImage,
      channels,
      channelVersions,
      launchTemplates: inventory.launchTemplates,
      autoscalingGroups: inventory.autoscalingGroups,
      sync: inventory.sync,
      syncPeriodMs: this.options.syncPeriodMs ?? 0,
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
        rollouts: options.rollouts,
      }),
      sync,
    };
  }
}
