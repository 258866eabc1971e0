import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import { catalogEntityReadPermission } from '@backstage/plugin-catalog-common/alpha';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  AMI_ID_PATTERN,
  BlastRadius,
  IMAGE_VERSION_REF_PATTERN,
  immutableInfraFleetSyncPermission,
  instanceQuerySchema,
  syncRequestSchema,
} from '@immutable-infra/backstage-plugin-common';
import { Request, Router } from 'express';
import { driftView, imageAgeView, instanceViews } from '../drift/views';
import {
  audited,
  caller,
  Caller,
  parse,
  readableFamily,
  RouterOptions,
  sendPage,
} from './context';
import { loadEntityPage } from './entityRoutes';

/**
 * Fleet routes: instances, drift, image age, blast radius, and sync.
 */
export function addFleetRoutes(router: Router, options: RouterOptions) {
  const { httpAuth, permissions, images, analyzer, settings } = options;

  /** The entity, its annotations and the analysis of its fleet. */
  async function analyse(req: Request, credentials: Caller) {
    const { entityRef, annotations, data } = await loadEntityPage(
      options,
      req,
      credentials,
    );
    const family = data?.families.find(f => f.name === annotations.imageFamily);
    if (!family || !data) {
      throw new NotFoundError(
        `Entity ${entityRef} is not enrolled: its image family is not registered to it`,
      );
    }
    return {
      entityRef,
      annotations,
      analysis: analyzer.analyze({ entityRef, annotations, family, data }),
    };
  }

  router.get('/entities/:kind/:namespace/:name/instances', async (req, res) => {
    const query = parse(instanceQuerySchema, req.query, 'query');
    const { analysis } = await analyse(req, await caller(httpAuth, req));
    const all = instanceViews(analysis).filter(
      i =>
        (!query.environment || i.environment === query.environment) &&
        (!query.rule || i.rules.includes(query.rule)) &&
        (!query.state || i.state === query.state),
    );
    const offset = query.cursor ? Number(query.cursor) : 0;
    const items = all.slice(offset, offset + query.limit);
    sendPage(res, {
      items,
      total: all.length,
      nextCursor:
        offset + query.limit < all.length
          ? String(offset + query.limit)
          : undefined,
    });
  });

  router.get('/entities/:kind/:namespace/:name/drift', async (req, res) => {
    const { entityRef, analysis } = await analyse(
      req,
      await caller(httpAuth, req),
    );
    sendPage(res, driftView(entityRef, analysis));
  });

  router.get('/entities/:kind/:namespace/:name/image-age', async (req, res) => {
    const { entityRef, annotations, analysis } = await analyse(
      req,
      await caller(httpAuth, req),
    );
    sendPage(
      res,
      imageAgeView({
        entityRef,
        analysis,
        environments: annotations.environments,
        policyDays:
          annotations.maxImageAgeDays ?? settings.policy.maxImageAgeDays,
      }),
    );
  });

  router.get('/images/:id/blast-radius', async (req, res) => {
    const credentials = await caller(httpAuth, req);
    const id = req.params.id;
    const match = IMAGE_VERSION_REF_PATTERN.exec(id);
    if (!match && !AMI_ID_PATTERN.test(id)) {
      throw new InputError(
        `Invalid image id "${id}": expected "<family>@<version>" or an AMI id`,
      );
    }
    const version = await images.getVersion(
      match ? { family: match[1], version: Number(match[2]) } : { imageId: id },
    );
    if (!version) {
      throw new NotFoundError(`No image ${id} is registered`);
    }
    await readableFamily(options, version.family, credentials);
    const imageIds = version.artifacts.map(a => a.imageId);
    const instances = await options.fleet.findInstancesByImage(imageIds);
    const byEntity = new Map<string, typeof instances>();
    for (const instance of instances) {
      byEntity.set(instance.entityRef, [
        ...(byEntity.get(instance.entityRef) ?? []),
        instance,
      ]);
    }
    // One permission check for all the entities, and their owners from the
    // plugin's copy; an entity it has no copy of is read from the catalog.
    const refs = [...byEntity.keys()];
    const [decisions, snapshots] = await Promise.all([
      refs.length
        ? permissions.authorize(
            refs.map(resourceRef => ({
              permission: catalogEntityReadPermission,
              resourceRef,
            })),
            { credentials },
          )
        : Promise.resolve([]),
      options.readModel.getSnapshots(refs),
    ]);
    const entities: BlastRadius['entities'] = [];
    for (const [index, entityRef] of refs.entries()) {
      const list = byEntity.get(entityRef)!;
      const snapshot = snapshots.get(entityRef);
      let owner: string | undefined;
      if (snapshot) {
        // Entities the caller may not read are left out, not named.
        if (decisions[index].result !== AuthorizeResult.ALLOW) {
          continue;
        }
        owner = snapshot.owner;
      } else {
        const entity = await options.catalog.getEntityByRef(entityRef, {
          credentials,
        });
        if (!entity) {
          continue;
        }
        owner = (entity.spec as { owner?: string } | undefined)?.owner;
      }
      entities.push({
        entityRef,
        owner: owner
          ? stringifyEntityRef(parseEntityRef(owner, { defaultKind: 'group' }))
          : undefined,
        environments: [
          ...new Set(list.map(i => i.environment ?? 'untagged')),
        ].sort(),
        instanceIds: list.map(i => i.instanceId),
      });
    }
    const body: BlastRadius = {
      version: version.id,
      imageIds,
      instances: entities.reduce((n, e) => n + e.instanceIds.length, 0),
      entities,
    };
    res.json(body);
  });

  router.post('/sync', async (req, res) => {
    const credentials = await caller(httpAuth, req);
    const body = parse(syncRequestSchema, req.body);
    let entityRef: string | undefined;
    if (body.entityRef) {
      try {
        entityRef = stringifyEntityRef(parseEntityRef(body.entityRef));
      } catch {
        throw new InputError(
          `Invalid entityRef "${body.entityRef}": expected "kind:namespace/name"`,
        );
      }
      const entity = await options.catalog.getEntityByRef(entityRef, {
        credentials,
      });
      if (!entity) {
        throw new NotFoundError(
          `No entity ${entityRef} found, or you may not read it`,
        );
      }
    }
    const synced = await audited(
      options,
      req,
      'fleet-sync',
      { entityRef: entityRef ?? 'all' },
      async () => {
        if (credentials.principal.type === 'user') {
          const [decision] = await permissions.authorize(
            [{ permission: immutableInfraFleetSyncPermission }],
            { credentials },
          );
          if (decision.result !== AuthorizeResult.ALLOW) {
            throw new NotAllowedError('You may not sync fleets');
          }
        }
        return options.fleetSync.run(entityRef);
      },
    );
    res.json({ synced });
  });
}
