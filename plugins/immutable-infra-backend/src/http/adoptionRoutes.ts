import {
  adoptionHistoryQuerySchema,
  adoptionQuerySchema,
} from '@immutable-infra/backstage-plugin-common';
import { Router } from 'express';
import { caller, parse, sendPage } from './request';
import { RouterOptions } from './router';

/**
 * Routes under `/adoption`: immutability across the catalog, over the
 * components the caller may read.
 *
 * @internal
 */
export function addAdoptionRoutes(router: Router, options: RouterOptions) {
  const { httpAuth, adoption } = options;

  router.get('/adoption', async (req, res) => {
    const credentials = await caller(httpAuth, req);
    const query = parse(adoptionQuerySchema, req.query, 'query');
    sendPage(res, await adoption.view(query, credentials));
  });

  router.get('/adoption/history', async (req, res) => {
    const credentials = await caller(httpAuth, req);
    const query = parse(adoptionHistoryQuerySchema, req.query, 'query');
    sendPage(res, await adoption.history(query, credentials));
  });

  // The view's services, every one: what the page shows, as a file.
  router.get('/adoption.csv', async (req, res) => {
    const credentials = await caller(httpAuth, req);
    const query = parse(adoptionQuerySchema, req.query, 'query');
    const csv = await adoption.csv(query, credentials);
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader(
      'Content-Disposition',
      `attachment; filename="adoption-${new Date()
        .toISOString()
        .slice(0, 10)}.csv"`,
    );
    res.end(csv);
  });
}
