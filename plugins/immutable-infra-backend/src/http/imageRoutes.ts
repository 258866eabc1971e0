import {
  imageIdParamSchema,
  pruneRequestSchema,
  registerImageRequestSchema,
  restoreImageRequestSchema,
  revokeImageRequestSchema,
} from '@immutable-infra/backstage-plugin-common';
import { Router } from 'express';
import { audited, caller, parse, parseParams } from './request';
import { RouterOptions } from './router';

/**
 * Routes under `/images`: registration, lookup, revocation, pruning and
 * blast radius.
 *
 * @internal
 */
export function addImageRoutes(router: Router, options: RouterOptions) {
  const { httpAuth, auditor, registry, fleetService } = options;

  router.post('/images', async (req, res) => {
    const credentials = await caller(httpAuth, req);
    const request = parse(registerImageRequestSchema, req.body, 'request body');
    const result = await audited(
      auditor,
      req,
      { eventId: 'image-register', meta: { family: request.family } },
      () => registry.register({ request, credentials }),
    );
    res.status(result.created ? 201 : 200).json(result);
  });

  router.post('/images/prune', async (req, res) => {
    const credentials = await caller(httpAuth, req);
    const body = parse(pruneRequestSchema, req.body, 'request body');
    const result = await audited(
      auditor,
      req,
      {
        eventId: 'image-prune',
        meta: { family: body.family ?? null, dryRun: body.dryRun },
      },
      () => registry.prune({ ...body, credentials }),
    );
    res.json(result);
  });

  router.get('/images/:id', async (req, res) => {
    const credentials = await caller(httpAuth, req);
    const { id } = parseParams(imageIdParamSchema, req);
    res.json((await registry.readableVersion(id, credentials)).version);
  });

  router.get('/images/:id/blast-radius', async (req, res) => {
    const credentials = await caller(httpAuth, req);
    const { id } = parseParams(imageIdParamSchema, req);
    res.json(await fleetService.blastRadius(id, credentials));
  });

  for (const action of ['revoke', 'restore'] as const) {
    router.post(`/images/:id/${action}`, async (req, res) => {
      const credentials = await caller(httpAuth, req);
      const { id } = parseParams(imageIdParamSchema, req);
      const body = parse(
        action === 'revoke'
          ? revokeImageRequestSchema
          : restoreImageRequestSchema,
        req.body,
        'request body',
      );
      const changed = await audited(
        auditor,
        req,
        {
          eventId: `image-${action}`,
          meta: { image: id, descendants: body.descendants },
        },
        () =>
          registry.setRevoked({
            id,
            revoked: action === 'revoke',
            descendants: body.descendants,
            reason: body.reason,
            credentials,
          }),
      );
      res.json({ changed });
    });
  }
}
