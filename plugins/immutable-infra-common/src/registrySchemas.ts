import { z } from 'zod';
import {
  hasSpaceOrControl,
  quoteValue,
  unstorableTextProblem,
} from './lib/strings';
import { imageFamilyNameSchema } from './schemas';
import {
  boundedString,
  freeText,
  httpUrl,
  isHttpUrl,
  REQUEST_LIMITS,
} from './validation';

/** @public */
export const AMI_ID_PATTERN = /^ami-[0-9a-f]{8,17}$/;

/**
 * AWS region codes, in every partition: the commercial one (`us`, `eu`, `ap`,
 * `sa`, `ca`, `me`, `af`, `il`, `mx`), China (`cn-north-1`), GovCloud
 * (`us-gov-west-1`), the isolated ones (`us-iso-east-1`, `us-isob-east-1`,
 * `eu-isoe-west-1`, `us-isof-south-1`) and the European Sovereign Cloud
 * (`eusc-de-east-1`); the direction is one of the compass points AWS uses.
 * Checked against the partitions of the AWS SDK (`@aws-sdk/util-endpoints`).
 *
 * @public
 */
export const AWS_REGION_PATTERN =
  /^(?:(?:us|eu|ap|sa|ca|me|af|il|mx|cn)(?:-gov|-iso[a-z]?)?|eusc-de)-(?:north|south|east|west|central|northeast|northwest|southeast|southwest)-\d{1,2}$/;
/** @public */
export const AWS_ACCOUNT_PATTERN = /^\d{12}$/;
/** @public */
export const CHANNEL_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
/**
 * The managed channel that always points at the newest usable version.
 *
 * @public
 */
export const LATEST_CHANNEL = 'latest';

/**
 * An image version's id in URLs and bodies: `<family>@<version>`.
 *
 * @public
 */
export const IMAGE_VERSION_REF_PATTERN =
  /^([a-z0-9][a-z0-9._-]{0,127})@(\d{1,9})$/;

/**
 * The highest version number: what `<family>@<version>` can name (nine
 * digits), within the `integer` column.
 *
 * @public
 */
export const MAX_IMAGE_VERSION = 999_999_999;

/**
 * Git commit SHAs: 7 to 40 hexadecimal digits (SHA-1, full or abbreviated),
 * or the 64 of a full SHA-256 object name.
 *
 * @public
 */
export const GIT_COMMIT_PATTERN = /^(?:[0-9a-f]{7,40}|[0-9a-f]{64})$/i;

/** @public */
export const AWS_REGION_RULE = 'must be an AWS region code such as us-east-1';
/** @public */
export const AMI_ID_RULE = 'must be an AMI id such as ami-0123456789abcdef0';
/** @public */
export const AWS_ACCOUNT_RULE = 'must be a 12-digit AWS account id';
/** @public */
export const CHANNEL_RULE =
  'must be lower-case letters, digits, "-" or "_", starting with a letter or digit (at most 63 characters)';
/** @public */
export const GIT_COMMIT_RULE =
  'must be a git commit SHA: 7 to 40 hexadecimal digits (or the 64 of a SHA-256 repository)';
/** @public */
export const IMAGE_REF_RULE =
  'must be an AMI id such as ami-0123456789abcdef0, or an image version "<family>@<version>"';
/** @public */
export const GIT_REPO_RULE =
  'must be an http(s) URL, an SSH remote (ssh://host/path or git@host:path) or a repository name such as org/repo; other URL schemes are refused';

/**
 * Whether a value names an image: an AMI id or `<family>@<version>`.
 *
 * @public
 */
export function isImageRef(value: string): boolean {
  return AMI_ID_PATTERN.test(value) || IMAGE_VERSION_REF_PATTERN.test(value);
}

/**
 * Whether a value may be recorded as a version's git repository: an http(s)
 * URL (shown as a link), an SSH remote (`ssh://git@host/org/repo.git`,
 * `git@host:org/repo.git`), or a name without a scheme (`org/repo`). Any
 * other scheme (`javascript:`, `data:`, `file:`...) is refused.
 *
 * @public
 */
export function isGitRepo(value: string): boolean {
  if (value === '' || hasSpaceOrControl(value)) {
    return false;
  }
  if (/^https?:/i.test(value)) {
    return isHttpUrl(value);
  }
  if (/^ssh:/i.test(value)) {
    try {
      return new URL(value).hostname !== '';
    } catch {
      return false;
    }
  }
  // scp-like remotes: user@host:path, or host.domain:path.
  if (
    /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:(?!\/\/)./.test(value) ||
    /^[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+:(?!\/\/)./.test(value)
  ) {
    return true;
  }
  // Anything else with a colon before its first slash has a URL scheme.
  return !/^[^/]*:/.test(value);
}

/** An AWS region code, within the `region` columns. @public */
export const awsRegionSchema = boundedString(REQUEST_LIMITS.region).regex(
  AWS_REGION_PATTERN,
  AWS_REGION_RULE,
);

/** An AMI id. @public */
export const amiIdSchema = boundedString(REQUEST_LIMITS.imageId).regex(
  AMI_ID_PATTERN,
  AMI_ID_RULE,
);

/** A 12-digit AWS account id. @public */
export const awsAccountIdSchema = boundedString(REQUEST_LIMITS.account).regex(
  AWS_ACCOUNT_PATTERN,
  AWS_ACCOUNT_RULE,
);

/** A git commit SHA; see {@link GIT_COMMIT_PATTERN}. @public */
export const gitCommitSchema = boundedString(REQUEST_LIMITS.gitCommit).regex(
  GIT_COMMIT_PATTERN,
  GIT_COMMIT_RULE,
);

/** A version's git repository; see {@link isGitRepo}. @public */
export const gitRepoSchema = boundedString(REQUEST_LIMITS.gitRepo).refine(
  isGitRepo,
  { message: GIT_REPO_RULE },
);

/** A link to the CI build of a version: http(s) only. @public */
export const buildUrlSchema = httpUrl(REQUEST_LIMITS.buildUrl);

/**
 * The image a version was built on: an AMI id or `<family>@<version>`,
 * within the `parent` column.
 *
 * @public
 */
export const parentImageSchema = boundedString(REQUEST_LIMITS.parent).refine(
  isImageRef,
  { message: IMAGE_REF_RULE },
);

/** A channel name; see {@link CHANNEL_PATTERN}. @public */
export const channelNameSchema = boundedString(REQUEST_LIMITS.channel).regex(
  CHANNEL_PATTERN,
  CHANNEL_RULE,
);

/**
 * A free-text reason, within the `reason` columns: line breaks and tabs, no
 * other control characters (see {@link freeText}).
 *
 * @public
 */
export const reasonSchema = freeText(REQUEST_LIMITS.reason);

/**
 * The earliest build time accepted, 2000-01-01T00:00:00Z, in Unix seconds.
 *
 * @public
 */
export const MIN_BUILD_TIME_SECONDS = 946_684_800;

/**
 * The latest build time accepted, 2100-01-01T00:00:00Z, in Unix seconds.
 * A fixed bound, so that a body validates alike wherever it is checked; the
 * backend also refuses build times ahead of its own clock.
 *
 * @public
 */
export const MAX_BUILD_TIME_SECONDS = 4_102_444_800;

/** @public */
export const BUILD_TIME_RULE =
  'must be a Unix time in whole seconds (not milliseconds) between 2000-01-01 and 2100-01-01';

/** @public */
export const BUILT_AT_RULE =
  'must be an ISO 8601 time with an offset, between 2000-01-01 and 2100-01-01, such as 2026-01-31T12:00:00Z';

/**
 * Packer builders whose artifacts are AMIs, the only ones that can be
 * registered. Their `artifact_id` is `<region>:<ami id>[,<region>:<ami id>...]`.
 *
 * @public
 */
export const PACKER_AMI_BUILDERS: ReadonlyArray<string> = [
  'amazon-ebs',
  'amazon-ebssurrogate',
  'amazon-ebsvolume',
  'amazon-instance',
  'amazon-chroot',
  'amazon-import',
];

/**
 * Keys of a Packer build's `custom_data` that the registry reads, for each
 * field of a version, first match wins (an empty value counts as absent).
 * Their values are checked like the fields they fill.
 *
 * @public
 */
export const PACKER_CUSTOM_DATA_KEYS: Readonly<
  Record<'gitCommit' | 'gitRepo' | 'buildUrl' | 'parent', ReadonlyArray<string>>
> = {
  gitCommit: ['git_commit', 'git:commit', 'commit'],
  gitRepo: ['git_repo', 'git:repo', 'repo'],
  buildUrl: ['build_url', 'build:url'],
  parent: ['parent_image', 'immutable-infra:parent-image', 'source_ami'],
};

// A Map, so that keys such as "constructor" find nothing.
const CUSTOM_DATA_SCHEMAS = new Map<string, z.ZodType<string>>([
  ...PACKER_CUSTOM_DATA_KEYS.gitCommit.map(
    key => [key, gitCommitSchema] as const,
  ),
  ...PACKER_CUSTOM_DATA_KEYS.gitRepo.map(key => [key, gitRepoSchema] as const),
  ...PACKER_CUSTOM_DATA_KEYS.buildUrl.map(
    key => [key, buildUrlSchema] as const,
  ),
  ...PACKER_CUSTOM_DATA_KEYS.parent.map(
    key => [key, parentImageSchema] as const,
  ),
]);

/**
 * The AMIs a Packer `artifact_id` lists (`us-east-1:ami-0abc,eu-west-1:ami-0def`),
 * and the entries that are not `<region>:<ami id>`.
 *
 * @public
 */
export function parsePackerArtifactId(artifactId: string): {
  artifacts: Array<{ region: string; imageId: string }>;
  invalid: string[];
} {
  const artifacts: Array<{ region: string; imageId: string }> = [];
  const invalid: string[] = [];
  for (const entry of artifactId.split(',').map(part => part.trim())) {
    const [region, imageId, ...rest] = entry.split(':');
    if (
      rest.length === 0 &&
      imageId !== undefined &&
      AWS_REGION_PATTERN.test(region) &&
      AMI_ID_PATTERN.test(imageId)
    ) {
      artifacts.push({ region, imageId });
    } else {
      invalid.push(entry);
    }
  }
  return { artifacts, invalid };
}

const customDataValueSchema = boundedString(REQUEST_LIMITS.customDataValue);

/** A build's `custom_data`: the keys the registry reads, checked; the rest bounded. */
const packerCustomDataSchema = z
  .record(z.string(), z.string())
  .superRefine((data, context) => {
    const keys = Object.keys(data);
    if (keys.length > REQUEST_LIMITS.customDataKeys) {
      context.addIssue({
        code: 'custom',
        message: `has ${keys.length} keys; at most ${REQUEST_LIMITS.customDataKeys} are accepted`,
      });
      return;
    }
    for (const key of keys) {
      if (
        key.length > REQUEST_LIMITS.customDataKey ||
        unstorableTextProblem(key) !== undefined
      ) {
        context.addIssue({
          code: 'custom',
          message: `has the key ${quoteValue(key)}; keys must be at most ${
            REQUEST_LIMITS.customDataKey
          } characters, without NUL characters or lone surrogates`,
        });
        continue;
      }
      const value = data[key];
      const known = CUSTOM_DATA_SCHEMAS.get(key);
      // The registry reads an empty value as absent.
      const checked = known && value !== '' ? known : customDataValueSchema;
      const result = checked.safeParse(value);
      for (const issue of result.error?.issues ?? []) {
        context.addIssue({
          code: 'custom',
          message: issue.message,
          path: [key],
        });
      }
    }
  });

/** A Packer build time: Unix seconds, 2000-01-01 to 2100-01-01. */
const buildTimeSchema = z
  .number({ error: BUILD_TIME_RULE })
  .refine(
    seconds =>
      Number.isInteger(seconds) &&
      seconds >= MIN_BUILD_TIME_SECONDS &&
      seconds <= MAX_BUILD_TIME_SECONDS,
    { error: BUILD_TIME_RULE },
  );

/**
 * One build in the manifest that Packer's `manifest` post-processor writes.
 * `build_time` is Unix seconds between 2000 and 2100; an AMI builder's
 * `artifact_id` lists at most 64 `<region>:<ami id>`; `custom_data` keys the
 * registry reads are checked like the fields they fill (see
 * {@link PACKER_CUSTOM_DATA_KEYS}), the others bounded.
 *
 * @public
 */
export const packerBuildSchema = z
  .object({
    name: boundedString(REQUEST_LIMITS.packerName).optional(),
    builder_type: boundedString(REQUEST_LIMITS.packerName).min(1, {
      message: 'must name the Packer builder, such as amazon-ebs',
    }),
    build_time: buildTimeSchema.optional(),
    files: z
      .array(
        z.object({
          name: boundedString(REQUEST_LIMITS.packerFileName),
          size: z.number().int().nonnegative(),
        }),
      )
      .max(REQUEST_LIMITS.packerFiles)
      .nullable()
      .optional(),
    artifact_id: boundedString(REQUEST_LIMITS.artifactId),
    packer_run_uuid: boundedString(REQUEST_LIMITS.packerRunUuid).min(1, {
      message: 'must name the Packer run',
    }),
    custom_data: packerCustomDataSchema.nullable().optional(),
  })
  .superRefine((build, context) => {
    if (
      typeof build.artifact_id !== 'string' ||
      build.artifact_id.length > REQUEST_LIMITS.artifactId ||
      unstorableTextProblem(build.artifact_id) !== undefined ||
      !PACKER_AMI_BUILDERS.includes(build.builder_type)
    ) {
      return;
    }
    const entries = build.artifact_id.split(',');
    if (entries.length > REQUEST_LIMITS.artifacts) {
      context.addIssue({
        code: 'custom',
        path: ['artifact_id'],
        message: `lists ${entries.length} artifacts; a version has at most ${REQUEST_LIMITS.artifacts}, one AMI per region`,
      });
      return;
    }
    for (const entry of parsePackerArtifactId(build.artifact_id).invalid) {
      context.addIssue({
        code: 'custom',
        path: ['artifact_id'],
        message: `has ${quoteValue(
          entry,
        )}, which is not "<region>:<ami id>" with an AWS region code and an AMI id, such as us-east-1:ami-0123456789abcdef0`,
      });
    }
  });

/**
 * The manifest that Packer's `manifest` post-processor writes; builds are
 * appended across runs and `last_run_uuid` names the newest run.
 *
 * @public
 */
export const packerManifestSchema = z.object({
  builds: z
    .array(packerBuildSchema)
    .min(1, { message: 'must list at least one build' })
    .max(REQUEST_LIMITS.manifestBuilds, {
      message: `must list at most ${REQUEST_LIMITS.manifestBuilds} builds`,
    }),
  last_run_uuid: boundedString(REQUEST_LIMITS.packerRunUuid).min(1, {
    message: 'must name the newest Packer run',
  }),
});

/** @public */
export type PackerManifest = z.infer<typeof packerManifestSchema>;

/** @public */
export const imageArtifactSchema = z.strictObject({
  region: awsRegionSchema,
  imageId: amiIdSchema,
  account: awsAccountIdSchema.optional(),
});

/** @public */
export type ImageArtifactInput = z.infer<typeof imageArtifactSchema>;

/** When a version was built, as given in `builtAt`. */
const builtAtSchema = z.iso
  .datetime({ offset: true, error: BUILT_AT_RULE })
  .max(REQUEST_LIMITS.isoTime, { error: BUILT_AT_RULE, abort: true })
  .refine(
    value => {
      const time = Date.parse(value);
      // A malformed time is reported by the format check.
      return (
        Number.isNaN(time) ||
        (time >= MIN_BUILD_TIME_SECONDS * 1000 &&
          time < MAX_BUILD_TIME_SECONDS * 1000)
      );
    },
    { error: BUILT_AT_RULE },
  );

/**
 * Body of `POST /images`: a Packer manifest, or explicit artifacts. Every
 * string is bounded by the column it is stored in; `gitCommit` is a SHA,
 * `buildUrl` an http(s) URL, `gitRepo` an http(s) URL, SSH remote or
 * repository name, `parent` an AMI id or `<family>@<version>`.
 *
 * @public
 */
export const registerImageRequestSchema = z
  .strictObject({
    family: imageFamilyNameSchema,
    manifest: packerManifestSchema.optional(),
    /** Which run of the manifest to take; defaults to `last_run_uuid`. */
    runUuid: boundedString(REQUEST_LIMITS.packerRunUuid)
      .min(1, { message: 'must name a run of the manifest' })
      .optional(),
    artifacts: z
      .array(imageArtifactSchema)
      .min(1, { message: 'must list at least one artifact' })
      .max(REQUEST_LIMITS.artifacts, {
        message: `must list at most ${REQUEST_LIMITS.artifacts} artifacts, one AMI per region`,
      })
      .optional(),
    gitCommit: gitCommitSchema.optional(),
    gitRepo: gitRepoSchema.optional(),
    buildUrl: buildUrlSchema.optional(),
    parent: parentImageSchema.optional(),
    /** When the image was built; defaults to the manifest's build_time, or now. */
    builtAt: builtAtSchema.optional(),
  })
  .refine(
    body => (body.manifest === undefined) !== (body.artifacts === undefined),
    {
      message: 'give either manifest or artifacts, not both and not neither',
      path: ['manifest'],
    },
  )
  .superRefine((body, context) => {
    if (!Array.isArray(body.manifest?.builds)) {
      return;
    }
    // One version is made of all the builds of one run.
    const runUuid = body.runUuid ?? body.manifest.last_run_uuid;
    const counts = body.manifest.builds
      .filter(
        build =>
          build?.packer_run_uuid === runUuid &&
          PACKER_AMI_BUILDERS.includes(build.builder_type) &&
          typeof build.artifact_id === 'string',
      )
      .map(build => build.artifact_id.split(',').length);
    const count = counts.reduce((sum, n) => sum + n, 0);
    // A build over the limit on its own is reported with the build.
    if (
      count > REQUEST_LIMITS.artifacts &&
      counts.every(n => n <= REQUEST_LIMITS.artifacts)
    ) {
      context.addIssue({
        code: 'custom',
        path: ['manifest', 'builds'],
        message: `of run ${quoteValue(
          runUuid,
        )} list ${count} artifacts; a version has at most ${
          REQUEST_LIMITS.artifacts
        }, one AMI per region`,
      });
    }
  });

/** @public */
export type RegisterImageRequest = z.infer<typeof registerImageRequestSchema>;

/** @public */
export type AncestryStatus = 'up-to-date' | 'out-of-date' | 'undetermined';

/**
 * A registered image version.
 *
 * @public
 */
export const imageVersionSchema = z.object({
  /** `<family>@<version>` */
  id: z.string(),
  family: z.string(),
  version: z.number().int(),
  fingerprint: z.string(),
  digest: z.string(),
  gitRepo: z.string().optional(),
  gitCommit: z.string().optional(),
  buildUrl: z.string().optional(),
  packerRunUuid: z.string().optional(),
  parent: z.string().optional(),
  /** The parent as a registered version, `<family>@<version>`. */
  parentVersion: z.string().optional(),
  source: z.enum(['registered', 'discovered']),
  state: z.enum(['active', 'revoked', 'deprecated', 'pruned']),
  revokedAt: z.string().optional(),
  revokeReason: z.string().optional(),
  revokedBy: z.string().optional(),
  missingSince: z.string().optional(),
  createdAt: z.string(),
  artifacts: z.array(
    z.object({
      provider: z.string(),
      account: z.string().optional(),
      region: z.string(),
      imageId: z.string(),
    }),
  ),
  /** Channels currently pointing at this version, `latest` included. */
  channels: z.array(z.string()),
  ancestry: z
    .object({
      status: z.enum(['up-to-date', 'out-of-date', 'undetermined']),
      detail: z.string(),
    })
    .optional(),
});

/** @public */
export type ImageVersion = z.infer<typeof imageVersionSchema>;

/** @public */
export const registerImageResponseSchema = z.object({
  version: imageVersionSchema,
  created: z.boolean(),
});

/** @public */
export type RegisterImageResponse = z.infer<typeof registerImageResponseSchema>;

/** @public */
export const pageQuerySchema = z.strictObject({
  cursor: boundedString(15)
    .regex(/^\d{1,15}$/, 'must be a nextCursor from a previous page')
    .optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

/** @public */
export const imageVersionPageSchema = z.object({
  family: z.string(),
  items: z.array(imageVersionSchema),
  nextCursor: z.string().optional(),
});

/** @public */
export type ImageVersionPage = z.infer<typeof imageVersionPageSchema>;

/** @public */
export const channelSchema = z.object({
  name: z.string(),
  version: z.string().optional(),
  managed: z.boolean(),
  updatedAt: z.string().optional(),
  updatedBy: z.string().optional(),
});

/** @public */
export type Channel = z.infer<typeof channelSchema>;

/** @public */
export const channelAssignmentSchema = z.object({
  id: z.string(),
  channel: z.string(),
  from: z.string().optional(),
  to: z.string(),
  actor: z.string(),
  kind: z.enum(['assign', 'rollback']),
  reason: z.string().optional(),
  at: z.string(),
});

/** @public */
export type ChannelAssignment = z.infer<typeof channelAssignmentSchema>;

/** @public */
export const channelsResponseSchema = z.object({
  family: z.string(),
  channels: z.array(channelSchema),
});

/** @public */
export const channelHistoryPageSchema = z.object({
  items: z.array(channelAssignmentSchema),
  nextCursor: z.string().optional(),
});

/** @public */
export type ChannelHistoryPage = z.infer<typeof channelHistoryPageSchema>;

/**
 * Query of `GET /families/:family/channels/history`: a page, optionally of
 * one channel.
 *
 * @public
 */
export const channelHistoryQuerySchema = pageQuerySchema.extend({
  channel: channelNameSchema.optional(),
});

/** @public */
export const VERSION_SELECTOR_RULE = `must be a version number (1 to ${MAX_IMAGE_VERSION}) or "<family>@<version>"`;

/** Body of `PUT /families/:family/channels/:channel`. @public */
export const assignChannelRequestSchema = z.strictObject({
  version: z.union(
    [
      z
        .number()
        .refine(
          version =>
            Number.isInteger(version) &&
            version >= 1 &&
            version <= MAX_IMAGE_VERSION,
          { error: VERSION_SELECTOR_RULE },
        ),
      boundedString(REQUEST_LIMITS.parent).regex(
        IMAGE_VERSION_REF_PATTERN,
        VERSION_SELECTOR_RULE,
      ),
    ],
    { error: VERSION_SELECTOR_RULE },
  ),
  reason: reasonSchema.optional(),
});

/** Body of `POST /families/:family/channels/:channel/rollback`. @public */
export const rollbackChannelRequestSchema = z.strictObject({
  /** The assignment to return to; defaults to the one before the current. */
  assignmentId: boundedString(15)
    .regex(/^\d{1,15}$/, 'must be the id of an earlier assignment')
    .optional(),
  reason: reasonSchema.optional(),
});

/** Body of `POST /images/:id/revoke`. @public */
export const revokeImageRequestSchema = z.strictObject({
  reason: reasonSchema.refine(reason => reason.trim() !== '', {
    message: 'a reason is required',
  }),
  descendants: z.boolean().default(false),
});

/** Body of `POST /images/:id/restore`. @public */
export const restoreImageRequestSchema = z.strictObject({
  reason: reasonSchema.optional(),
  descendants: z.boolean().default(false),
});

/** @public */
export const stateChangeResponseSchema = z.object({
  changed: z.array(imageVersionSchema),
});

/** @public */
export type StateChangeResponse = z.infer<typeof stateChangeResponseSchema>;

/** Body of `POST /images/prune`. @public */
export const pruneRequestSchema = z.strictObject({
  /** One family, or every family when absent. */
  family: imageFamilyNameSchema.optional(),
  /** Newest versions per family always kept; defaults to the policy. */
  keepVersions: z.number().int().min(1).max(1000).optional(),
  /** Versions younger than this are kept; defaults to the policy. */
  minAgeDays: z.number().int().min(0).max(3650).optional(),
  /** Only propose; true unless set to false. */
  dryRun: z.boolean().default(true),
});

/** @public */
export type PruneRequest = z.input<typeof pruneRequestSchema>;

/** Why a version is kept. @public */
export const keepReasonSchema = z.object({
  kind: z.enum([
    'newest',
    'young',
    'channel',
    'instance',
    'launch-template',
    'autoscaling-group',
    'shared',
    'unchecked',
  ]),
  detail: z.string(),
});

/** @public */
export type KeepReason = z.infer<typeof keepReasonSchema>;

/** @public */
export const pruneResultSchema = z.object({
  dryRun: z.boolean(),
  keepVersions: z.number(),
  minAgeDays: z.number(),
  /** Proposed (dry run) or pruned versions, with their AMIs. */
  pruned: z.array(
    z.object({
      id: z.string(),
      artifacts: z.array(
        z.object({
          region: z.string(),
          imageId: z.string(),
          deletedSnapshots: z.array(z.string()).optional(),
        }),
      ),
    }),
  ),
  kept: z.array(
    z.object({ id: z.string(), reasons: z.array(keepReasonSchema) }),
  ),
  failed: z.array(z.object({ id: z.string(), error: z.string() })),
});

/** @public */
export type PruneResult = z.infer<typeof pruneResultSchema>;
