import { z } from 'zod';
import { IMAGE_FAMILY_PATTERN, IMAGE_FAMILY_RULE } from './schemas';

/** @public */
export const AMI_ID_PATTERN = /^ami-[0-9a-f]{8,17}$/;
/** @public */
export const AWS_REGION_PATTERN = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d+$/;
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
 * One build in the manifest that Packer's `manifest` post-processor writes.
 *
 * @public
 */
export const packerBuildSchema = z.object({
  name: z.string().optional(),
  builder_type: z.string(),
  build_time: z.number().optional(),
  files: z.unknown().optional(),
  artifact_id: z.string(),
  packer_run_uuid: z.string().min(1),
  custom_data: z.record(z.string(), z.string()).nullable().optional(),
});

/**
 * The manifest that Packer's `manifest` post-processor writes; builds are
 * appended across runs and `last_run_uuid` names the newest run.
 *
 * @public
 */
export const packerManifestSchema = z.object({
  builds: z.array(packerBuildSchema).min(1),
  last_run_uuid: z.string().min(1),
});

/** @public */
export type PackerManifest = z.infer<typeof packerManifestSchema>;

/** @public */
export const imageArtifactSchema = z.object({
  region: z
    .string()
    .regex(AWS_REGION_PATTERN, 'must be an AWS region code such as us-east-1'),
  imageId: z
    .string()
    .regex(AMI_ID_PATTERN, 'must be an AMI id such as ami-0123456789abcdef0'),
  account: z
    .string()
    .regex(AWS_ACCOUNT_PATTERN, 'must be a 12-digit AWS account id')
    .optional(),
});

/** @public */
export type ImageArtifactInput = z.infer<typeof imageArtifactSchema>;

/**
 * Body of `POST /images`: a Packer manifest, or explicit artifacts.
 *
 * @public
 */
export const registerImageRequestSchema = z
  .object({
    family: z.string().regex(IMAGE_FAMILY_PATTERN, IMAGE_FAMILY_RULE),
    manifest: packerManifestSchema.optional(),
    /** Which run of the manifest to take; defaults to `last_run_uuid`. */
    runUuid: z.string().min(1).optional(),
    artifacts: z.array(imageArtifactSchema).min(1).max(64).optional(),
    gitCommit: z
      .string()
      .regex(/^[0-9a-f]{7,64}$/i, 'must be a git commit SHA')
      .optional(),
    gitRepo: z.string().min(1).max(512).optional(),
    buildUrl: z.url().max(1024).optional(),
    parent: z.string().min(1).max(255).optional(),
    /** When the image was built; defaults to the manifest's build_time, or now. */
    builtAt: z.iso.datetime({ offset: true }).optional(),
  })
  .refine(
    body => (body.manifest === undefined) !== (body.artifacts === undefined),
    {
      message: 'give either manifest or artifacts, not both and not neither',
      path: ['manifest'],
    },
  );

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
export const pageQuerySchema = z.object({
  cursor: z
    .string()
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

/** Body of `PUT /families/:family/channels/:channel`. @public */
export const assignChannelRequestSchema = z.object({
  version: z.union([
    z.number().int().positive(),
    z.string().regex(IMAGE_VERSION_REF_PATTERN),
  ]),
  reason: z.string().max(1024).optional(),
});

/** Body of `POST /families/:family/channels/:channel/rollback`. @public */
export const rollbackChannelRequestSchema = z.object({
  /** The assignment to return to; defaults to the one before the current. */
  assignmentId: z.string().regex(/^\d+$/).optional(),
  reason: z.string().max(1024).optional(),
});

/** Body of `POST /images/:id/revoke`. @public */
export const revokeImageRequestSchema = z.object({
  reason: z.string().min(1, 'a reason is required').max(1024),
  descendants: z.boolean().default(false),
});

/** Body of `POST /images/:id/restore`. @public */
export const restoreImageRequestSchema = z.object({
  reason: z.string().max(1024).optional(),
  descendants: z.boolean().default(false),
});

/** @public */
export const stateChangeResponseSchema = z.object({
  changed: z.array(imageVersionSchema),
});

/** @public */
export type StateChangeResponse = z.infer<typeof stateChangeResponseSchema>;

/** Body of `POST /images/prune`. @public */
export const pruneRequestSchema = z.object({
  /** One family, or every family when absent. */
  family: z.string().regex(IMAGE_FAMILY_PATTERN, IMAGE_FAMILY_RULE).optional(),
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
