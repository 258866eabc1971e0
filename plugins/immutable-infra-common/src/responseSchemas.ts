import { z } from 'zod';
import { channelSchema } from './registrySchemas';

/**
 * Answer of `GET /health`, the one route that needs no credentials.
 *
 * @public
 */
export const healthResponseSchema = z.object({
  status: z.literal('ok'),
});

/** @public */
export type HealthResponse = z.infer<typeof healthResponseSchema>;

/**
 * Answer of a channel assignment (`PUT /families/:family/channels/:channel`)
 * or rollback (`POST …/rollback`): the channel as it is now, and whether the
 * call moved it.
 *
 * @public
 */
export const channelChangeResponseSchema = z.object({
  channel: channelSchema,
  changed: z.boolean(),
});

/** @public */
export type ChannelChangeResponse = z.infer<typeof channelChangeResponseSchema>;

/**
 * The body of every refusal and failure: Backstage's error body
 * (`ErrorResponseBody` of `@backstage/errors`), as the backend's error
 * handler writes it. `error.name` is the error's class (`InputError`,
 * `NotFoundError`, `ConflictError`, …), `error.message` says what went wrong.
 *
 * @public
 */
export const errorResponseSchema = z.object({
  // The error handler may add the error's own fields (a stack trace, a cause).
  error: z.looseObject({
    name: z.string(),
    message: z.string(),
    code: z.string().optional(),
    stack: z.string().optional(),
  }),
  request: z
    .object({
      method: z.string(),
      url: z.string(),
    })
    .optional(),
  response: z.object({
    statusCode: z.number().int(),
  }),
});

/** @public */
export type ErrorResponse = z.infer<typeof errorResponseSchema>;
