import { z } from 'zod';
import { invalidValueMessage, paramString } from './lib/paramString';
import {
  AMI_ID_PATTERN,
  CHANNEL_PATTERN,
  CHANNEL_RULE,
  IMAGE_VERSION_REF_PATTERN,
  isImageRef,
  LATEST_CHANNEL,
} from './registrySchemas';
import { IMAGE_FAMILY_PATTERN, IMAGE_FAMILY_RULE } from './schemas';
import { REQUEST_LIMITS } from './validation';

// Path parameters stand alone in a URL: each message here is a whole
// sentence naming the parameter and the value given, to be answered as is.

const IMAGE_ID_RULE = 'expected "<family>@<version>" or an AMI id';

/**
 * The message for an image id that is neither `<family>@<version>` nor an
 * AMI id.
 *
 * @public
 */
export function invalidImageIdMessage(id: string): string {
  return invalidValueMessage('image id', id, IMAGE_ID_RULE);
}

/**
 * The message for a channel name that breaks {@link CHANNEL_PATTERN}.
 *
 * @public
 */
export function invalidChannelMessage(channel: string): string {
  return invalidValueMessage('channel', channel, CHANNEL_RULE);
}

/**
 * The message for an image family name that breaks
 * {@link IMAGE_FAMILY_PATTERN}.
 *
 * @public
 */
export function invalidImageFamilyMessage(family: string): string {
  return invalidValueMessage('image family', family, IMAGE_FAMILY_RULE);
}

/**
 * Why the `latest` channel cannot be assigned or rolled back.
 *
 * @public
 */
export const MANAGED_CHANNEL_MESSAGE = `The "${LATEST_CHANNEL}" channel is managed: it always points at the newest active version`;

/**
 * An image version looked up by its id: `<family>@<version>`, or one of its
 * AMIs.
 *
 * @public
 */
export type ImageIdLookup =
  | { family: string; version: number }
  | { imageId: string };

/**
 * Reads an image id, `<family>@<version>` or an AMI id; undefined for
 * anything else.
 *
 * @public
 */
export function parseImageId(id: string): ImageIdLookup | undefined {
  const match = IMAGE_VERSION_REF_PATTERN.exec(id);
  if (match) {
    return { family: match[1], version: Number(match[2]) };
  }
  return AMI_ID_PATTERN.test(id) ? { imageId: id } : undefined;
}

/**
 * Path parameter of `/images/:id/...`: `<family>@<version>` or an AMI id.
 * Read it with {@link parseImageId}.
 *
 * @public
 */
export const imageIdParamSchema = z.object({
  id: paramString({
    what: 'image id',
    max: REQUEST_LIMITS.parent,
    rule: IMAGE_ID_RULE,
    isValid: isImageRef,
  }),
});

/** @public */
export type ImageIdParam = z.infer<typeof imageIdParamSchema>;

const familyParam = paramString({
  what: 'image family',
  max: REQUEST_LIMITS.imageFamily,
  rule: IMAGE_FAMILY_RULE,
  isValid: value => IMAGE_FAMILY_PATTERN.test(value),
});

/**
 * Path parameter of `/families/:family/...`.
 *
 * @public
 */
export const familyPathParamsSchema = z.object({ family: familyParam });

/** @public */
export type FamilyPathParams = z.infer<typeof familyPathParamsSchema>;

/**
 * Path parameters of the routes that change a channel,
 * `/families/:family/channels/:channel` and `.../rollback`: the family, and a
 * channel that is not the managed `latest` ({@link MANAGED_CHANNEL_MESSAGE}).
 *
 * @public
 */
export const channelPathParamsSchema = z.object({
  family: familyParam,
  channel: paramString({
    what: 'channel',
    max: REQUEST_LIMITS.channel,
    rule: CHANNEL_RULE,
    isValid: channel => CHANNEL_PATTERN.test(channel),
  }).refine(channel => channel !== LATEST_CHANNEL, {
    message: MANAGED_CHANNEL_MESSAGE,
    abort: true,
  }),
});

/** @public */
export type ChannelPathParams = z.infer<typeof channelPathParamsSchema>;
