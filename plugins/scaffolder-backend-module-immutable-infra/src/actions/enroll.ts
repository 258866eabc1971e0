import { AuthService } from '@backstage/backend-plugin-api';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  IMAGE_FAMILY_PATTERN,
  IMAGE_FAMILY_RULE,
  ImmutableInfraApi,
} from '@immutable-infra/backstage-plugin-common';
import { backendRequestOptions } from './backendRequestOptions';
import { callBackend } from './callBackend';
import { checkpointKey } from './checkpointKey';
import { examples } from './enroll.examples';

/**
 * Creates the `immutable-infra:enroll` action: registers the image family of
 * a service with the Immutable Infra backend, on behalf of the user running
 * the template (so their permissions apply).
 *
 * @public
 */
export function createEnrollAction(options: {
  client: ImmutableInfraApi;
  auth: AuthService;
}) {
  const { client, auth } = options;
  return createTemplateAction({
    id: 'immutable-infra:enroll',
    description:
      'Enrolls a service in Immutable Infra by registering its image family. Enrolling a family the service already owns succeeds without change.',
    examples,
    schema: {
      input: {
        family: z =>
          z
            .string()
            .regex(IMAGE_FAMILY_PATTERN, IMAGE_FAMILY_RULE)
            .describe(
              'Image family name, as in the immutable-infra.io/image-family annotation',
            ),
        entityRef: z =>
          z
            .string()
            .min(1)
            .describe(
              'The catalog entity that owns the family, e.g. component:default/payments',
            ),
      },
      output: {
        family: z => z.string().describe('The enrolled family'),
        entityRef: z => z.string().describe('The entity that owns it'),
        created: z =>
          z
            .boolean()
            .describe('False when the entity had already enrolled the family'),
      },
    },
    async handler(ctx) {
      const request = {
        name: ctx.input.family,
        entityRef: ctx.input.entityRef,
      };
      const result = await ctx.checkpoint({
        key: checkpointKey({
          ctx,
          name: 'enroll',
          family: ctx.input.family,
          request,
        }),
        fn: async () => {
          const requestOptions = await backendRequestOptions(auth, ctx);
          const response = await callBackend('Enrolling', () =>
            client.enroll(request, requestOptions),
          );
          return {
            family: response.family.name,
            entityRef: response.family.entityRef,
            created: response.created,
          };
        },
      });
      ctx.logger.info(
        result.created
          ? `Enrolled image family ${result.family} for ${result.entityRef}`
          : `Image family ${result.family} was already enrolled for ${result.entityRef}`,
      );
      ctx.output('family', result.family);
      ctx.output('entityRef', result.entityRef);
      ctx.output('created', result.created);
    },
  });
}
