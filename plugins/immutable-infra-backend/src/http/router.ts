import { InputError } from '@backstage/errors';
import express from 'express';
import Router from 'express-promise-router';
import { RouterOptions } from './context';
import { addEntityRoutes } from './entityRoutes';
import { addFamilyRoutes } from './familyRoutes';
import { addFleetRoutes } from './fleetRoutes';
import { addImageRoutes } from './imageRoutes';

export type { RouterOptions } from './context';

/**
 * Largest JSON body accepted; larger ones answer 400 saying so.
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
  // A body too large or not JSON is the caller's mistake: say which.
  router.use(
    (
      error: Error & { type?: string },
      _req: express.Request,
      _res: express.Response,
      next: express.NextFunction,
    ) => {
      if (error.type === 'entity.too.large') {
        next(
          new InputError(
            `Request body is larger than the ${MAX_BODY_BYTES} limit`,
          ),
        );
      } else if (error.type === 'entity.parse.failed') {
        next(
          new InputError(`Request body is not valid JSON: ${error.message}`),
        );
      } else {
        next(error);
      }
    },
  );

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  addEntityRoutes(router, options);
  addFamilyRoutes(router, options);
  addImageRoutes(router, options);
  addFleetRoutes(router, options);

  return router;
}
