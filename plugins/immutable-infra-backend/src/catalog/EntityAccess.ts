import { PermissionsService } from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import { NotAllowedError, NotFoundError } from '@backstage/errors';
import { catalogEntityReadPermission } from '@backstage/plugin-catalog-common/alpha';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  AuthorizeResult,
  BasicPermission,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import { Caller } from '../audit/principalRef';

/**
 * 404 for an entity that does not exist or that the caller may not read:
 * the two are not told apart.
 *
 * @internal
 */
export function entityNotFound(entityRef: string): NotFoundError {
  return new NotFoundError(
    `No entity ${entityRef} found, or you may not read it`,
  );
}

/**
 * What a caller may do with catalog entities: the permission checks of
 * every service, in one place. A check that cannot be made throws, so the
 * request fails instead of going on unchecked.
 *
 * @internal
 */
export class EntityAccess {
  constructor(
    private readonly options: {
      permissions: PermissionsService;
      catalog: CatalogService;
    },
  ) {}

  /** Authorizes a permission on an entity; 403 with `message` on deny. */
  async authorize(options: {
    permission: ResourcePermission<'catalog-entity'>;
    entityRef: string;
    credentials: Caller;
    message: string;
  }): Promise<void> {
    const [decision] = await this.options.permissions.authorize(
      [{ permission: options.permission, resourceRef: options.entityRef }],
      { credentials: options.credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(options.message);
    }
  }

  /** Authorizes a permission about no entity; 403 with `message` on deny. */
  async authorizeBasic(options: {
    permission: BasicPermission;
    credentials: Caller;
    message: string;
  }): Promise<void> {
    const [decision] = await this.options.permissions.authorize(
      [{ permission: options.permission }],
      { credentials: options.credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(options.message);
    }
  }

  /** Whether the caller may read each entity in the catalog, in order. */
  async mayRead(entityRefs: string[], credentials: Caller): Promise<boolean[]> {
    if (entityRefs.length === 0) {
      return [];
    }
    const decisions = await this.options.permissions.authorize(
      entityRefs.map(resourceRef => ({
        permission: catalogEntityReadPermission,
        resourceRef,
      })),
      { credentials },
    );
    return decisions.map(d => d.result === AuthorizeResult.ALLOW);
  }

  /**
   * Whether the caller may read every entity of the catalog, whatever it
   * is: the permission policy allows the read without conditions. False
   * when it is conditional (then `mayRead` answers per entity) or denied.
   */
  async mayReadEvery(credentials: Caller): Promise<boolean> {
    const [decision] = await this.options.permissions.authorizeConditional(
      [{ permission: catalogEntityReadPermission }],
      { credentials },
    );
    return decision.result === AuthorizeResult.ALLOW;
  }

  /** The entity, read from the catalog as the caller; undefined if unseen. */
  async readEntity(
    entityRef: string,
    credentials: Caller,
  ): Promise<Entity | undefined> {
    return this.options.catalog.getEntityByRef(entityRef, { credentials });
  }

  /** The entity, read from the catalog as the caller; else 404. */
  async requireEntity(entityRef: string, credentials: Caller): Promise<Entity> {
    const entity = await this.readEntity(entityRef, credentials);
    if (!entity) {
      throw entityNotFound(entityRef);
    }
    return entity;
  }
}
