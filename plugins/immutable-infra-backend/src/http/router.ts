import { AuditorService, HttpAuthService } from '@backstage/backend-plugin-api';
import { CustomErrorBase, InputError } from '@backstage/errors';
import express from 'express';
import { z } from 'zod';
import Router from 'express-promise-router';
import { EntityPages } from '../entities/EntityPages';
import { FleetService } from '../fleet/FleetService';
import { ImageRegistry } from '../registry/ImageRegistry';
import { RolloutService } from '../rollouts/RolloutService';
import { AdoptionService } from '../adoption/AdoptionService';
import { InitiativeService } from '../adoption/InitiativeService';
import { addAdoptionRoutes } from './adoptionRoutes';
import { addEntityRoutes } from './entityRoutes';
import { addFamilyRoutes } from './familyRoutes';
import { addFleetRoutes } from './fleetRoutes';
import { addImageRoutes } from './imageRoutes';
import { addRolloutRoutes } from './rolloutRoutes';
import { openApiDocument } from './openApiDocument';
import { caller, parse } from './request';
import { ROUTE_CONTRACTS } from './routeContracts';

/** What the HTTP handlers call. @internal */
export type RouterOptions = {
  httpAuth: HttpAuthService;
  auditor: AuditorService;
  registry: ImageRegistry;
  pages: EntityPages;
  fleetService: FleetService;
  rollouts: RolloutService;
  adoption: AdoptionService;
  initiatives: InitiativeService;
};

/**
 * Largest JSON body accepted; larger ones answer 413.
 *
 * @internal
 */
export const MAX_BODY_BYTES = '1mb';

/** The query of a route that reads none. */
const NO_QUERY = z.strictObject({});

/** Each route by its method and a pattern of its path. */
const ROUTE_PATTERNS = ROUTE_CONTRACTS.map(route => ({
  route,
  pattern: new RegExp(
    `^${route.path.replace(/\./g, '\\.').replace(/:\w+/g, '[^/]+')}/?$`,
  ),
}));

/** Whether the request is for a route with credentials that reads no query. */
function readsNoQuery(req: express.Request): boolean {
  const routes = ROUTE_PATTERNS.filter(
    ({ route, pattern }) =>
      route.method === req.method.toLowerCase() && pattern.test(req.path),
  ).map(({ route }) => route);
  return routes.length > 0 && routes.every(r => !r.query && !r.unauthenticated);
}

/**
 * 413: the body is larger than the limit. The error handler of the backend
 * answers an error with its `statusCode`.
 *
 * @internal
 */
export class PayloadTooLargeError extends CustomErrorBase {
  name = 'PayloadTooLargeError' as const;
  statusCode = 413;
}

/**
 * The HTTP API of the plugin. Every route but `/health` needs user or
 * service credentials; handlers parse their input with the schemas of
 * `-common`, call one service method and answer.
 *
 * @internal
 */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const router = Router();
  router.use(express.json({ limit: MAX_BODY_BYTES }));

  // A query a route does not read is refused rather than ignored, as
  // unknown keys of a body are: `POST /images/prune?dryRun=true` would
  // otherwise prune. Routes with a query parse it with their strict schema.
  router.use((req, _res, next) => {
    if (Object.keys(req.query).length > 0 && readsNoQuery(req)) {
      parse(NO_QUERY, req.query, 'query');
    }
    next();
  });

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  // The contract of every route here, checked against them by
  // openApiDocument.test.ts.
  router.get('/openapi.json', async (req, res) => {
    await caller(options.httpAuth, req);
    res.json(openApiDocument());
  });

  addEntityRoutes(router, options);
  addFamilyRoutes(router, options);
  addImageRoutes(router, options);
  addFleetRoutes(router, options);
  addRolloutRoutes(router, options);
  addAdoptionRoutes(router, options);

  router.use(callerMistakes);

  return router;
}

/**
 * A body too large or not JSON, or a path that is not percent-encoded
 * UTF-8, is the caller's mistake: say which. Express would answer the last
 * with the whole path parameter in its message.
 */
function callerMistakes(
  error: Error & { type?: string; status?: number; code?: string },
  _req: express.Request,
  _res: express.Response,
  next: express.NextFunction,
) {
  if (error.type === 'entity.too.large') {
    next(
      new PayloadTooLargeError(
        `Request body is larger than the ${MAX_BODY_BYTES} limit`,
      ),
    );
  } else if (error.status === 400 && /^Z_/.test(String(error.code))) {
    // zlib could not inflate what Content-Encoding said was compressed.
    next(
      new InputError(
        'Request body is not compressed as its Content-Encoding says',
      ),
    );
  } else if (error.type === 'entity.parse.failed') {
    next(new InputError(`Request body is not valid JSON: ${error.message}`));
  } else if (error instanceof URIError && error.status === 400) {
    next(
      new InputError(
        'Invalid path: a parameter is not percent-encoded UTF-8 (such as %C3%A9 for "é")',
      ),
    );
  } else {
    next(error);
  }
}
