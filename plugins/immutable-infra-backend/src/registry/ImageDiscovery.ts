import { LoggerService } from '@backstage/backend-plugin-api';
import { ImageArtifactInput } from '@immutable-infra/backstage-plugin-common';
import { RegistryStores } from './RegistryStores';
import { ImageProvider, OwnedImage } from '../providers/ImageProvider';
import { digestOf, ImageBuild } from './manifest';

/** AMI tags read by discovery. @internal */
export const IMAGE_TAGS = {
  family: 'immutable-infra:family',
  version: 'immutable-infra:version',
  commit: 'git:commit',
  repo: 'git:repo',
  buildUrl: 'build:url',
  parent: 'immutable-infra:parent-image',
} as const;

/** What one discovery run did. @internal */
export type DiscoveryResult = {
  discovered: string[];
  missing: string[];
  /** Tagged images of families nobody has enrolled. */
  unenrolled: string[];
  failedRegions: { region: string; error: string }[];
};

const ACTOR = 'plugin:immutable-infra/discovery';

/**
 * Finds the account's own AMIs in every configured region. Tagged images of
 * enrolled families that the registry does not know become versions (marked
 * discovered); registered versions whose AMIs vanished are marked missing,
 * never deleted from history. A region that cannot be listed changes nothing.
 *
 * @internal
 */
export class ImageDiscovery {
  constructor(
    private readonly options: {
      stores: RegistryStores;
      provider: ImageProvider;
      logger: LoggerService;
      regions: string[];
    },
  ) {}

  async run(): Promise<DiscoveryResult> {
    const result: DiscoveryResult = {
      discovered: [],
      missing: [],
      unenrolled: [],
      failedRegions: [],
    };
    const listed: OwnedImage[] = [];
    const scanned: string[] = [];
    for (const region of this.options.regions) {
      try {
        listed.push(
          ...(await this.options.provider.listOwnedImages({ region })),
        );
        scanned.push(region);
      } catch (error) {
        result.failedRegions.push({ region, error: String(error) });
        this.options.logger.warn(
          `Image discovery could not list images in ${region}: ${error}`,
        );
      }
    }

    const families = new Set(
      (await this.options.stores.families.listFamilies()).map(f => f.name),
    );
    const known = await this.options.stores.versions.getVersionsByImageIds(
      listed.filter(i => i.tags[IMAGE_TAGS.family]).map(i => i.imageId),
    );
    const builds = new Map<string, { images: OwnedImage[] }>();
    for (const image of listed) {
      const family = image.tags[IMAGE_TAGS.family];
      if (!family || image.state === 'deregistered') {
        continue;
      }
      if (!families.has(family)) {
        result.unenrolled.push(image.imageId);
        continue;
      }
      if (known.has(image.imageId)) {
        continue;
      }
      // AMIs of one build in several regions share the version tag.
      const key = `${family}/${
        image.tags[IMAGE_TAGS.version] ??
        image.tags[IMAGE_TAGS.commit] ??
        image.imageId
      }`;
      const entry = builds.get(key) ?? { images: [] };
      entry.images.push(image);
      builds.set(key, entry);
    }

    const ordered = [...builds.values()].sort(
      (a, b) => earliest(a.images) - earliest(b.images),
    );
    for (const { images } of ordered) {
      const tags = images[0].tags;
      const build: ImageBuild = {
        family: tags[IMAGE_TAGS.family],
        artifacts: dedupeRegions(images),
        gitCommit: tags[IMAGE_TAGS.commit],
        gitRepo: tags[IMAGE_TAGS.repo],
        buildUrl: tags[IMAGE_TAGS.buildUrl],
        parent: tags[IMAGE_TAGS.parent],
        buildInputs: {},
        builtAt: new Date(earliest(images)),
      };
      try {
        const registered = await this.options.stores.versions.registerVersion({
          build,
          digest: digestOf(build),
          source: 'discovered',
          actor: ACTOR,
        });
        if (registered.outcome === 'created') {
          result.discovered.push(registered.version.id);
        }
      } catch (error) {
        this.options.logger.warn(
          `Could not record discovered images ${images
            .map(i => i.imageId)
            .join(', ')}: ${error}`,
        );
      }
    }

    result.missing = await this.options.stores.lifecycle.reconcilePresence({
      regions: scanned,
      present: new Set(listed.map(i => i.imageId)),
      actor: ACTOR,
    });
    // One line per run, so operators see which replica ran it and what it
    // found.
    this.options.logger.info(
      `Image discovery: ${listed.length} images in ${scanned.length} of ${
        this.options.regions.length
      } regions, ${result.discovered.length} new versions${
        result.discovered.length ? ` (${result.discovered.join(', ')})` : ''
      }, ${result.missing.length} missing${
        result.missing.length ? ` (${result.missing.join(', ')})` : ''
      }`,
    );
    return result;
  }
}

function earliest(images: OwnedImage[]): number {
  return Math.min(...images.map(i => i.createdAt?.getTime() ?? Date.now()));
}

/** One AMI per region: the oldest wins, the rest stay unregistered. */
function dedupeRegions(images: OwnedImage[]): ImageArtifactInput[] {
  const byRegion = new Map<string, OwnedImage>();
  for (const image of [...images].sort(
    (a, b) => (a.createdAt?.getTime() ?? 0) - (b.createdAt?.getTime() ?? 0),
  )) {
    if (!byRegion.has(image.region)) {
      byRegion.set(image.region, image);
    }
  }
  return [...byRegion.values()].map(i => ({
    region: i.region,
    imageId: i.imageId,
    account: i.account,
  }));
}
