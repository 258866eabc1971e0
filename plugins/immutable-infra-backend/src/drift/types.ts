import {
  ImageVersion,
  Rollout,
  SCORE_CHECK_IDS,
} from '@immutable-infra/backstage-plugin-common';
import type {
  AutoScalingGroupDescription,
  InstanceFacts,
  LaunchTemplateDefault,
  SshExposure,
} from '../providers/FleetProvider';

/** An instance of an entity's fleet, as the inventory holds it. @internal */
export type InstanceRecord = {
  entityRef: string;
  instanceId: string;
  environment?: string;
  account?: string;
  region: string;
  imageId?: string;
  launchTime?: string;
  state?: string;
  launchTemplateId?: string;
  launchTemplateVersion?: string;
  asg?: string;
  sshExposure: SshExposure;
  sshSources: string[];
  keyName?: string;
  /** EC2's `MetadataOptions.HttpTokens` (`required`: metadata v2 only). */
  metadataHttpTokens?: string;
  /**
   * The other entities whose fleet selectors match the instance too, as the
   * last full sync found them (rule `owned-twice`); absent when none.
   */
  ownedAlsoBy?: string[];
  /** EC2 tags: instance rows keep them; page reads leave them out. */
  tags?: Record<string, string>;
  firstSeenAt: string;
  lastSeenAt: string;
} & InstanceFacts;

/** The last sync of an entity. @internal */
export type SyncState = {
  entityRef: string;
  status: 'ok' | 'failed';
  lastAttemptAt: string;
  lastSuccessAt?: string;
  error?: string;
};

/** What the drift rules and the score need of a registered version. @internal */
export type VersionFacts = Pick<
  ImageVersion,
  | 'id'
  | 'family'
  | 'version'
  | 'state'
  | 'gitCommit'
  | 'revokedAt'
  | 'revokeReason'
  | 'createdAt'
>;

/** A version a channel points at, with its AMI in each region. @internal */
export type ChannelVersionFacts = VersionFacts & {
  artifacts: Pick<ImageVersion['artifacts'][number], 'region' | 'imageId'>[];
};

/**
 * An Auto Scaling group the entity's `autoscaling-group` annotation names
 * for an environment, as the last sync found it in one of the entity's
 * regions.
 *
 * @internal
 */
export type AutoScalingGroupRecord = {
  environment: string;
  name: string;
  region: string;
  /** Undefined when the region has no group of that name. */
  group?: AutoScalingGroupDescription;
};

/** An entity's inventory as last synced. @internal */
export type Inventory = {
  instances: InstanceRecord[];
  launchTemplates: LaunchTemplateDefault[];
  /** One record per annotated group and region searched. */
  autoscalingGroups: AutoScalingGroupRecord[];
  sync?: SyncState;
};

/** The id of a check of the immutability score. @internal */
export type ScoreCheckId = (typeof SCORE_CHECK_IDS)[number];

/**
 * A rollout of the entity that holds its environment (not ended, or
 * aborted or failed and still cleaning up), as the score reads it.
 *
 * @internal
 */
export type ActiveRollout = Pick<
  Rollout,
  | 'id'
  | 'environment'
  | 'toVersion'
  | 'state'
  | 'currentStep'
  | 'steps'
  | 'fleets'
  | 'status'
>;
