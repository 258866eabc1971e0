import { SshExposure } from '../providers/FleetProvider';

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
  tags: Record<string, string>;
  firstSeenAt: string;
  lastSeenAt: string;
};

/** The last sync of an entity. @internal */
export type SyncState = {
  entityRef: string;
  status: 'ok' | 'failed';
  lastAttemptAt: string;
  lastSuccessAt?: string;
  error?: string;
};
