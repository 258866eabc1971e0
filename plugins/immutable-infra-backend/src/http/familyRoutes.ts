import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import {
  assignChannelRequestSchema,
  channelHistoryQuerySchema,
  channelPathParamsSchema,
  enrollRequestSchema,
  familyPathParamsSchema,
  rollbackChannelRequestSchema,
} from '@immutable-infra/backstage-plugin-common';
import { Router } from 'express';
import { audited, caller, parse, parseParams } from './request';
import { RouterOptions } from './router';

/**
 * Routes under `/families`: enrolment and channels.
 *
 * @internal
 */
export function addFamilyRoutes(router: Router, options: RouterOptions) {
  const { httpAuth, auditor, registry } = options;

  router.post('/families', async (req, res) => {
    const credentials = await caller(httpAuth, req);
    const body = parse(enrollRequestSchema, req.body, 'request body');
    const entityRef = stringifyEntityRef(parseEntityRef(body.entityRef));
    const result = await audited(
      auditor,
      req,
      { eventId: 'family-enroll', meta: { family: body.name, entityRef } },
      () => registry.enroll({ name: body.name, entityRef, credentials }),
    );
    res
      .status(result.outcome === 'created' ? 201 : 200)
      .json({ family: result.family, created: result.outcome === 'created' });
  });

  router.get('/families', async (req, res) => {
    const credentials = await caller(httpAuth, req);
    res.json({ items: await registry.listFamilies(credentials) });
  });

  router.get('/families/:family/channels', async (req, res) => {
    const credentials = await caller(httpAuth, req);
    const { family } = parseParams(familyPathParamsSchema, req);
    res.json(await registry.listChannels(family, credentials));
  });

  router.get('/families/:family/channels/history', async (req, res) => {
    const credentials = await caller(httpAuth, req);
    const { family } = parseParams(familyPathParamsSchema, req);
    const query = parse(channelHistoryQuerySchema, req.query, 'query');
    res.json(await registry.channelHistory({ family, ...query, credentials }));
  });

  router.put('/families/:family/channels/:channel', async (req, res) => {
    const credentials = await caller(httpAuth, req);
    const { family, channel } = parseParams(channelPathParamsSchema, req);
    const body = parse(assignChannelRequestSchema, req.body, 'request body');
    const result = await audited(
      auditor,
      req,
      {
        eventId: 'channel-assign',
        meta: { family, channel, version: body.version },
      },
      () =>
        registry.assignChannel({
          family,
          channel,
          version: body.version,
          reason: body.reason,
          credentials,
        }),
    );
    res.json(result);
  });

  router.post(
    '/families/:family/channels/:channel/rollback',
    async (req, res) => {
      const credentials = await caller(httpAuth, req);
      const { family, channel } = parseParams(channelPathParamsSchema, req);
      const body = parse(
        rollbackChannelRequestSchema,
        req.body,
        'request body',
      );
      const result = await audited(
        auditor,
        req,
        {
          eventId: 'channel-rollback',
          meta: { family, channel, assignmentId: body.assignmentId ?? null },
        },
        () =>
          registry.rollbackChannel({
            family,
            channel,
            assignmentId: body.assignmentId,
            reason: body.reason,
            credentials,
          }),
      );
      res.json(result);
    },
  );
}
