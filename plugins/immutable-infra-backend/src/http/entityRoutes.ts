import {
  CompoundEntityRef,
  Entity,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { InputError, NotFoundError } from '@backstage/errors';
import { catalogEntityReadPermission } from '@backstage/plugin-catalog-common/alpha';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  AuditEventPage,
  EntitySummary,
  ImageVersionPage,
  ImmutableInfraAnnotations,
  pageQuerySchema,
  ParsedAnnotations,
  parseImmutableInfraAnnotations,
} from '@immutable-infra/backstage-plugin-common';
import { Request, Router } from 'express';
import { EntityFleetData } from '../entities/EntityReadModel';
import { fleetSummary } from '../drift/views';
import { caller, Caller, parse, RouterOptions, sendPage } from './context';

function entityRefFromParams(req: Request): CompoundEntityRef {
  const { kind, namespace, name } = req.params;
  return { kind, namespace, name };
}

function entityNotFound(entityRef: string) {
  return new NotFoundError(
    `No entity ${entityRef} found, or you may not read it`,
  );
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
    throw entityNotFound(stringifyEntityRef(ref));
  }
  return entity;
}

/** What an entity page is built from. @internal */
export type EntityPage = {
  entityRef: string;
  annotations: ImmutableInfraAnnotations;
  /** The entity's fleet and registry data, when it is enrolled. */
  data?: EntityFleetData;
};

/**
 * The entity of the route with its fleet data, if the caller may read it in
 * the catalog; else 404. An enrolled entity is answered from the read
 * model's copy of its annotations, while the catalog's read permission is
 * checked for the caller at the same time, so the page costs one database
 * round trip and no second catalog request. Entities the read model does not
 * know (not enrolled, or enrolled since its last refresh) are read from the
 * catalog, and an enrolled one is recorded for next time.
 */
export async function loadEntityPage(
  options: RouterOptions,
  req: Request,
  credentials: Caller,
): Promise<EntityPage> {
  const entityRef = stringifyEntityRef(entityRefFromParams(req));
  const [[decision], data] = await Promise.all([
    options.permissions.authorize(
      [{ permission: catalogEntityReadPermission, resourceRef: entityRef }],
      { credentials },
    ),
    options.readModel.load(entityRef),
  ]);
  if (data) {
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw entityNotFound(entityRef);
    }
    return {
      entityRef,
      annotations: wellFormed(entityRef, data.snapshot.parsed),
      data,
    };
  }
  const entity = await readableEntity(options, req, credentials);
  const annotations = annotationsOf(entity);
  if (!annotations.imageFamily) {
    return { entityRef: stringifyEntityRef(entity), annotations };
  }
  await options.readModel.putSnapshot(entity);
  return {
    entityRef: stringifyEntityRef(entity),
    annotations,
    data: await options.readModel.load(stringifyEntityRef(entity)),
  };
}

/** Parsed annotations of an entity; 400 naming each malformed one. */
function wellFormed(
  entityRef: string,
  { annotations, errors }: ParsedAnnotations,
): ImmutableInfraAnnotations {
  if (errors.length > 0) {
    throw new InputError(
      `Entity ${entityRef} has malformed annotations: ${errors
        .map(e => `${e.annotation}="${e.value}" ${e.message}`)
        .join('; ')}`,
    );
  }
  return annotations;
}

/** The entity's annotations; 400 naming each malformed one. */
export function annotationsOf(entity: Entity) {
  return wellFormed(
    stringifyEntityRef(entity),
    parseImmutableInfraAnnotations(entity),
  );
}

/**
 * Routes under `/entities/:kind/:namespace/:name`: what one catalog entity's
 * pages show. Each checks that the caller may read the entity in the
 * catalog ({@link loadEntityPage}), so one the caller may not read answers
 * 404.
 */
export function addEntityRoutes(router: Router, options: RouterOptions) {
  const { httpAuth, images } = options;

  router.get('/entities/:kind/:namespace/:name/summary', async (req, res) => {
    const credentials = await caller(httpAuth, req);
    const { entityRef, annotations, data } = await loadEntityPage(
      options,
      req,
      credentials,
    );
    const family = annotations.imageFamily
      ? data?.families.find(f => f.name === annotations.imageFamily) ??
        (await images.getFamily(annotations.imageFamily))
      : undefined;
    const summary: EntitySummary = {
      entityRef,
      enrolled: annotations.imageFamily !== undefined,
      annotations,
    };
    if (family && family.entityRef === entityRef && data) {
      summary.family = family;
      summary.fleet = fleetSummary({
        analysis: options.analyzer.analyze({
          entityRef,
          annotations,
          family,
          data,
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
    sendPage(res, summary);
  });

  router.get('/entities/:kind/:namespace/:name/audit', async (req, res) => {
    const query = parse(pageQuerySchema, req.query, 'query');
    const { entityRef } = await loadEntityPage(
      options,
      req,
      await caller(httpAuth, req),
    );
    const page: AuditEventPage = await options.readModel.listAuditEvents({
      entityRef,
      cursor: query.cursor,
      limit: query.limit,
    });
    res.json(page);
  });

  router.get('/entities/:kind/:namespace/:name/images', async (req, res) => {
    const query = parse(pageQuerySchema, req.query, 'query');
    const { entityRef, annotations } = await loadEntityPage(
      options,
      req,
      await caller(httpAuth, req),
    );
    const { imageFamily } = annotations;
    if (!imageFamily) {
      throw new NotFoundError(
        `Entity ${entityRef} is not enrolled: it has no image family annotation`,
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
