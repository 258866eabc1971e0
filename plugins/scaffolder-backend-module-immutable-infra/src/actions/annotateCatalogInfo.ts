import {
  isChildPath,
  resolveSafeChildPath,
  UrlReaderService,
} from '@backstage/backend-plugin-api';
import {
  ANNOTATION_LOCATION,
  CompoundEntityRef,
  DEFAULT_NAMESPACE,
  KubernetesValidatorFunctions,
  parseEntityRef,
  parseLocationRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { ConflictError, InputError } from '@backstage/errors';
import { ScmIntegrationRegistry } from '@backstage/integration';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { ANNOTATION_IMAGE_FAMILY } from '@immutable-infra/backstage-plugin-common';
import fs from 'fs-extra';
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml, { Document, isMap } from 'yaml';
import { examples } from './annotateCatalogInfo.examples';

/**
 * Where a component's catalog-info.yaml lives, and how to publish a change.
 *
 * @public
 */
export type CatalogInfoSource =
  | {
      provider: 'github';
      /** The file's URL, read through the portal's integrations. */
      url: string;
      /** `<host>?owner=<owner>&repo=<repo>`, as publish:github:pull-request takes it. */
      repoUrl: string;
      /** The branch the file was read from. */
      branch: string;
      /** The file's path in its repository. */
      filePath: string;
    }
  | {
      provider: 'local';
      /** The file on the backend's host. */
      path: string;
      /** The local repository (a directory under the root). */
      repoName: string;
      filePath: string;
    };

/**
 * Where the file of an entity's location is, for the publishers this
 * action knows: a GitHub repository (a pull request), or a repository under
 * the local root (a commit). Anything else is refused, naming it.
 */
export function catalogInfoSource(options: {
  /** Named in errors. */
  entityRef: string;
  location: string;
  integrations: ScmIntegrationRegistry;
  localRoot?: string;
}): CatalogInfoSource {
  const { entityRef, location, integrations, localRoot } = options;
  const refused = (where: string) =>
    new InputError(
      `entityRef: ${entityRef} is read from ${where}: this action publishes changes to GitHub repositories and to the local repositories only; add the annotations there by hand`,
    );
  const { type, target } = parseLocationRef(location);
  if (type === 'url') {
    const integration = integrations.byUrl(target);
    const url = new URL(target);
    // https://<host>/<owner>/<repo>/blob/<branch>/<path>
    const [owner, repo, kind, branch, ...path] = url.pathname
      .split('/')
      .filter(Boolean)
      .map(decodeURIComponent);
    if (
      integration?.type === 'github' &&
      owner &&
      repo &&
      (kind === 'blob' || kind === 'tree') &&
      branch &&
      path.length > 0
    ) {
      return {
        provider: 'github',
        url: target,
        repoUrl: `${url.host}?owner=${encodeURIComponent(
          owner,
        )}&repo=${encodeURIComponent(repo)}`,
        branch,
        filePath: path.join('/'),
      };
    }
    throw refused(`${target}${integration ? ` (${integration.type})` : ''}`);
  }
  if (type === 'file' && localRoot) {
    const root = resolve(localRoot);
    const path = resolve(
      target.startsWith('file:') ? fileURLToPath(target) : target,
    );
    const [repoName, ...rest] = relative(root, path).split(sep);
    if (isChildPath(root, path) && repoName && rest.length > 0) {
      return { provider: 'local', path, repoName, filePath: rest.join('/') };
    }
  }
  throw refused(
    `${location}${
      type === 'file' ? ', not a file of the local repositories' : ''
    }`,
  );
}

/** The entity's document in a catalog-info.yaml, by kind, namespace and name. */
function findEntityDocument(documents: Document[], ref: CompoundEntityRef) {
  return documents.find(document => {
    const kind = document.get('kind');
    const metadata = document.get('metadata');
    if (typeof kind !== 'string' || !isMap(metadata)) {
      return false;
    }
    const namespace = metadata.get('namespace') ?? DEFAULT_NAMESPACE;
    return (
      kind.toLocaleLowerCase('en-US') === ref.kind.toLocaleLowerCase('en-US') &&
      String(metadata.get('name')) === ref.name &&
      String(namespace) === ref.namespace
    );
  });
}

/**
 * The catalog-info.yaml source with the entity's annotations set: every
 * other document, comment and field stays as it is. An image family the
 * entity already names differently is refused (it would re-home the
 * service's images).
 */
export function annotateCatalogInfo(options: {
  source: string;
  entityRef: string;
  annotations: Record<string, string>;
}): { content: string; changed: string[] } {
  const ref = parseEntityRef(options.entityRef);
  const documents = yaml.parseAllDocuments(options.source);
  if (!Array.isArray(documents)) {
    throw new InputError('the catalog-info.yaml is empty');
  }
  const broken = documents.find(document => document.errors.length > 0);
  if (broken) {
    throw new InputError(
      `the catalog-info.yaml does not parse: ${broken.errors[0].message}`,
    );
  }
  const document = findEntityDocument(documents, ref);
  if (!document) {
    throw new InputError(
      `the catalog-info.yaml does not hold ${stringifyEntityRef(ref)}`,
    );
  }
  const family = document.getIn([
    'metadata',
    'annotations',
    ANNOTATION_IMAGE_FAMILY,
  ]);
  const newFamily = options.annotations[ANNOTATION_IMAGE_FAMILY];
  if (family !== undefined && newFamily && String(family) !== newFamily) {
    throw new ConflictError(
      `family: ${stringifyEntityRef(
        ref,
      )} already names the image family ${family} (${ANNOTATION_IMAGE_FAMILY}); enroll it as ${family}`,
    );
  }
  const changed: string[] = [];
  for (const [key, value] of Object.entries(options.annotations)) {
    const path = ['metadata', 'annotations', key];
    if (String(document.getIn(path) ?? '') !== value) {
      document.setIn(path, value);
      changed.push(key);
    }
  }
  return {
    content: documents.map(d => d.toString({ lineWidth: 0 })).join(''),
    changed,
  };
}

/** The shape of an annotation key (the catalog's own check runs too). */
const ANNOTATION_KEY_PATTERN =
  /^([a-z0-9]([a-z0-9.-]*[a-z0-9])?\/)?[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/;

/** Annotation values longer than this are refused (a catalog-info.yaml is read by people). */
const MAX_ANNOTATION_VALUE = 4096;

/**
 * Creates the `immutable-infra:catalog-info:annotate` action: reads the
 * catalog-info.yaml a component was read from (the location the catalog
 * recorded), sets annotations on its entity, and writes the file to the
 * same path of the workspace, with every other document, field and comment
 * kept, for a publish step to propose: where its repository is on GitHub
 * (outputs for publish:github:pull-request) or under the local root (for
 * immutable-infra:publish:local with `existingRepository`). The catalog
 * entity is read with the permissions of the user running the template.
 *
 * @public
 */
export function createAnnotateCatalogInfoAction(options: {
  catalog: CatalogService;
  reader: UrlReaderService;
  integrations: ScmIntegrationRegistry;
  /** The local repositories' root, when the portal has one. */
  localRoot?: string;
}) {
  const { catalog, reader, integrations, localRoot } = options;
  return createTemplateAction({
    id: 'immutable-infra:catalog-info:annotate',
    description:
      "Sets annotations on a component in the catalog-info.yaml it was read from, keeping the file's other content and comments, and writes it to the workspace for a pull request (GitHub) or a commit (local repositories).",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        entityRef: z =>
          z
            .string()
            .min(1)
            .max(255)
            .describe('The entity, e.g. component:default/storefront-web'),
        annotations: z =>
          z
            .record(
              z.string().max(317).regex(ANNOTATION_KEY_PATTERN),
              z.string().max(MAX_ANNOTATION_VALUE),
            )
            .describe(
              'The annotations to set; an empty value leaves the annotation as it is',
            ),
      },
      output: {
        provider: z =>
          z
            .enum(['github', 'local'])
            .describe('Where the file is published: github or local'),
        filePath: z =>
          z
            .string()
            .describe("The file's path in its repository and the workspace"),
        repoUrl: z =>
          z
            .string()
            .describe(
              'GitHub: the repository, as publish:github:pull-request takes it',
            ),
        branch: z =>
          z.string().describe('GitHub: the branch the file was read from'),
        repoName: z =>
          z.string().describe('Local: the repository under the local root'),
        changed: z =>
          z.array(z.string()).describe('The annotations that changed'),
      },
    },
    async handler(ctx) {
      const { entityRef } = ctx.input;
      const annotations = Object.fromEntries(
        Object.entries(ctx.input.annotations).filter(([, v]) => v !== ''),
      );
      const badKey = Object.keys(annotations).find(
        key => !KubernetesValidatorFunctions.isValidAnnotationKey(key),
      );
      if (badKey !== undefined) {
        throw new InputError(
          `annotations: ${JSON.stringify(
            badKey,
          )} is not a valid annotation key`,
        );
      }
      const entity = await catalog.getEntityByRef(entityRef, {
        credentials: await ctx.getInitiatorCredentials(),
      });
      if (!entity) {
        throw new InputError(
          `entityRef: no entity ${entityRef} in the catalog (or you may not read it)`,
        );
      }
      const location = entity.metadata.annotations?.[ANNOTATION_LOCATION];
      if (!location) {
        throw new InputError(
          `entityRef: the catalog records no location for ${entityRef}`,
        );
      }
      const source = catalogInfoSource({
        entityRef,
        location,
        integrations,
        localRoot,
      });
      const content =
        source.provider === 'github'
          ? (await (await reader.readUrl(source.url)).buffer()).toString('utf8')
          : await fs.readFile(source.path, 'utf8');
      const annotated = annotateCatalogInfo({
        source: content,
        entityRef: stringifyEntityRef(entity),
        annotations,
      });
      const target = resolveSafeChildPath(ctx.workspacePath, source.filePath);
      await fs.mkdir(dirname(target), { recursive: true });
      await fs.writeFile(target, annotated.content);
      ctx.logger.info(
        annotated.changed.length > 0
          ? `Set ${annotated.changed.join(', ')} on ${entityRef} in ${
              source.filePath
            } (${source.provider === 'github' ? source.url : source.path})`
          : `${entityRef} carries these annotations already (${source.filePath})`,
      );
      ctx.output('provider', source.provider);
      ctx.output('filePath', source.filePath);
      ctx.output('changed', annotated.changed);
      if (source.provider === 'github') {
        ctx.output('repoUrl', source.repoUrl);
        ctx.output('branch', source.branch);
      } else {
        ctx.output('repoName', source.repoName);
      }
    },
  });
}
