import {
  AuditorService,
  BackstageCredentials,
  BackstagePrincipalTypes,
  HttpAuthService,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  AuthorizeResult,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import { ImageFamily } from '@immutable-infra/backstage-plugin-common';
import { JsonObject } from '@backstage/types';
import { Request, Response } from 'express';
import { z } from 'zod';
import { ImageStore } from '../registry/ImageStore';
import { FleetStore } from '../fleet/FleetStore';
import { EntityReadModel } from '../entities/EntityReadModel';
import { FleetAnalyzer } from '../drift/FleetAnalyzer';
import { ImagePruner } from '../registry/ImagePruner';
import { ImageProvider } from '../providers/ImageProvider';
import { FleetSync } from '../fleet/FleetSync';
import { ImmutableInfraSettings } from '../config/settings';

/** @internal */
export type RouterOptions = {
  logger: LoggerService;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  auditor: AuditorService;
  catalog: CatalogService;
  images: ImageStore;
  pruner: ImagePruner;
  /** EC2, to check that registered AMIs are the account's. */
  provider: ImageProvider;
  settings: ImmutableInfraSettings;
  fleet: FleetStore;
  readModel: EntityReadModel;
  analyzer: FleetAnalyzer;
  fleetSync: FleetSync;
};

/** @internal */
export type Caller = BackstageCredentials<
  BackstagePrincipalTypes['user'] | BackstagePrincipalTypes['service']
>;

/** Validates a body or query with a zod schema; 400 names each problem. */
export function parse<T extends z.ZodType>(
  schema: T,
  value: unknown,
  what = 'request body',
): z.infer<T> {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) {
    throw new InputError(
      `Invalid ${what}: ${parsed.error.issues
        .map(i => `${i.path.join('.') || what} ${i.message}`)
        .join('; ')}`,
    );
  }
  return parsed.data;
}

/**
 * Writes a JSON body the way the catalog writes entities: without the ETag
 * that `res.json` hashes the body for. Entity pages are read on every visit
 * and change with time, so they are not cached or revalidated.
 */
export function sendPage(res: Response, body: unknown) {
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}

/** Credentials of a user or a service; 401 for anything else. */
export function caller(httpAuth: HttpAuthService, req: Request) {
  return httpAuth.credentials(req, { allow: ['user', 'service'] });
}

/** Authorizes a permission on an entity; 403 with `message` on deny. */
export async function authorizeOnEntity(
  permissions: PermissionsService,
  options: {
    permission: ResourcePermission<'catalog-entity'>;
    entityRef: string;
    credentials: Caller;
    message: string;
  },
): Promise<void> {
  const [decision] = await permissions.authorize(
    [{ permission: options.permission, resourceRef: options.entityRef }],
    { credentials: options.credentials },
  );
  if (decision.result !== AuthorizeResult.ALLOW) {
    throw new NotAllowedError(options.message);
  }
}

/**
 * The family, if the caller may read its entity in the catalog; 404 both for
 * an unknown family and for one the caller may not see.
 */
export async function readableFamily(
  options: RouterOptions,
  name: string,
  credentials: Caller,
): Promise<ImageFamily> {
  const family = await options.images.getFamily(name);
  const entity = family
    ? await options.catalog.getEntityByRef(family.entityRef, { credentials })
    : undefined;
  if (!family || !entity) {
    throw new NotFoundError(
      `No image family "${name}" found, or you may not read its entity`,
    );
  }
  return family;
}

/**
 * Runs a mutation inside an auditor event: success with the outcome, or
 * failure with the error, which is then rethrown.
 */
export async function audited<T>(
  options: RouterOptions,
  req: Request,
  eventId: string,
  meta: JsonObject,
  fn: () => Promise<T>,
): Promise<T> {
  const event = await options.auditor.createEvent({
    eventId,
    severityLevel: 'medium',
    request: req,
    meta,
  });
  try {
    const result = await fn();
    await event.success();
    return result;
  } catch (error) {
    await event.fail({ error: error as Error });
    throw error;
  }
}
