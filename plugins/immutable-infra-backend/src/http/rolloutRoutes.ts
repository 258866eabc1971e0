import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import {
  createRolloutRequestSchema,
  entityPathParamsSchema,
  pageQuerySchema,
  ROLLOUT_ACTIONS,
  rolloutControlRequestSchema,
  rolloutPathParamsSchema,
  rolloutPromoteRequestSchema,
} from '@immutable-infra/backstage-plugin-common';
import { Router } from 'express';
import { audited, caller, parse, parseParams } from './request';
import { RouterOptions } from './router';

/**
 * Routes under `/rollouts`, and an entity's rollout history.
 *
 * @internal
 */
export function addRolloutRoutes(router: Router, options: RouterOptions) {
  const { httpAuth, auditor, rollouts } = options;

  router.post('/rollouts', async (req, res) => {
    const credentials = await caller(httpAuth, req);
    const body = parse(createRolloutRequestSchema, req.body, 'request body');
    const entityRef = stringifyEntityRef(parseEntityRef(body.entityRef));
    const result = await audited(
      auditor,
      req,
      {
        eventId: 'rollout-create',
        meta: {
          entityRef,
          environment: body.environment,
          version: body.version ?? null,
          dryRun: body.dryRun,
        },
      },
      () => rollouts.create({ ...body, entityRef, credentials }),
    );
    res.status(result.dryRun ? 200 : 201).json(result);
  });

  router.get('/rollouts/:id', async (req, res) => {
    const credentials = await caller(httpAuth, req);
    const { id } = parseParams(rolloutPathParamsSchema, req);
    res.json(await rollouts.get(id, credentials));
  });

  for (const action of ROLLOUT_ACTIONS) {
    router.post(`/rollouts/:id/${action}`, async (req, res) => {
      const credentials = await caller(httpAuth, req);
      const { id } = parseParams(rolloutPathParamsSchema, req);
      const body = parse(
        action === 'promote'
          ? rolloutPromoteRequestSchema
          : rolloutControlRequestSchema,
        req.body,
        'request body',
      );
      const rollout = await audited(
        auditor,
        req,
        { eventId: `rollout-${action}`, meta: { rolloutId: id } },
        () => rollouts.control({ id, action, ...body, credentials }),
      );
      res.json(rollout);
    });
  }

  router.get('/entities/:kind/:namespace/:name/rollouts', async (req, res) => {
    const credentials = await caller(httpAuth, req);
    const ref = parseParams(entityPathParamsSchema, req);
    const query = parse(pageQuerySchema, req.query, 'query');
    res.json(
      await rollouts.listByEntity({
        entityRef: stringifyEntityRef(ref),
        ...query,
        credentials,
      }),
    );
  });
}
