import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import {
  assignChannelRequestSchema,
  CHANNEL_PATTERN,
  enrollRequestSchema,
  IMAGE_VERSION_REF_PATTERN,
  immutableInfraChannelAssignPermission,
  immutableInfraImageCreatePermission,
  LATEST_CHANNEL,
  pageQuerySchema,
  rollbackChannelRequestSchema,
} from '@immutable-infra/backstage-plugin-common';
import { Request, Router } from 'express';
import { z } from 'zod';
import { ChannelChange } from '../registry/ImageStore';
import { principalRef } from '../audit/principalRef';
import {
  audited,
  authorizeOnEntity,
  caller,
  parse,
  readableFamily,
  RouterOptions,
} from './context';

function normaliseRef(ref: string): string {
  try {
    return stringifyEntityRef(parseEntityRef(ref));
  } catch (error) {
    throw new InputError(
      `Invalid entityRef "${ref}": expected "kind:namespace/name"`,
    );
  }
}

function channelParam(req: Request): string {
  const channel = req.params.channel;
  if (!CHANNEL_PATTERN.test(channel)) {
    throw new InputError(
      `Invalid channel "${channel}": lower-case letters, digits, "-" or "_"`,
    );
  }
  if (channel === LATEST_CHANNEL) {
    throw new InputError(
      `The "${LATEST_CHANNEL}" channel is managed: it always points at the newest active version`,
    );
  }
  return channel;
}

function answerChannelChange(change: ChannelChange) {
  if (change.outcome === 'no-target') {
    throw new NotFoundError(change.message);
  }
  if (change.outcome === 'unusable') {
    throw new ConflictError(
      `${change.version.id} is ${change.version.state} and cannot be assigned to a channel`,
    );
  }
  return { channel: change.channel, changed: change.outcome === 'changed' };
}

const historyQuerySchema = pageQuerySchema.extend({
  channel: z.string().regex(CHANNEL_PATTERN).optional(),
});

/** Routes under `/families`: enrolment and channels. */
export function addFamilyRoutes(router: Router, options: RouterOptions) {
  const { httpAuth, permissions, images } = options;

  router.post('/families', async (req, res) => {
    const credentials = await caller(httpAuth, req);
    const body = parse(enrollRequestSchema, req.body);
    const entityRef = normaliseRef(body.entityRef);
    const result = await audited(
      options,
      req,
      'family-enroll',
      { family: body.name, entityRef },
      async () => {
        await authorizeOnEntity(permissions, {
          permission: immutableInfraImageCreatePermission,
          entityRef,
          credentials,
          message: `You may not enroll image families for ${entityRef}`,
        });
        const enrolled = await images.enrollFamily({
          name: body.name,
          entityRef,
          actor: principalRef(credentials),
        });
        if (enrolled.outcome === 'taken') {
          throw new ConflictError(
            `Image family "${body.name}" is already enrolled by ${enrolled.family.entityRef}`,
          );
        }
        return enrolled;
      },
    );
    res
      .status(result.outcome === 'created' ? 201 : 200)
      .json({ family: result.family, created: result.outcome === 'created' });
  });

  router.get('/families/:family/channels', async (req, res) => {
    const family = await readableFamily(
      options,
      req.params.family,
      await caller(httpAuth, req),
    );
    res.json({
      family: family.name,
      channels: await images.listChannels(family.name),
    });
  });

  router.get('/families/:family/channels/history', async (req, res) => {
    const query = parse(historyQuerySchema, req.query, 'query');
    const family = await readableFamily(
      options,
      req.params.family,
      await caller(httpAuth, req),
    );
    res.json(
      await images.listAssignments({
        family: family.name,
        channel: query.channel,
        cursor: query.cursor,
        limit: query.limit,
      }),
    );
  });

  router.put('/families/:family/channels/:channel', async (req, res) => {
    const credentials = await caller(httpAuth, req);
    const channel = channelParam(req);
    const body = parse(assignChannelRequestSchema, req.body);
    const family = await readableFamily(
      options,
      req.params.family,
      credentials,
    );
    let version: number;
    if (typeof body.version === 'number') {
      version = body.version;
    } else {
      const [, refFamily, refVersion] = IMAGE_VERSION_REF_PATTERN.exec(
        body.version,
      )!;
      if (refFamily !== family.name) {
        throw new InputError(
          `${body.version} is not a version of family ${family.name}`,
        );
      }
      version = Number(refVersion);
    }
    const result = await audited(
      options,
      req,
      'channel-assign',
      { family: family.name, channel, version },
      async () => {
        await authorizeOnEntity(permissions, {
          permission: immutableInfraChannelAssignPermission,
          entityRef: family.entityRef,
          credentials,
          message: `You may not assign channels of ${family.name}`,
        });
        return answerChannelChange(
          await images.assignChannel({
            family: family.name,
            channel,
            version,
            actor: principalRef(credentials),
            reason: body.reason,
          }),
        );
      },
    );
    res.json(result);
  });

  router.post(
    '/families/:family/channels/:channel/rollback',
    async (req, res) => {
      const credentials = await caller(httpAuth, req);
      const channel = channelParam(req);
      const body = parse(rollbackChannelRequestSchema, req.body);
      const family = await readableFamily(
        options,
        req.params.family,
        credentials,
      );
      const result = await audited(
        options,
        req,
        'channel-rollback',
        { family: family.name, channel, assignmentId: body.assignmentId },
        async () => {
          await authorizeOnEntity(permissions, {
            permission: immutableInfraChannelAssignPermission,
            entityRef: family.entityRef,
            credentials,
            message: `You may not roll back channels of ${family.name}`,
          });
          return answerChannelChange(
            await images.rollbackChannel({
              family: family.name,
              channel,
              assignmentId: body.assignmentId,
              actor: principalRef(credentials),
              reason: body.reason,
            }),
          );
        },
      );
      res.json(result);
    },
  );
}
