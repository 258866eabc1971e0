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
  /**
   * EC2's `MetadataOptions.HttpTokens`: `required` when the instance answers
   * only instance metadata v2; undefined when EC2 did not say.
   */
  metadataHttpTokens?: string;
} & InstanceFacts;

/**
 * A fact another service than EC2 was asked for, or why it could not be:
 * a fact that could not be read is `unknown`, never taken as good.
 *
 * @internal
 */
export type FactUnknown = { status: 'unknown'; error: string };

/**
 * What fleet sync reads of an instance from Systems Manager and CloudWatch
 * Logs. Each is absent when it was not asked for.
 *
 * @internal
 */
export type InstanceFacts = {
  /**
   * Whether Systems Manager lists the instance as a managed instance; asked
   * only when the policy requires Systems Manager.
   */
  systemsManager?: { status: 'managed' | 'unmanaged' } | FactUnknown;
  /**
   * The newest event of the instance's log streams in the entity's
   * CloudWatch Logs group, among streams with an event in the window; asked
   * only when `log-destination` is `cloudwatch:<group>`.
   */
  logs?: ({ status: 'read'; lastEventAt?: string } | FactUnknown) & {
    group: string;
  };
  /**
   * The latest interactive session Systems Manager lists on the instance
   * (`read` without `startedAt` when there is none).
   */
  session?:
    | {
        status: 'read';
        id?: string;
        /** Who opened it: the IAM identity's ARN. */
        owner?: string;
        startedAt?: string;
      }
    | FactUnknown;
};

/** An interactive session Systems Manager lists. @internal */
export type InteractiveSession = {
  id: string;
  /** The instance it was opened on. */
  target: string;
  owner?: string;
  startedAt?: string;
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

  /**
   * Every instance (not terminated) of an account and region that carries
   * any of these tag keys, whatever their values: the inventory a full sync
   * lists once per account and region, then partitions by the entities'
   * selectors. A provider without it is asked entity by entity.
   */
  listAccountInstances?(
    location: ImageLocation & {
      tagKeys: string[];
      /** Stops the listing (between pages at least), which then rejects. */
      signal?: AbortSignal;
    },
  ): Promise<FleetInstance[]>;

  /**
   * The default versions of these launch templates (names or ids) of one
   * region, in as few calls as the cloud allows; a template that does not
   * exist is left out. Without it, each is asked for alone.
   */
  getLaunchTemplateDefaults?(
    location: ImageLocation & { launchTemplates: string[] },
  ): Promise<LaunchTemplateDefault[]>;

  /** The default version of a launch template, by name or id. */
  getLaunchTemplateDefault(
    location: ImageLocation & { launchTemplate: string },
  ): Promise<LaunchTemplateDefault | undefined>;

  /** The named Auto Scaling groups that exist; the others are left out. */
  describeAutoScalingGroups(
    location: ImageLocation & { names: string[] },
  ): Promise<AutoScalingGroupDescription[]>;

  /*
   * The facts beyond EC2. A provider without one cannot read it: fleet sync
   * then marks the fact unknown.
   */

  /** Which of these instances Systems Manager lists as managed instances. */
  listManagedInstances?(
    location: ImageLocation & { instanceIds: string[] },
  ): Promise<Set<string>>;

  /**
   * The newest event time (epoch ms) of each instance's log streams in a
   * CloudWatch Logs group, among streams with an event since `since`; an
   * instance without one is left out.
   */
  lastLogEvents?(
    location: ImageLocation & { group: string; since: number },
  ): Promise<Map<string, number>>;

  /** Interactive sessions Systems Manager lists, active and in its history. */
  listSessions?(location: ImageLocation): Promise<InteractiveSession[]>;

  /**
   * Logins sshd let in (its "Accepted" lines) shipped to a CloudWatch Logs
   * group since `since` (epoch ms), each on the instance its stream is
   * named after; the id starts with `sshd:`.
   */
  listLogins?(
    location: ImageLocation & { group: string; since: number },
  ): Promise<InteractiveSession[]>;
}
