import { AuthService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import {
  ActionContext,
  createTemplateAction,
} from '@backstage/plugin-scaffolder-node';
import {
  AMI_ID_PATTERN,
  AWS_REGION_PATTERN,
  CHANNEL_PATTERN,
  IMAGE_FAMILY_PATTERN,
  IMAGE_FAMILY_RULE,
  IMAGE_VERSION_REF_PATTERN,
  IMMUTABLE_INFRA_PLUGIN_ID,
  ImmutableInfraApi,
  packerManifestSchema,
} from '@immutable-infra/backstage-plugin-common';
import fs from 'fs-extra';
import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import { callBackend } from './backendError';
import {
  assignExamples,
  pruneExamples,
  registerExamples,
  revokeExamples,
} from './registryActions.examples';

/**
 * What the registry actions need: the plugin's client, and auth to call it
 * on behalf of the user running the template.
 *
 * @public
 */
export type RegistryActionOptions = {
  client: ImmutableInfraApi;
  auth: AuthService;
};

/** A token for the backend, on behalf of the user running the template. */
async function tokenFor(
  auth: AuthService,
  ctx: Pick<ActionContext<any, any>, 'getInitiatorCredentials'>,
) {
  const { token } = await auth.getPluginRequestToken({
    onBehalfOf: await ctx.getInitiatorCredentials(),
    targetPluginId: IMMUTABLE_INFRA_PLUGIN_ID,
  });
  return token;
}

/**
 * `immutable-infra:image:register`: registers a version from a Packer
 * manifest (a file in the workspace, or inline) or explicit AMIs.
 *
 * @public
 */
export function createRegisterImageAction({
  client,
  auth,
}: RegistryActionOptions) {
  return createTemplateAction({
    id: 'immutable-infra:image:register',
    description:
      'Registers an image version from the manifest Packer wrote, or from explicit AMIs. Registering the same content again returns the existing version.',
    examples: registerExamples,
    schema: {
      input: {
        family: z =>
          z
            .string()
            .regex(IMAGE_FAMILY_PATTERN, IMAGE_FAMILY_RULE)
            .describe('Image family'),
        manifestPath: z =>
          z
            .string()
            .optional()
            .describe('Path of Packer’s manifest.json in the workspace'),
        manifest: z =>
          z
            .record(z.string(), z.unknown())
            .optional()
            .describe('The manifest itself'),
        runUuid: z =>
          z
            .string()
            .optional()
            .describe('Run of the manifest to take; defaults to last_run_uuid'),
        artifacts: z =>
          z
            .array(
              z.object({
                region: z.string().regex(AWS_REGION_PATTERN),
                imageId: z.string().regex(AMI_ID_PATTERN),
                account: z.string().optional(),
              }),
            )
            .optional()
            .describe('Explicit AMIs, one per region'),
        gitCommit: z =>
          z.string().optional().describe('Commit the image was built from'),
        gitRepo: z =>
          z.string().optional().describe('Repository of that commit'),
        buildUrl: z => z.string().optional().describe('Link to the CI build'),
        parent: z =>
          z
            .string()
            .optional()
            .describe('Base image: an AMI id or <family>@<version>'),
      },
      output: {
        version: z => z.number().describe('The version number'),
        id: z => z.string().describe('<family>@<version>'),
        created: z =>
          z.boolean().describe('False when the content was already registered'),
        imageIds: z => z.array(z.string()).describe('The AMIs of the version'),
      },
    },
    async handler(ctx) {
      const { manifestPath, manifest: inline, ...rest } = ctx.input;
      let manifest: unknown = inline;
      if (manifestPath) {
        if (inline) {
          throw new InputError('give manifestPath or manifest, not both');
        }
        const path = resolveSafeChildPath(ctx.workspacePath, manifestPath);
        manifest = JSON.parse(await fs.readFile(path, 'utf8'));
      }
      const parsed =
        manifest === undefined
          ? undefined
          : packerManifestSchema.safeParse(manifest);
      if (parsed && !parsed.success) {
        throw new InputError(
          `The manifest is not one Packer’s manifest post-processor writes: ${parsed.error.issues
            .map(i => `${i.path.join('.')} ${i.message}`)
            .join('; ')}`,
        );
      }
      const token = await tokenFor(auth, ctx);
      const result = await ctx.checkpoint({
        key: `register-${ctx.input.family}`,
        fn: async () => {
          const answer = await callBackend('Registering the image', () =>
            client.registerImage(
              { ...rest, manifest: parsed?.data },
              { token },
            ),
          );
          return {
            id: answer.version.id,
            version: answer.version.version,
            created: answer.created,
            imageIds: answer.version.artifacts.map(a => a.imageId),
          };
        },
      });
      ctx.logger.info(
        `${result.created ? 'Registered' : 'Already registered:'} ${
          result.id
        } (${result.imageIds.join(', ')})`,
      );
      ctx.output('id', result.id);
      ctx.output('version', result.version);
      ctx.output('created', result.created);
      ctx.output('imageIds', result.imageIds);
    },
  });
}

/**
 * `immutable-infra:channel:assign`: points a channel at a version.
 *
 * @public
 */
export function createAssignChannelAction({
  client,
  auth,
}: RegistryActionOptions) {
  return createTemplateAction({
    id: 'immutable-infra:channel:assign',
    description:
      'Assigns an image version to a channel (an environment) of its family.',
    examples: assignExamples,
    schema: {
      input: {
        family: z => z.string().regex(IMAGE_FAMILY_PATTERN, IMAGE_FAMILY_RULE),
        channel: z =>
          z
            .string()
            .regex(CHANNEL_PATTERN)
            .describe('Channel, e.g. staging or production'),
        version: z =>
          z
            .union([
              z.number().int().positive(),
              z.string().regex(IMAGE_VERSION_REF_PATTERN),
            ])
            .describe('Version number, or <family>@<version>'),
        reason: z => z.string().optional(),
      },
      output: {
        channel: z => z.string(),
        version: z =>
          z.string().describe('<family>@<version> the channel points at'),
        changed: z =>
          z.boolean().describe('False when it already pointed there'),
      },
    },
    async handler(ctx) {
      const token = await tokenFor(auth, ctx);
      const answer = await callBackend('Assigning the channel', () =>
        client.assignChannel(
          ctx.input.family,
          ctx.input.channel,
          { version: ctx.input.version, reason: ctx.input.reason },
          { token },
        ),
      );
      ctx.logger.info(
        `Channel ${answer.channel.name} of ${ctx.input.family} ${
          answer.changed ? 'now points' : 'already pointed'
        } at ${answer.channel.version}`,
      );
      ctx.output('channel', answer.channel.name);
      ctx.output('version', answer.channel.version ?? '');
      ctx.output('changed', answer.changed);
    },
  });
}

/**
 * `immutable-infra:image:revoke`: revokes a version, optionally with every
 * version built on it.
 *
 * @public
 */
export function createRevokeImageAction({
  client,
  auth,
}: RegistryActionOptions) {
  return createTemplateAction({
    id: 'immutable-infra:image:revoke',
    description:
      'Revokes an image version (by <family>@<version> or AMI id), optionally with all its descendants.',
    examples: revokeExamples,
    schema: {
      input: {
        image: z =>
          z
            .string()
            .refine(
              v => IMAGE_VERSION_REF_PATTERN.test(v) || AMI_ID_PATTERN.test(v),
              {
                message: 'must be <family>@<version> or an AMI id',
              },
            ),
        reason: z => z.string().min(1).describe('Why, e.g. a CVE id'),
        descendants: z => z.boolean().default(false),
      },
      output: {
        revoked: z =>
          z.array(z.string()).describe('Versions that were revoked'),
      },
    },
    async handler(ctx) {
      const token = await tokenFor(auth, ctx);
      const answer = await callBackend('Revoking the image', () =>
        client.revokeImage(
          ctx.input.image,
          { reason: ctx.input.reason, descendants: ctx.input.descendants },
          { token },
        ),
      );
      const revoked = answer.changed.map(v => v.id);
      ctx.logger.info(
        revoked.length
          ? `Revoked ${revoked.join(', ')}`
          : 'Nothing to revoke: already revoked',
      );
      ctx.output('revoked', revoked);
    },
  });
}

/**
 * `immutable-infra:images:prune`: proposes (dry run, the default) or
 * executes pruning of old versions.
 *
 * @public
 */
export function createPruneImagesAction({
  client,
  auth,
}: RegistryActionOptions) {
  return createTemplateAction({
    id: 'immutable-infra:images:prune',
    description:
      'Prunes old image versions that nothing uses. A dry run unless dryRun is false; the output lists what was (or would be) pruned and what was kept and why.',
    examples: pruneExamples,
    schema: {
      input: {
        family: z =>
          z.string().regex(IMAGE_FAMILY_PATTERN, IMAGE_FAMILY_RULE).optional(),
        keepVersions: z => z.number().int().min(1).optional(),
        minAgeDays: z => z.number().int().min(0).optional(),
        dryRun: z => z.boolean().default(true),
      },
      output: {
        dryRun: z => z.boolean(),
        pruned: z => z.array(z.string()),
        kept: z =>
          z.array(z.object({ id: z.string(), reasons: z.array(z.string()) })),
        failed: z => z.array(z.object({ id: z.string(), error: z.string() })),
      },
    },
    async handler(ctx) {
      const token = await tokenFor(auth, ctx);
      const result = await callBackend('Pruning images', () =>
        client.pruneImages({ ...ctx.input }, { token }),
      );
      const pruned = result.pruned.map(p => p.id);
      ctx.logger.info(
        `${result.dryRun ? 'Would prune' : 'Pruned'} ${pruned.length} versions${
          pruned.length ? `: ${pruned.join(', ')}` : ''
        }; kept ${result.kept.length}`,
      );
      for (const kept of result.kept) {
        ctx.logger.info(
          `Kept ${kept.id}: ${kept.reasons.map(r => r.detail).join('; ')}`,
        );
      }
      ctx.output('dryRun', result.dryRun);
      ctx.output('pruned', pruned);
      ctx.output(
        'kept',
        result.kept.map(k => ({
          id: k.id,
          reasons: k.reasons.map(r => r.detail),
        })),
      );
      ctx.output('failed', result.failed);
      if (result.failed.length > 0) {
        throw new Error(
          `Pruning failed for ${result.failed
            .map(f => `${f.id} (${f.error})`)
            .join(', ')}`,
        );
      }
    },
  });
}
