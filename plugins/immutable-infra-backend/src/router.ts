import {
  AuditorService,
  HttpAuthService,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  CompoundEntityRef,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  EntitySummary,
  enrollRequestSchema,
  immutableInfraImageCreatePermission,
  parseImmutableInfraAnnotations,
} from '@immutable-infra/backstage-plugin-common';
import express, { Request } from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { ImageStore } from './database/ImageStore';
import { principalRef } from './service/principalRef';

/**
 * Largest JSON body accepted; larger ones answer 413.
 *
 * @internal
 */
export const MAX_BODY_BYTES = '1mb';

/** @internal */
export type RouterOptions = {
  logger: LoggerService;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  auditor: AuditorService;
  catalog: CatalogService;
  images: ImageStore;
};

function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw new InputError(
      `Invalid request body: ${parsed.error.issues
        .map(i => `${i.path.join('.') || 'body'} ${i.message}`)
        .join('; ')}`,
    );
  }
  return parsed.data;
}

function entityRefFromParams(req: Request): CompoundEntityRef {
  const { kind, namespace, name } = req.params;
  return { kind, namespace, name };
}

function parseRef(ref: string): string {
  try {
    return stringifyEntityRef(parseEntityRef(ref));
  } catch (error) {
    throw new InputError(
      `Invalid entityRef "${ref}": expected "kind:namespace/name"`,
    );
  }
}

/**
 * The HTTP API of the plugin. Every route but `/health` needs user or
 * service credentials (the default of the Backstage HTTP router).
 *
 * @internal
 */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const { httpAuth, permissions, auditor, catalog, images } = options;
  const router = Router();
  router.use(express.json({ limit: MAX_BODY_BYTES }));

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/entities/:kind/:namespace/:name/summary', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const ref = entityRefFromParams(req);
    const entity = await catalog.getEntityByRef(ref, { credentials });
    if (!entity) {
      throw new NotFoundError(
        `No entity ${stringifyEntityRef(ref)} found, or you may not read it`,
      );
    }
    const entityRef = stringifyEntityRef(entity);
    const { annotations, errors } = parseImmutableInfraAnnotations(entity);
    if (errors.length > 0) {
      throw new InputError(
        `Entity ${entityRef} has malformed annotations: ${errors
          .map(e => `${e.annotation}="${e.value}" ${e.message}`)
          .join('; ')}`,
      );
    }
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
    } else if (family) {
      summary.familyOwnedBy = family.entityRef;
    }
    res.json(summary);
  });

  router.post('/families', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const body = parseBody(enrollRequestSchema, req.body);
    const entityRef = parseRef(body.entityRef);
    const auditEvent = await auditor.createEvent({
      eventId: 'family-enroll',
      severityLevel: 'medium',
      request: req,
      meta: { family: body.name, entityRef },
    });
    try {
      const [decision] = await permissions.authorize(
        [
          {
            permission: immutableInfraImageCreatePermission,
            resourceRef: entityRef,
          },
        ],
        { credentials },
      );
      if (decision.result !== AuthorizeResult.ALLOW) {
        throw new NotAllowedError(
          `You may not enroll image families for ${entityRef}`,
        );
      }
      const result = await images.enrollFamily({
        name: body.name,
        entityRef,
        actor: principalRef(credentials),
      });
      if (result.outcome === 'taken') {
        throw new ConflictError(
          `Image family "${body.name}" is already enrolled by ${result.family.entityRef}`,
        );
      }
      await auditEvent.success({ meta: { outcome: result.outcome } });
      res
        .status(result.outcome === 'created' ? 201 : 200)
        .json({ family: result.family, created: result.outcome === 'created' });
    } catch (error) {
      await auditEvent.fail({ error: error as Error });
      throw error;
    }
  });

  return router;
}
