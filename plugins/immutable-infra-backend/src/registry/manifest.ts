import { InputError } from '@backstage/errors';
import {
  ImageArtifactInput,
  PACKER_AMI_BUILDERS,
  PACKER_CUSTOM_DATA_KEYS,
  parsePackerArtifactId,
  RegisterImageRequest,
} from '@immutable-infra/backstage-plugin-common';
import { createHash } from 'node:crypto';

/**
 * What a registration resolves to, whichever form it came in.
 *
 * @internal
 */
export type ImageBuild = {
  family: string;
  artifacts: ImageArtifactInput[];
  gitCommit?: string;
  gitRepo?: string;
  buildUrl?: string;
  packerRunUuid?: string;
  parent?: string;
  /** Build inputs that make the build reproducible (Packer's custom_data). */
  buildInputs: Record<string, string>;
  /** When the image was built: Packer's build_time, or as given. */
  builtAt?: Date;
};

function pick(data: Record<string, string>, keys: ReadonlyArray<string>) {
  for (const key of keys) {
    if (Object.hasOwn(data, key) && data[key]) {
      return data[key];
    }
  }
  return undefined;
}

/**
 * Parses Packer's `artifact_id` (`us-east-1:ami-0abc,eu-west-1:ami-0def`).
 *
 * @internal
 */
export function parseArtifactId(
  artifactId: string,
  where: string,
): ImageArtifactInput[] {
  const { artifacts, invalid } = parsePackerArtifactId(artifactId);
  if (invalid.length > 0) {
    throw new InputError(
      `${where}: artifact "${invalid[0]}" is not "<region>:<ami id>", e.g. us-east-1:ami-0123456789abcdef0`,
    );
  }
  return artifacts;
}

/** How far ahead of this backend's clock a build's clock may be. */
const MAX_CLOCK_SKEW_MS = 60 * 60 * 1000;

/**
 * Resolves a registration body to one build: the builds of the manifest's
 * chosen run (its `last_run_uuid` unless `runUuid` is given), or the explicit
 * artifacts. Explicit fields override what the manifest's custom_data says.
 *
 * @internal
 */
export function resolveBuild(request: RegisterImageRequest): ImageBuild {
  let artifacts: ImageArtifactInput[];
  let buildInputs: Record<string, string> = {};
  let packerRunUuid: string | undefined;
  let builtAt = request.builtAt ? new Date(request.builtAt) : undefined;
  if (request.manifest) {
    const runUuid = request.runUuid ?? request.manifest.last_run_uuid;
    const builds = request.manifest.builds.filter(
      b => b.packer_run_uuid === runUuid,
    );
    if (builds.length === 0) {
      throw new InputError(
        `manifest has no build of run ${runUuid}; its runs are ${[
          ...new Set(request.manifest.builds.map(b => b.packer_run_uuid)),
        ].join(', ')}`,
      );
    }
    artifacts = [];
    builds.forEach((build, index) => {
      const where = `manifest build ${build.name ?? index} (${
        build.builder_type
      })`;
      if (!PACKER_AMI_BUILDERS.includes(build.builder_type)) {
        throw new InputError(
          `${where} does not produce an AMI; only ${PACKER_AMI_BUILDERS.join(
            ', ',
          )} builds can be registered`,
        );
      }
      artifacts.push(...parseArtifactId(build.artifact_id, where));
      if (build.build_time !== undefined && !request.builtAt) {
        const time = new Date(build.build_time * 1000);
        builtAt = builtAt && builtAt > time ? builtAt : time;
      }
      buildInputs = { ...buildInputs, ...(build.custom_data ?? {}) };
    });
    packerRunUuid = runUuid;
  } else {
    artifacts = request.artifacts!;
  }

  const seen = new Set<string>();
  for (const artifact of artifacts) {
    const key = `${artifact.region}:${artifact.imageId}`;
    if (seen.has(key)) {
      throw new InputError(`artifact ${key} is listed twice`);
    }
    seen.add(key);
  }
  const regions = artifacts.map(a => a.region);
  const duplicateRegion = regions.find((r, i) => regions.indexOf(r) !== i);
  if (duplicateRegion) {
    throw new InputError(
      `a version has one AMI per region, but ${duplicateRegion} has several`,
    );
  }

  // A build time in the future would keep its version `latest` for good.
  if (builtAt && builtAt.getTime() > Date.now() + MAX_CLOCK_SKEW_MS) {
    throw new InputError(
      `build time ${builtAt.toISOString()} is in the future; check the build machine's clock`,
    );
  }

  return {
    family: request.family,
    artifacts,
    gitCommit:
      request.gitCommit ?? pick(buildInputs, PACKER_CUSTOM_DATA_KEYS.gitCommit),
    gitRepo:
      request.gitRepo ?? pick(buildInputs, PACKER_CUSTOM_DATA_KEYS.gitRepo),
    buildUrl:
      request.buildUrl ?? pick(buildInputs, PACKER_CUSTOM_DATA_KEYS.buildUrl),
    parent: request.parent ?? pick(buildInputs, PACKER_CUSTOM_DATA_KEYS.parent),
    packerRunUuid,
    buildInputs,
    builtAt,
  };
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(canonicalJson).join(',')}]`;
  }
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .filter(k => (value as Record<string, unknown>)[k] !== undefined)
      .map(
        k =>
          `${JSON.stringify(k)}:${canonicalJson(
            (value as Record<string, unknown>)[k],
          )}`,
      )
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * The digest of a build: sha256 over a canonical JSON form of the family,
 * the artifacts (sorted), the commit and the build inputs. The same content
 * always has the same digest, whatever order it was given in.
 *
 * @internal
 */
export function digestOf(build: ImageBuild): string {
  const canonical = canonicalJson({
    family: build.family,
    artifacts: [...build.artifacts]
      .map(a => ({ region: a.region, imageId: a.imageId }))
      .sort((a, b) =>
        `${a.region}:${a.imageId}`.localeCompare(`${b.region}:${b.imageId}`),
      ),
    commit: build.gitCommit?.toLowerCase(),
    buildInputs: build.buildInputs,
  });
  return createHash('sha256').update(canonical).digest('hex');
}
