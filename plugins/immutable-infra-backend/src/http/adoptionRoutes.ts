import {
  adoptionHistoryQuerySchema,
  adoptionQuerySchema,
  adoptionSnapshotRequestSchema,
  createInitiativeRequestSchema,
  initiativePathParamsSchema,
  updateInitiativeRequestSchema,
} from '@immutable-infra/backstage-plugin-common';
import { Router } from 'express';
import { audited, caller, parse, parseParams, sendPage } from './request';
import { RouterOptions } from './router';

/**
 * Routes under `/adoption`: immutability across the catalog, over the
 * components the caller may read.
 *
 * @internal
 */
export function addAdoptionRoutes(router: Router, options: RouterOptions) {
  const { httpAuth, auditor, adoption, initiatives } = options;

  router.get('/initiatives', async (req, res) => {
    const credentials = await caller(httpAuth, req);
    sendPage(res, { items: await initiatives.list(credentials) });
  });

  router.post('/initiatives', async (req, res) => {
    const credentials = await caller(httpAuth, req);
    const body = parse(createInitiativeRequestSchema, req.body, 'request body');
    const created = await audited(
      auditor,
      req,
      { eventId: 'initiative-create', meta: { title: body.title } },
      () => initiatives.create(body, credentials),
    );
    res.status(201).json(created);
  });

  router.get('/initiatives/:id', async (req, res) => {
    const credentials = await caller(httpAuth, req);
    const { id } = parseParams(initiativePathParamsSchema, req);
    sendPage(res, await initiatives.get(id, credentials));
  });

  router.patch('/initiatives/:id', async (req, res) => {
    const credentials = await caller(httpAuth, req);
    const { id } = parseParams(initiativePathParamsSchema, req);
    const body = parse(updateInitiativeRequestSchema, req.body, 'request body');
    const updated = await audited(
      auditor,
      req,
      { eventId: 'initiative-update', meta: { initiative: id } },
      () => initiatives.update(id, body, credentials),
    );
    res.json(updated);
  });

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
