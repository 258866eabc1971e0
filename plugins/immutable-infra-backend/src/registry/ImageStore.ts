import {
  ChannelAssignment,
  Channel,
  ImageFamily,
  ImageVersion,
} from '@immutable-infra/backstage-plugin-common';
import { ImageBuild } from './manifest';

/**
 * Outcome of enrolling a family.
 *
 * @internal
 */
export type EnrollResult =
  | { outcome: 'created' | 'existing'; family: ImageFamily }
  | { outcome: 'taken'; family: ImageFamily };

/**
 * Outcome of registering a version.
 *
 * @internal
 */
export type RegisterResult =
  | { outcome: 'created' | 'existing'; version: ImageVersion }
  | { outcome: 'unknown-family' }
  | { outcome: 'artifact-taken'; imageId: string; version: string };

/** A version, by `<family>@<version>` or by one of its AMI ids. @internal */
export type VersionLookup =
  | { family: string; version: number }
  | { imageId: string };

/** @internal */
export type Page<T> = { items: T[]; nextCursor?: string };

/** @internal */
export type ChannelChange =
  | { outcome: 'changed' | 'unchanged'; channel: Channel }
  | { outcome: 'unusable'; version: ImageVersion }
  | { outcome: 'no-target'; message: string };

/**
 * Persistence of the image registry: families, versions, artifacts,
 * channels and their history. Every mutation writes its audit event in the
 * same transaction.
 *
 * @internal
 */
export interface ImageStore {
  getFamily(name: string): Promise<ImageFamily | undefined>;

  listFamilies(): Promise<ImageFamily[]>;

  /**
   * Registers a family for an entity. Enrolling a family the entity already
   * owns changes nothing; a family owned by another entity is `taken`.
   */
  enrollFamily(options: {
    name: string;
    entityRef: string;
    actor: string;
  }): Promise<EnrollResult>;

  /**
   * Registers a version with the next number of its family. The same content
   * (digest) registered again answers the existing version.
   */
  registerVersion(options: {
    build: ImageBuild;
    digest: string;
    source: 'registered' | 'discovered';
    actor: string;
  }): Promise<RegisterResult>;

  getVersion(lookup: VersionLookup): Promise<ImageVersion | undefined>;

  /** Versions by `<family>@<version>` refs, in a few queries. */
  getVersionsByRefs(refs: string[]): Promise<Map<string, ImageVersion>>;

  /** The registered versions of these AMIs, by AMI id, in a few queries. */
  getVersionsByImageIds(imageIds: string[]): Promise<Map<string, ImageVersion>>;

  /** Versions of a family, newest first, paged by version number. */
  listVersions(options: {
    family: string;
    cursor?: string;
    limit: number;
  }): Promise<Page<ImageVersion>>;

  /**
   * Revokes (or restores) a version, and with `descendants` every version
   * built on it, directly or not. Answers the versions that changed.
   */
  setRevoked(options: {
    version: ImageVersion;
    revoked: boolean;
    descendants: boolean;
    /** Families whose descendants may change; the caller authorised these. */
    families?: string[];
    reason?: string;
    actor: string;
  }): Promise<ImageVersion[]>;

  /** Families of every version built on this one, directly or not. */
  descendantFamilies(version: ImageVersion): Promise<string[]>;

  listChannels(family: string): Promise<Channel[]>;

  assignChannel(options: {
    family: string;
    channel: string;
    version: number;
    actor: string;
    reason?: string;
  }): Promise<ChannelChange>;

  /**
   * Points a channel back at the version of an earlier assignment: the one
   * named, or the one before the current.
   */
  rollbackChannel(options: {
    family: string;
    channel: string;
    assignmentId?: string;
    actor: string;
    reason?: string;
  }): Promise<ChannelChange>;

  listAssignments(options: {
    family: string;
    channel?: string;
    cursor?: string;
    limit: number;
  }): Promise<Page<ChannelAssignment>>;

  /**
   * Records what pruning deleted. The version becomes `pruned` only when
   * every AMI is gone (`complete`); either way an audit event is written.
   */
  markPruned(options: {
    version: ImageVersion;
    actor: string;
    deleted: { region: string; imageId: string; deletedSnapshots: string[] }[];
    complete: boolean;
    errors: string[];
  }): Promise<void>;

  /**
   * Compares the registry with what the cloud reported in `regions`: a
   * version with an AMI there that is not in `present` is marked missing
   * (once, with the time it was first missed); one whose AMIs are all back
   * is cleared. Answers the ids of the versions newly missing.
   */
  reconcilePresence(options: {
    regions: string[];
    present: Set<string>;
    actor: string;
  }): Promise<string[]>;
}
