import { ImageLocation } from './ImageProvider';

/** How far port 22 is open on an instance. @internal */
export type SshExposure = 'none' | 'restricted' | 'world';

/** An instance as the cloud reports it, with what drift rules need. @internal */
export type FleetInstance = {
  instanceId: string;
  region: string;
  account?: string;
  imageId?: string;
  launchTime?: Date;
  state?: string;
  keyName?: string;
  launchTemplateId?: string;
  launchTemplateVersion?: string;
  asg?: string;
  sshExposure: SshExposure;
  /** CIDRs and security groups allowed on port 22. */
  sshSources: string[];
  tags: Record<string, string>;
};

/** A launch template's default version. @internal */
export type LaunchTemplateDefault = {
  id: string;
  name: string;
  region: string;
  defaultVersion: number;
  imageId?: string;
};

/** An instance as its Auto Scaling group lists it. @internal */
export type AutoScalingInstance = {
  instanceId: string;
  lifecycleState?: string;
  healthStatus?: string;
};

/**
 * An Auto Scaling group as the cloud describes it, with the AMI its launch
 * template version launches.
 *
 * @internal
 */
export type AutoScalingGroupDescription = {
  name: string;
  region: string;
  minSize: number;
  maxSize: number;
  desiredCapacity: number;
  /** Whether instances the group launches start protected from scale-in. */
  newInstancesProtectedFromScaleIn?: boolean;
  launchTemplate?: {
    id: string;
    name: string;
    /** The version as the group names it: a number, `$Latest` or `$Default`. */
    version: string;
    /** The number that version resolves to now. */
    resolvedVersion?: number;
    /** The AMI that version launches. */
    imageId?: string;
  };
  /** A launch configuration instead of a template (legacy groups). */
  launchConfiguration?: { name: string; imageId?: string };
  instances: AutoScalingInstance[];
  targetGroupArns: string[];
};

/**
 * Every call fleet sync makes to the cloud. One instance is kept per sync so
 * security groups looked up once are not asked for again.
 *
 * @internal
 */
export interface FleetProvider {
  /** Instances (not terminated) matching every tag of the selector. */
  listInstances(
    location: ImageLocation & { selector: { key: string; value: string }[] },
  ): Promise<FleetInstance[]>;

  /** The default version of a launch template, by name or id. */
  getLaunchTemplateDefault(
    location: ImageLocation & { launchTemplate: string },
  ): Promise<LaunchTemplateDefault | undefined>;

  /** The named Auto Scaling groups that exist; the others are left out. */
  describeAutoScalingGroups(
    location: ImageLocation & { names: string[] },
  ): Promise<AutoScalingGroupDescription[]>;
}
