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
}
