import {
  ConflictError,
  InputError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import {
  AMI_ID_PATTERN,
  Channel,
  ChannelAssignment,
  IMAGE_VERSION_REF_PATTERN,
  ImageFamily,
  ImageVersion,
  immutableInfraChannelAssignPermission,
  immutableInfraImageCreatePermission,
  immutableInfraImagePrunePermission,
  immutableInfraImageRevokePermission,
  LATEST_CHANNEL,
  PruneResult,
  RegisterImageRequest,
} from '@immutable-infra/backstage-plugin-common';
import { Caller, principalRef } from '../audit/principalRef';
import { EntityAccess } from '../catalog/EntityAccess';
import { ArtifactVerifier } from './ArtifactVerifier';
import { ChannelChange } from './DatabaseChannelStore';
import { EnrollResult } from './DatabaseFamilyStore';
import { VersionLookup } from './DatabaseVersionStore';
import { ImagePruner } from './ImagePruner';
import { digestOf, resolveBuild } from './manifest';
import { RegistryStores } from './RegistryStores';
import { Page } from './rows';

/** A version by its id in URLs: `<family>@<version>` or an AMI id. */
function lookupOf(id: string): VersionLookup {
  const match = IMAGE_VERSION_REF_PATTERN.exec(id);
  if (match) {
    return { family: match[1], version: Number(match[2]) };
  }
  if (AMI_ID_PATTERN.test(id)) {
    return { imageId: id };
  }
  throw new InputError(
    `Invalid image id "${id}": expected "<family>@<version>" or an AMI id`,
  );
}

function answerChannelChange(change: ChannelChange) {
  if (change.outcome === 'no-target') {
    throw new NotFoundError(change.message);
  }
  if (change.outcome === 'unusable') {
    throw new ConflictError(
      `${change.version.id} is ${change.version.state} and cannot be assigned to a channel`,
    );
  }
  return { channel: change.channel, changed: change.outcome === 'changed' };
}

/** A channel that may be assigned: not the managed `latest`. */
function assignable(channel: string): string {
  if (channel === LATEST_CHANNEL) {
    throw new InputError(
      `The "${LATEST_CHANNEL}" channel is managed: it always points at the newest active version`,
    );
  }
  return channel;
}

/** Rejects after `ms` with 503 naming what took too long. */
async function within<T>(ms: number, what: string, work: Promise<T>) {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new ServiceUnavailableError(
            `${what} took longer than ${Math.round(
              ms / 1000,
            )} s and was given up; nothing was registered, try again`,
          ),
        ),
      ms,
    );
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The image registry: enrolment, registration with the ownership check,
 * revocation and restoration with descendants, channels and their
 * rollback, and pruning. Every method checks the caller's permission on the
 * entity the family belongs to, and answers 404 for a family whose entity
 * the caller may not read.
 *
 * @internal
 */
export class ImageRegistry {
  constructor(
    private readonly options: {
      stores: RegistryStores;
      access: EntityAccess;
      verifier: ArtifactVerifier;
      pruner: ImagePruner;
      /** The longest a registration may take, checks included. */
      registrationTimeoutMs: number;
      policy: { keepVersions: number; pruneMinAgeDays: number };
    },
  ) {}

  /**
   * The family, if the caller may read its entity in the catalog; 404 both
   * for an unknown family and for one the caller may not see.
   */
  async readableFamily(
    name: string,
    credentials: Caller,
  ): Promise<ImageFamily> {
    const family = await this.options.stores.families.getFamily(name);
    const entity = family
      ? await this.options.access.readEntity(family.entityRef, credentials)
      : undefined;
    if (!family || !entity) {
      throw new NotFoundError(
        `No image family "${name}" found, or you may not read its entity`,
      );
    }
    return family;
  }

  /**
   * The family, if the caller may read its entity, for reads: the catalog's
   * read permission is checked for the entity (as {@link listFamilies}
   * does) without reading the entity from the catalog, so a page's several
   * reads cost no catalog request each. 404 as {@link readableFamily}.
   */
  private async visibleFamily(
    name: string,
    credentials: Caller,
  ): Promise<ImageFamily> {
    const family = await this.options.stores.families.getFamily(name);
    const [mayRead] = family
      ? await this.options.access.mayRead([family.entityRef], credentials)
      : [false];
    if (!family || !mayRead) {
      throw new NotFoundError(
        `No image family "${name}" found, or you may not read its entity`,
      );
    }
    return family;
  }

  /** The enrolled families whose entity the caller may read, by name. */
  async listFamilies(credentials: Caller): Promise<ImageFamily[]> {
    const families = await this.options.stores.families.listFamilies();
    const readable = await this.options.access.mayRead(
      families.map(f => f.entityRef),
      credentials,
    );
    return families.filter((_, index) => readable[index]);
  }

  /** A version by id, if the caller may read its family; else 404. */
  async readableVersion(
    id: string,
    credentials: Caller,
  ): Promise<{ version: ImageVersion; family: ImageFamily }> {
    const version = await this.options.stores.versions.getVersion(lookupOf(id));
    if (!version) {
      throw new NotFoundError(`No image ${id} is registered`);
    }
    const family = await this.readableFamily(version.family, credentials);
    return { version, family };
  }

  /** Registers a family to an entity; 409 when another entity has it. */
  async enroll(options: {
    name: string;
    entityRef: string;
    credentials: Caller;
  }): Promise<Exclude<EnrollResult, { outcome: 'taken' }>> {
    await this.options.access.authorize({
      permission: immutableInfraImageCreatePermission,
      entityRef: options.entityRef,
      credentials: options.credentials,
      message: `You may not enroll image families for ${options.entityRef}`,
    });
    const enrolled = await this.options.stores.families.enrollFamily({
      name: options.name,
      entityRef: options.entityRef,
      actor: principalRef(options.credentials),
    });
    if (enrolled.outcome === 'taken') {
      throw new ConflictError(
        `Image family "${options.name}" is already enrolled by ${enrolled.family.entityRef}`,
      );
    }
    return enrolled;
  }

  /**
   * Registers a version from a Packer manifest or explicit artifacts, after
   * checking that each AMI is its account's; the same content again answers
   * the existing version. The checks are bounded in time.
   */
  async register(options: {
    request: RegisterImageRequest;
    credentials: Caller;
  }): Promise<{ version: ImageVersion; created: boolean }> {
    const build = resolveBuild(options.request);
    const family = await this.options.stores.families.getFamily(build.family);
    if (!family) {
      throw new InputError(
        `Image family "${build.family}" is not enrolled; enroll it first (POST /families or the immutable-infra:enroll action)`,
      );
    }
    await this.options.access.authorize({
      permission: immutableInfraImageCreatePermission,
      entityRef: family.entityRef,
      credentials: options.credentials,
      message: `You may not register images of ${family.name}`,
    });
    // The checks with EC2 are what may take long; the write that follows
    // is not cut short, so a 503 always means nothing was registered.
    await within(
      this.options.registrationTimeoutMs,
      `Checking the ${build.artifacts.length} AMIs of ${build.family} with EC2`,
      this.options.verifier.verify(build.artifacts),
    );
    const registered = await this.options.stores.versions.registerVersion({
      build,
      digest: digestOf(build),
      source: 'registered',
      actor: principalRef(options.credentials),
    });
    if (registered.outcome === 'artifact-taken') {
      throw new ConflictError(
        `${registered.imageId} is already registered as ${registered.version}`,
      );
    }
    if (registered.outcome === 'unknown-family') {
      throw new InputError(`Image family "${build.family}" is not enrolled`);
    }
    return {
      version: registered.version,
      created: registered.outcome === 'created',
    };
  }

  /**
   * Revokes or restores a version, and with `descendants` the versions
   * built on it; each descendant family's owner must allow it too.
   * Answers the versions that changed.
   */
  async setRevoked(options: {
    id: string;
    revoked: boolean;
    descendants: boolean;
    reason?: string;
    credentials: Caller;
  }): Promise<ImageVersion[]> {
    const { credentials } = options;
    const action = options.revoked ? 'revoke' : 'restore';
    const { version, family } = await this.readableVersion(
      options.id,
      credentials,
    );
    await this.options.access.authorize({
      permission: immutableInfraImageRevokePermission,
      entityRef: family.entityRef,
      credentials,
      message: `You may not ${action} images of ${version.family}`,
    });
    const families = options.descendants
      ? (
          await this.options.stores.lifecycle.descendantFamilies(version)
        ).filter(f => f !== version.family)
      : [];
    for (const name of families) {
      const descendant = await this.options.stores.families.getFamily(name);
      await this.options.access.authorize({
        permission: immutableInfraImageRevokePermission,
        entityRef: descendant!.entityRef,
        credentials,
        message: `You may not ${action} images of ${name}, which are built on ${version.id}`,
      });
    }
    if (version.state === 'pruned') {
      throw new ConflictError(`${version.id} was pruned: its AMIs are gone`);
    }
    return this.options.stores.lifecycle.setRevoked({
      version,
      revoked: options.revoked,
      descendants: options.descendants,
      families,
      reason: options.reason,
      actor: principalRef(credentials),
    });
  }

  /** A family's channels, `latest` first. */
  async listChannels(
    familyName: string,
    credentials: Caller,
  ): Promise<{ family: string; channels: Channel[] }> {
    const family = await this.visibleFamily(familyName, credentials);
    return {
      family: family.name,
      channels: await this.options.stores.channels.listChannels(family.name),
    };
  }

  /** A family's channel assignments, newest first. */
  async channelHistory(options: {
    family: string;
    channel?: string;
    cursor?: string;
    limit: number;
    credentials: Caller;
  }): Promise<Page<ChannelAssignment>> {
    const family = await this.visibleFamily(
      options.family,
      options.credentials,
    );
    return this.options.stores.channels.listAssignments({
      family: family.name,
      channel: options.channel,
      cursor: options.cursor,
      limit: options.limit,
    });
  }

  /** Points a channel at a version, by number or `<family>@<version>`. */
  async assignChannel(options: {
    family: string;
    channel: string;
    version: number | string;
    reason?: string;
    credentials: Caller;
  }): Promise<{ channel: Channel; changed: boolean }> {
    const channel = assignable(options.channel);
    const family = await this.readableFamily(
      options.family,
      options.credentials,
    );
    let version: number;
    if (typeof options.version === 'number') {
      version = options.version;
    } else {
      const match = IMAGE_VERSION_REF_PATTERN.exec(options.version);
      if (!match || match[1] !== family.name) {
        throw new InputError(
          `${options.version} is not a version of family ${family.name}`,
        );
      }
      version = Number(match[2]);
    }
    await this.options.access.authorize({
      permission: immutableInfraChannelAssignPermission,
      entityRef: family.entityRef,
      credentials: options.credentials,
      message: `You may not assign channels of ${family.name}`,
    });
    return answerChannelChange(
      await this.options.stores.channels.assignChannel({
        family: family.name,
        channel,
        version,
        actor: principalRef(options.credentials),
        reason: options.reason,
      }),
    );
  }

  /** Points a channel back at an earlier assignment's version. */
  async rollbackChannel(options: {
    family: string;
    channel: string;
    assignmentId?: string;
    reason?: string;
    credentials: Caller;
  }): Promise<{ channel: Channel; changed: boolean }> {
    const channel = assignable(options.channel);
    const family = await this.readableFamily(
      options.family,
      options.credentials,
    );
    await this.options.access.authorize({
      permission: immutableInfraChannelAssignPermission,
      entityRef: family.entityRef,
      credentials: options.credentials,
      message: `You may not roll back channels of ${family.name}`,
    });
    return answerChannelChange(
      await this.options.stores.channels.rollbackChannel({
        family: family.name,
        channel,
        assignmentId: options.assignmentId,
        actor: principalRef(options.credentials),
        reason: options.reason,
      }),
    );
  }

  /** Prunes one family, or every family; a dry run by default. */
  async prune(options: {
    family?: string;
    dryRun: boolean;
    keepVersions?: number;
    minAgeDays?: number;
    credentials: Caller;
  }): Promise<PruneResult> {
    const families = options.family
      ? [(await this.readableFamily(options.family, options.credentials)).name]
      : (await this.options.stores.families.listFamilies()).map(f => f.name);
    await this.options.access.authorizeBasic({
      permission: immutableInfraImagePrunePermission,
      credentials: options.credentials,
      message: 'You may not prune images',
    });
    return this.options.pruner.prune({
      families,
      keepVersions: options.keepVersions ?? this.options.policy.keepVersions,
      minAgeDays: options.minAgeDays ?? this.options.policy.pruneMinAgeDays,
      dryRun: options.dryRun,
      actor: principalRef(options.credentials),
    });
  }

  /** A family's versions, newest first. */
  async listVersions(options: {
    family: string;
    cursor?: string;
    limit: number;
  }): Promise<Page<ImageVersion>> {
    return this.options.stores.versions.listVersions(options);
  }
}
