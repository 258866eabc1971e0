import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { syncRequestSchema } from '@immutable-infra/backstage-plugin-common';
import { Router } from 'express';
import { audited, caller, parse } from './request';
import { RouterOptions } from './router';

/**
 * `POST /sync`: a fleet sync now, of one entity or all.
 *
 * @internal
 */
export function addFleetRoutes(router: Router, options: RouterOptions) {
  const { httpAuth, auditor, fleetService } = options;

  router.post('/sync', async (req, res) => {
    const credentials = await caller(httpAuth, req);
    const body = parse(syncRequestSchema, req.body, 'request body');
    const entityRef = body.entityRef
      ? stringifyEntityRef(parseEntityRef(body.entityRef))
      : undefined;
    const synced = await audited(
      auditor,
      req,
      { eventId: 'fleet-sync', meta: { entityRef: entityRef ?? 'all' } },
      () => fleetService.sync({ entityRef, credentials }),
    );
    res.json({ synced });
  });
}
