/**
 * Where an image lives: a region of an account (the main account when
 * `account` is not given).
 *
 * @internal
 */
export type ImageLocation = { region: string; account?: string };

/**
 * The cloud refused to answer for a reason that waiting will not fix: no
 * credentials for the account, or no permission to ask.
 *
 * @internal
 */
export class CloudAccessError extends Error {
  name = 'CloudAccessError';
}

/**
 * The region is not enabled for the account (an opt-in region): nothing of
 * the account can be there.
 *
 * @internal
 */
export class RegionNotEnabledError extends CloudAccessError {
  name = 'RegionNotEnabledError';
}

/**
 * AMIs grouped by where they live, so that each region of each account is
 * asked once.
 *
 * @internal
 */
export function groupByLocation(
  artifacts: { region: string; account?: string; imageId: string }[],
): (ImageLocation & { imageIds: string[] })[] {
  const groups = new Map<string, ImageLocation & { imageIds: string[] }>();
  for (const artifact of artifacts) {
    const key = `${artifact.account ?? ''}/${artifact.region}`;
    const group = groups.get(key) ?? {
      region: artifact.region,
      account: artifact.account,
      imageIds: [],
    };
    group.imageIds.push(artifact.imageId);
    groups.set(key, group);
  }
  return [...groups.values()];
}

/**
 * An image the account owns, as the cloud reports it.
 *
 * @internal
 */
export type OwnedImage = {
  imageId: string;
  region: string;
  account?: string;
  name?: string;
  state?: string;
  createdAt?: Date;
  tags: Record<string, string>;
};

/**
 * Something that still uses an image, so it must not be pruned.
 *
 * @internal
 */
export type ImageUse =
  | { kind: 'instance'; id: string; state?: string }
  | { kind: 'launch-template'; id: string; name?: string; version: number }
  | { kind: 'autoscaling-group'; name: string }
  | {
      kind: 'launch-permission';
      /** Anyone may launch it. */
      public: boolean;
      /** Other accounts, organizations and organizational units that may. */
      grantees: string[];
    };

/**
 * Every call the registry makes to the cloud, behind one interface.
 *
 * @internal
 */
export interface ImageProvider {
  /** Every image the account owns in the region, tagged or not. */
  listOwnedImages(location: ImageLocation): Promise<OwnedImage[]>;

  /**
   * Which of the given AMI ids are images the account owns in the region
   * (an id of another account's image, or of none, is left out). Throws a
   * {@link CloudAccessError} when the account cannot be asked at all.
   */
  findOwnedImages(
    location: ImageLocation & { imageIds: string[] },
  ): Promise<Set<string>>;

  /**
   * What uses each of the given images in the region: instances that are
   * not terminated, launch template versions, Auto Scaling groups, and
   * launch permissions granted to others (who may launch it any time).
   */
  findImageUses(
    location: ImageLocation & { imageIds: string[] },
  ): Promise<Map<string, ImageUse[]>>;

  /**
   * Deregisters an image and deletes its snapshots. An image that is already
   * gone is no error; snapshots that cannot be deleted are reported.
   */
  deleteImage(location: ImageLocation & { imageId: string }): Promise<{
    deletedSnapshots: string[];
    alreadyGone: boolean;
    snapshotErrors: string[];
  }>;
}
