import {
  driftQuerySchema,
  entityPathParamsSchema,
  instanceQuerySchema,
  pageQuerySchema,
} from '@immutable-infra/backstage-plugin-common';
import { Router } from 'express';
import { caller, parse, parseParams, sendPage } from './request';
import { RouterOptions } from './router';

/**
 * Routes under `/entities/:kind/:namespace/:name`: what one catalog
 * entity's pages show.
 *
 * @internal
 */
export function addEntityRoutes(router: Router, options: RouterOptions) {
  const { httpAuth, pages } = options;
  const base = '/entities/:kind/:namespace/:name';

  router.get(`${base}/summary`, async (req, res) => {
    const credentials = await caller(httpAuth, req);
    const ref = parseParams(entityPathParamsSchema, req);
    sendPage(res, await pages.summary(ref, credentials));
  });

  router.get(`${base}/audit`, async (req, res) => {
    const credentials = await caller(httpAuth, req);
    const ref = parseParams(entityPathParamsSchema, req);
    const query = parse(pageQuerySchema, req.query, 'query');
    res.json(await pages.auditEvents(ref, query, credentials));
  });

  router.get(`${base}/images`, async (req, res) => {
    const credentials = await caller(httpAuth, req);
    const ref = parseParams(entityPathParamsSchema, req);
    const query = parse(pageQuerySchema, req.query, 'query');
    res.json(await pages.images(ref, query, credentials));
  });

  router.get(`${base}/instances`, async (req, res) => {
    const credentials = await caller(httpAuth, req);
    const ref = parseParams(entityPathParamsSchema, req);
    const query = parse(instanceQuerySchema, req.query, 'query');
    sendPage(res, await pages.instances(ref, query, credentials));
  });

  router.get(`${base}/drift`, async (req, res) => {
    const credentials = await caller(httpAuth, req);
    const ref = parseParams(entityPathParamsSchema, req);
    const query = parse(driftQuerySchema, req.query, 'query');
    sendPage(res, await pages.drift(ref, credentials, query));
  });

  router.get(`${base}/image-age`, async (req, res) => {
    const credentials = await caller(httpAuth, req);
    const ref = parseParams(entityPathParamsSchema, req);
    sendPage(res, await pages.imageAge(ref, credentials));
  });
}
