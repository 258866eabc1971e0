import express from 'express';
import Router from 'express-promise-router';
import { RouterOptions } from './routes/context';
import { addEntityRoutes } from './routes/entityRoutes';
import { addFamilyRoutes } from './routes/familyRoutes';
import { addImageRoutes } from './routes/imageRoutes';

export type { RouterOptions } from './routes/context';

/**
 * Largest JSON body accepted; larger ones answer 413.
 *
 * @internal
 */
export const MAX_BODY_BYTES = '1mb';

/**
 * The HTTP API of the plugin. Every route but `/health` needs user or
 * service credentials.
 *
 * @internal
 */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const router = Router();
  router.use(express.json({ limit: MAX_BODY_BYTES }));

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  addEntityRoutes(router, options);
  addFamilyRoutes(router, options);
  addImageRoutes(router, options);

  return router;
}
