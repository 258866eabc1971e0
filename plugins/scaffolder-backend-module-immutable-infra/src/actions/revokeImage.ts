import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  AMI_ID_PATTERN,
  IMAGE_VERSION_REF_PATTERN,
} from '@immutable-infra/backstage-plugin-common';
import { backendRequestOptions } from './backendRequestOptions';
import { callBackend } from './callBackend';
import { examples } from './revokeImage.examples';
import { RegistryActionOptions } from './types';

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
    examples,
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
      const requestOptions = await backendRequestOptions(auth, ctx);
      const answer = await callBackend('Revoking the image', () =>
        client.revokeImage(
          ctx.input.image,
          { reason: ctx.input.reason, descendants: ctx.input.descendants },
          requestOptions,
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
