import { ImageVersion } from '@immutable-infra/backstage-plugin-common';

/** A version as ancestry compares it. @internal */
export type AncestryFacts = {
  id: string;
  family: string;
  version: number;
  state: ImageVersion['state'];
  /** Build time, epoch milliseconds. */
  builtAt: number;
};

/** Built later, or at the same time with a higher number. */
function isNewer(a: AncestryFacts, b: AncestryFacts): boolean {
  return (
    a.builtAt > b.builtAt || (a.builtAt === b.builtAt && a.version > b.version)
  );
}

/**
 * Whether a version's base image is current: out of date when its parent is
 * revoked or its parent's family has a newer `latest`; undetermined when the
 * parent is not a registered version.
 *
 * @internal
 */
export function ancestryOf(options: {
  /** The parent as written at registration. */
  parent?: string;
  /** The parent as a registered version. */
  parentVersion?: AncestryFacts;
  /** The latest of the parent's family. */
  newest?: AncestryFacts;
}): ImageVersion['ancestry'] {
  const { parent, parentVersion, newest } = options;
  if (parentVersion) {
    if (parentVersion.state === 'revoked') {
      return {
        status: 'out-of-date',
        detail: `its parent ${parentVersion.id} is revoked`,
      };
    }
    if (newest && isNewer(newest, parentVersion)) {
      return {
        status: 'out-of-date',
        detail: `built on ${parentVersion.id}; ${newest.id} is newer`,
      };
    }
    return {
      status: 'up-to-date',
      detail: `built on ${parentVersion.id}, the newest ${parentVersion.family}`,
    };
  }
  if (parent) {
    return {
      status: 'undetermined',
      detail: `its parent ${parent} is not a registered version`,
    };
  }
  return undefined;
}
