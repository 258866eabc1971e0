import {
  CompoundEntityRef,
  Entity,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { InputError, NotFoundError } from '@backstage/errors';
import {
  EntitySummary,
  ImageVersionPage,
  pageQuerySchema,
  parseImmutableInfraAnnotations,
} from '@immutable-infra/backstage-plugin-common';
import { Request, Router } from 'express';
import { fleetSummary } from '../drift/views';
import { caller, Caller, parse, RouterOptions } from './context';

function entityRefFromParams(req: Request): CompoundEntityRef {
  const { kind, namespace, name } = req.params;
  return { kind, namespace, name };
}

/** The entity of the route, read with the caller's credentials; else 404. */
export async function readableEntity(
  options: RouterOptions,
  req: Request,
  credentials: Caller,
): Promise<Entity> {
  const ref = entityRefFromParams(req);
  const entity = await options.catalog.getEntityByRef(ref, { credentials });
  if (!entity) {
    throw new NotFoundError(
      `No entity ${stringifyEntityRef(ref)} found, or you may not read it`,
    );
  }
  return entity;
}

/** The entity's annotations; 400 naming each malformed one. */
export function annotationsOf(entity: Entity) {
  const { annotations, errors } = parseImmutableInfraAnnotations(entity);
  if (errors.length > 0) {
    throw new InputError(
      `Entity ${stringifyEntityRef(entity)} has malformed annotations: ${errors
        .map(e => `${e.annotation}="${e.value}" ${e.message}`)
        .join('; ')}`,
    );
  }
  return annotations;
}

/**
 * Routes under `/entities/:kind/:namespace/:name`: what one catalog entity's
 * pages show. The entity is read with the caller's credentials, so one the
 * caller may not read answers 404.
 */
export function addEntityRoutes(router: Router, options: RouterOptions) {
  const { httpAuth, images } = options;
  const loadEntity = (req: Request, credentials: Caller) =>
    readableEntity(options, req, credentials);

  router.get('/entities/:kind/:namespace/:name/summary', async (req, res) => {
    const credentials = await caller(httpAuth, req);
    const entity = await loadEntity(req, credentials);
    const entityRef = stringifyEntityRef(entity);
    const annotations = annotationsOf(entity);
    const family = annotations.imageFamily
      ? await images.getFamily(annotations.imageFamily)
      : undefined;
    const summary: EntitySummary = {
      entityRef,
      enrolled: annotations.imageFamily !== undefined,
      annotations,
    };
    if (family && family.entityRef === entityRef) {
      summary.family = family;
      summary.fleet = fleetSummary({
        analysis: await options.analyzer.analyze({
          entityRef,
          annotations,
          family,
        }),
        environments: annotations.environments,
      });
    } else if (family) {
      const owner = await options.catalog.getEntityByRef(family.entityRef, {
        credentials,
      });
      summary.familyOwnedBy = owner
        ? family.entityRef
        : 'an entity you may not read';
    }
    res.json(summary);
  });

  router.get('/entities/:kind/:namespace/:name/images', async (req, res) => {
    const query = parse(pageQuerySchema, req.query, 'query');
    const entity = await loadEntity(req, await caller(httpAuth, req));
    const { imageFamily } = annotationsOf(entity);
    if (!imageFamily) {
      throw new NotFoundError(
        `Entity ${stringifyEntityRef(
          entity,
        )} is not enrolled: it has no image family annotation`,
      );
    }
    const page = await images.listVersions({
      family: imageFamily,
      cursor: query.cursor,
      limit: query.limit,
    });
    const body: ImageVersionPage = { family: imageFamily, ...page };
    res.json(body);
  });
}
