import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  AMI_ID_PATTERN,
  IMAGE_VERSION_REF_PATTERN,
  ImageArtifactInput,
  ImageVersion,
  immutableInfraImageCreatePermission,
  immutableInfraImagePrunePermission,
  pruneRequestSchema,
  immutableInfraImageRevokePermission,
  registerImageRequestSchema,
  restoreImageRequestSchema,
  revokeImageRequestSchema,
} from '@immutable-infra/backstage-plugin-common';
import { Request, Router } from 'express';
import { VersionLookup } from '../registry/ImageStore';
import { digestOf, resolveBuild } from '../registry/manifest';
import { principalRef } from '../audit/principalRef';
import { CloudAccessError, groupByLocation } from '../providers/ImageProvider';
import {
  audited,
  authorizeOnEntity,
  caller,
  Caller,
  parse,
  readableFamily,
  RouterOptions,
} from './context';

function lookupFromParam(id: string): VersionLookup {
  const match = IMAGE_VERSION_REF_PATTERN.exec(id);
  if (match) {
    return { family: match[1], version: Number(match[2]) };
  }
  if (AMI_ID_PATTERN.test(id)) {
    return { imageId: id };
  }
  throw new InputError(
    `Invalid image id "${id}": expected "<family>@<version>" or an AMI id`,
  );
}

/** Routes under `/images`: registration, lookup, revocation. */
export function addImageRoutes(router: Router, options: RouterOptions) {
  const { httpAuth, permissions, images } = options;

  async function readableVersion(
    req: Request,
    credentials: Caller,
  ): Promise<{ version: ImageVersion; entityRef: string }> {
    const version = await images.getVersion(lookupFromParam(req.params.id));
    if (!version) {
      throw new NotFoundError(`No image ${req.params.id} is registered`);
    }
    const family = await readableFamily(options, version.family, credentials);
    return { version, entityRef: family.entityRef };
  }

  /**
   * Checks that every artifact is an image its account owns in its region,
   * so a typo, a wrong region or another account's AMI answers 400 instead
   * of entering the registry (and later failing to prune). An artifact of a
   * named account the plugin cannot ask answers 400 too. When EC2 cannot be
   * asked otherwise (it fails, or the main account has no credentials: the
   * portal is not connected to AWS yet), the registration goes on with a
   * warning; discovery marks AMIs that do not exist as missing.
   */
  async function verifyArtifacts(artifacts: ImageArtifactInput[]) {
    const problems: string[] = [];
    for (const group of groupByLocation(artifacts)) {
      const owner = group.account
        ? `account ${group.account}`
        : 'the main account';
      let owned: Set<string>;
      try {
        owned = await options.provider.findOwnedImages(group);
      } catch (error) {
        if (error instanceof CloudAccessError && group.account) {
          // The artifact names an account the plugin cannot ask: naming
          // one must not be a way around the check.
          throw new InputError(
            `Cannot check the AMIs ${group.imageIds.join(', ')}: ${
              error.message
            }. Configure credentials for that account (aws.accounts) or correct the artifact's account.`,
          );
        }
        options.logger.warn(
          `Could not check that ${group.imageIds.join(
            ', ',
          )} are images of ${owner} in ${
            group.region
          }; registering without that check: ${error}`,
        );
        continue;
      }
      const unknown = group.imageIds.filter(id => !owned.has(id));
      if (unknown.length > 0) {
        problems.push(`${unknown.join(', ')} in ${group.region} (${owner})`);
      }
    }
    if (problems.length > 0) {
      throw new InputError(
        `Not images of the account in that region: ${problems.join(
          '; ',
        )}. Check the AMI id, the region and the account of each artifact.`,
      );
    }
  }

  router.post('/images', async (req, res) => {
    const credentials = await caller(httpAuth, req);
    const body = parse(registerImageRequestSchema, req.body);
    const build = resolveBuild(body);
    const family = await images.getFamily(build.family);
    if (!family) {
      throw new InputError(
        `Image family "${build.family}" is not enrolled; enroll it first (POST /families or the immutable-infra:enroll action)`,
      );
    }
    const result = await audited(
      options,
      req,
      'image-register',
      { family: build.family, artifacts: build.artifacts },
      async () => {
        await authorizeOnEntity(permissions, {
          permission: immutableInfraImageCreatePermission,
          entityRef: family.entityRef,
          credentials,
          message: `You may not register images of ${family.name}`,
        });
        await verifyArtifacts(build.artifacts);
        const registered = await images.registerVersion({
          build,
          digest: digestOf(build),
          source: 'registered',
          actor: principalRef(credentials),
        });
        if (registered.outcome === 'artifact-taken') {
          throw new ConflictError(
            `${registered.imageId} is already registered as ${registered.version}`,
          );
        }
        if (registered.outcome === 'unknown-family') {
          throw new InputError(
            `Image family "${build.family}" is not enrolled`,
          );
        }
        return registered;
      },
    );
    res
      .status(result.outcome === 'created' ? 201 : 200)
      .json({ version: result.version, created: result.outcome === 'created' });
  });

  router.post('/images/prune', async (req, res) => {
    const credentials = await caller(httpAuth, req);
    const body = parse(pruneRequestSchema, req.body);
    const families = body.family
      ? [(await readableFamily(options, body.family, credentials)).name]
      : (await images.listFamilies()).map(f => f.name);
    const result = await audited(
      options,
      req,
      'image-prune',
      { family: body.family ?? null, dryRun: body.dryRun },
      async () => {
        const [decision] = await permissions.authorize(
          [{ permission: immutableInfraImagePrunePermission }],
          { credentials },
        );
        if (decision.result !== AuthorizeResult.ALLOW) {
          throw new NotAllowedError('You may not prune images');
        }
        return options.pruner.prune({
          families,
          keepVersions:
            body.keepVersions ?? options.settings.policy.keepVersions,
          minAgeDays:
            body.minAgeDays ?? options.settings.policy.pruneMinAgeDays,
          dryRun: body.dryRun,
          actor: principalRef(credentials),
        });
      },
    );
    res.json(result);
  });

  router.get('/images/:id', async (req, res) => {
    const { version } = await readableVersion(req, await caller(httpAuth, req));
    res.json(version);
  });

  for (const action of ['revoke', 'restore'] as const) {
    router.post(`/images/:id/${action}`, async (req, res) => {
      const credentials = await caller(httpAuth, req);
      const body = parse(
        action === 'revoke'
          ? revokeImageRequestSchema
          : restoreImageRequestSchema,
        req.body,
      );
      const { version, entityRef } = await readableVersion(req, credentials);
      const changed = await audited(
        options,
        req,
        `image-${action}`,
        { image: version.id, descendants: body.descendants },
        async () => {
          await authorizeOnEntity(permissions, {
            permission: immutableInfraImageRevokePermission,
            entityRef,
            credentials,
            message: `You may not ${action} images of ${version.family}`,
          });
          // Descendants may belong to other teams: each family's owner must
          // allow it too.
          const families = body.descendants
            ? (await images.descendantFamilies(version)).filter(
                f => f !== version.family,
              )
            : [];
          for (const name of families) {
            const family = await images.getFamily(name);
            await authorizeOnEntity(permissions, {
              permission: immutableInfraImageRevokePermission,
              entityRef: family!.entityRef,
              credentials,
              message: `You may not ${action} images of ${name}, which are built on ${version.id}`,
            });
          }
          if (version.state === 'pruned') {
            throw new ConflictError(
              `${version.id} was pruned: its AMIs are gone`,
            );
          }
          return images.setRevoked({
            version,
            revoked: action === 'revoke',
            descendants: body.descendants,
            families,
            reason: body.reason,
            actor: principalRef(credentials),
          });
        },
      );
      res.json({ changed });
    });
  }
}
