import {
  adoptionHistoryQuerySchema,
  adoptionQuerySchema,
  adoptionSnapshotRequestSchema,
} from '@immutable-infra/backstage-plugin-common';
import { Router } from 'express';
import { audited, caller, parse, sendPage } from './request';
import { RouterOptions } from './router';

/**
 * Routes under `/adoption`: immutability across the catalog, over the
 * components the caller may read.
 *
 * @internal
 */
export function addAdoptionRoutes(router: Router, options: RouterOptions) {
  const { httpAuth, auditor, adoption } = options;

  // Today's snapshot now, e.g. after an enrolment wave; with backfillDays,
  // the days before it rebuilt from the records.
  router.post('/adoption/snapshots', async (req, res) => {
    const credentials = await caller(httpAuth, req);
    const body = parse(adoptionSnapshotRequestSchema, req.body, 'request body');
    const result = await audited(
      auditor,
      req,
      {
        eventId: 'adoption-snapshot',
        meta: { backfillDays: body.backfillDays ?? 0 },
      },
      () => adoption.snapshot(body, credentials),
    );
    res.status(201).json(result);
  });

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
