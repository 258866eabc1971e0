import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  CHANNEL_PATTERN,
  IMAGE_FAMILY_PATTERN,
  IMAGE_FAMILY_RULE,
  IMAGE_VERSION_REF_PATTERN,
} from '@immutable-infra/backstage-plugin-common';
import { backendRequestOptions } from './backendRequestOptions';
import { callBackend } from './callBackend';
import { examples } from './assignChannel.examples';
import { RegistryActionOptions } from './types';

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
    examples,
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
      const requestOptions = await backendRequestOptions(auth, ctx);
      const answer = await callBackend('Assigning the channel', () =>
        client.assignChannel(
          ctx.input.family,
          ctx.input.channel,
          { version: ctx.input.version, reason: ctx.input.reason },
          requestOptions,
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
