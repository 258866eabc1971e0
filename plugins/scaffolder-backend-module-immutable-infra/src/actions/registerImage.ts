import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  AMI_ID_PATTERN,
  AWS_REGION_PATTERN,
  IMAGE_FAMILY_PATTERN,
  IMAGE_FAMILY_RULE,
  packerManifestSchema,
} from '@immutable-infra/backstage-plugin-common';
import fs from 'fs-extra';
import { backendRequestOptions } from './backendRequestOptions';
import { callBackend } from './callBackend';
import { checkpointKey } from './checkpointKey';
import { examples } from './registerImage.examples';
import { RegistryActionOptions } from './types';

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
    examples,
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
        // `any`, not `unknown`: an action's input type must be JSON
        // (JsonObject) where the published types are checked.
        manifest: z =>
          z
            .record(z.string(), z.any())
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
      const request = { ...rest, manifest: parsed?.data };
      const result = await ctx.checkpoint({
        key: checkpointKey({
          ctx,
          name: 'register',
          family: ctx.input.family,
          request,
        }),
        fn: async () => {
          const requestOptions = await backendRequestOptions(auth, ctx);
          const answer = await callBackend('Registering the image', () =>
            client.registerImage(request, requestOptions),
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
