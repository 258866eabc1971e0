import { z } from 'zod';
import { hasSpaceOrControl } from './lib/strings';

/**
 * The longest value each request field may carry. A field stored in the
 * database is bounded by its column (see the backend's migrations), so a
 * long value answers 400 instead of failing the insert; the others have a
 * bound that no real value comes near. Lengths are counted in UTF-16 code
 * units, never fewer than the characters a column counts.
 *
 * @public
 */
export const REQUEST_LIMITS = {
  /** `image_families.name`, `image_versions.family`. */
  imageFamily: 128,
  /** `image_families.entity_ref`, `instances.entity_ref`, `audit_events.entity_ref`. */
  entityRef: 255,
  /** A kind, namespace or name in an entity ref (the catalog's own rule). */
  entityRefPart: 63,
  /** `image_versions.git_repo`. */
  gitRepo: 512,
  /** `image_versions.git_commit` (a SHA-256 object name is 64 hex digits). */
  gitCommit: 64,
  /** `image_versions.build_url`. */
  buildUrl: 1024,
  /** `image_versions.packer_run_uuid`. */
  packerRunUuid: 64,
  /** `image_versions.parent`. */
  parent: 255,
  /** `image_versions.revoke_reason`, `channel_assignments.reason`. */
  reason: 1024,
  /** `image_artifacts.region`, `instances.region`. */
  region: 32,
  /** `image_artifacts.image_id`, `instances.image_id`. */
  imageId: 64,
  /** `image_artifacts.account`, `instances.account`. */
  account: 32,
  /** `channels.name`, `channel_assignments.channel`. */
  channel: 64,
  /** `instances.environment`. */
  environment: 64,
  /** `instances.state`. */
  instanceState: 32,
  /** An ISO 8601 time such as `builtAt` (not stored as text). */
  isoTime: 64,
  /** Artifacts of one version, explicit or from one manifest run. */
  artifacts: 64,
  /** Builds in one Packer manifest (not stored). */
  manifestBuilds: 256,
  /** A build's `name` and `builder_type` in a Packer manifest (not stored). */
  packerName: 128,
  /** A build's `artifact_id`: up to 64 `<region>:<ami id>` (not stored). */
  artifactId: 8192,
  /** Files listed by one build in a Packer manifest (not stored). */
  packerFiles: 1000,
  /** A file name listed by a build in a Packer manifest (not stored). */
  packerFileName: 1024,
  /** Keys of a build's `custom_data` (hashed into the digest, not stored). */
  customDataKeys: 64,
  /** A `custom_data` key. */
  customDataKey: 128,
  /** A `custom_data` value. */
  customDataValue: 1024,
} as const;

/**
 * Why a string with a NUL character is refused: PostgreSQL cannot store one,
 * and no identifier or text of this API needs one.
 *
 * @public
 */
export const NUL_CHARACTER_MESSAGE =
  'must not contain NUL characters (\\u0000)';

/**
 * A string of at most `max` characters that contains no NUL character, with
 * a message for each. Checks chained after it (`.regex`, `.refine`) run only
 * when both hold, so a pattern never reads a long or NUL-laden value.
 *
 * @public
 */
export function boundedString(max: number) {
  return z
    .string()
    .max(max, { message: `must be at most ${max} characters`, abort: true })
    .refine(value => !value.includes('\u0000'), {
      message: NUL_CHARACTER_MESSAGE,
      abort: true,
    });
}

/** @public */
export const HTTP_URL_RULE =
  'must be an http:// or https:// URL without spaces or control characters';

/**
 * Whether a value is an absolute http(s) URL with a host: what may be shown
 * as a link. `javascript:`, `data:`, `file:` and any other scheme are not.
 *
 * @public
 */
export function isHttpUrl(value: string): boolean {
  if (!/^https?:\/\//i.test(value) || hasSpaceOrControl(value)) {
    return false;
  }
  try {
    const url = new URL(value);
    return (
      (url.protocol === 'http:' || url.protocol === 'https:') &&
      url.hostname !== ''
    );
  } catch {
    return false;
  }
}

/**
 * An absolute http(s) URL of at most `max` characters; see
 * {@link isHttpUrl}.
 *
 * @public
 */
export function httpUrl(max: number) {
  return boundedString(max).refine(isHttpUrl, { message: HTTP_URL_RULE });
}

/** How many problems {@link describeValidationIssues} names before summing up. */
const MAX_DESCRIBED_ISSUES = 10;

/**
 * One sentence naming each problem zod found, each prefixed with the path of
 * its field (`manifest.builds.0.build_time must be ...`), or with `what` for
 * the value as a whole. At most ten are named; the rest are counted.
 *
 * @public
 */
export function describeValidationIssues(
  issues: ReadonlyArray<{
    readonly path: ReadonlyArray<PropertyKey>;
    readonly message: string;
  }>,
  what: string,
): string {
  const described = issues
    .slice(0, MAX_DESCRIBED_ISSUES)
    .map(
      issue => `${issue.path.map(String).join('.') || what} ${issue.message}`,
    );
  const rest = issues.length - described.length;
  if (rest > 0) {
    described.push(`and ${rest} more problem${rest === 1 ? '' : 's'}`);
  }
  return described.join('; ');
}
