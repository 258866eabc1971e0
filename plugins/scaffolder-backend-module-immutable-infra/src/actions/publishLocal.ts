import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import { ConflictError, NotFoundError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import fs from 'fs-extra';
import git from 'isomorphic-git';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import yaml from 'yaml';
import { checkpointKey } from './checkpointKey';

/**
 * The Location entity file in the root that lists each published
 * repository's catalog-info.yaml: the portal's catalog reads it (a location
 * of its configuration), so a published service appears without a
 * registration (the catalog accepts only url locations through its API).
 */
export const LOCAL_LOCATIONS_FILE = 'catalog-locations.yaml';

/** The Location entity listing `targets`, relative to the root. */
export function localLocations(targets: string[]) {
  return yaml.stringify({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Location',
    metadata: {
      name: 'local-repositories',
      description:
        'The repositories immutable-infra:publish:local published on this host',
    },
    spec: { targets },
  });
}

/** One update of a root's locations file at a time, in this process. */
let locationsWrite: Promise<unknown> = Promise.resolve();

async function addLocation(root: string, target: string) {
  const file = join(root, LOCAL_LOCATIONS_FILE);
  const update = locationsWrite.then(async () => {
    const current: string[] = (await fs.pathExists(file))
      ? yaml.parse(await fs.readFile(file, 'utf8'))?.spec?.targets ?? []
      : [];
    if (current.includes(target)) {
      return;
    }
    // Written whole, then renamed: the catalog never reads half a file.
    await fs.writeFile(`${file}.tmp`, localLocations([...current, target]));
    await fs.rename(`${file}.tmp`, file);
  });
  locationsWrite = update.catch(() => undefined);
  await update;
}

/** Commits what is staged in `dir` as the user running the task. */
async function commitAsUser(options: {
  dir: string;
  message: string;
  author: () => Promise<{ principal: unknown }>;
}): Promise<string> {
  const user = (await options.author()).principal as {
    userEntityRef?: string;
  };
  const name = user?.userEntityRef ?? 'scaffolder';
  return git.commit({
    fs,
    dir: options.dir,
    message: options.message,
    author: {
      name,
      email: `${name.replace(/[^A-Za-z0-9._-]/g, '.')}@localhost`,
    },
  });
}

/**
 * Copies `source` to the new repository `dir` and commits every file; a
 * failure removes what it made, so that the next run can make it again.
 */
async function publish(options: {
  source: string;
  dir: string;
  branch: string;
  message: string;
  author: () => Promise<{ principal: unknown }>;
}): Promise<string> {
  const { source, dir, branch } = options;
  if (await fs.pathExists(dir)) {
    throw new ConflictError(
      `A repository named ${basename(dir)} already exists in ${dirname(
        dir,
      )}: pick another name (it is left as it is)`,
    );
  }
  try {
    // Files and directories only: a symbolic link could make the catalog
    // read a file of the host outside the repository.
    await fs.copy(source, dir, {
      filter: async path =>
        !path.split(/[\\/]/).includes('.git') &&
        !(await fs.lstat(path)).isSymbolicLink(),
    });
    await git.init({ fs, dir, defaultBranch: branch });
    await git.add({ fs, dir, filepath: '.' });
    return await commitAsUser(options);
  } catch (error) {
    await fs.remove(dir);
    throw error;
  }
}

/** The files under `dir`, relative, with `/`: no `.git`, no symbolic link. */
async function filesOf(dir: string, prefix = ''): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await fs.readdir(join(dir, prefix), {
    withFileTypes: true,
  })) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.name === '.git' || entry.isSymbolicLink()) {
      continue;
    }
    if (entry.isDirectory()) {
      found.push(...(await filesOf(dir, path)));
    } else if (entry.isFile()) {
      found.push(path);
    }
  }
  return found;
}

/**
 * Copies `source` onto the existing repository `dir` and commits those
 * files on its current branch; the repository's other files are left
 * alone. A failure puts back what it changed (files of the last commit
 * restored, new files removed). Nothing to change makes no commit.
 */
async function commitToExisting(options: {
  source: string;
  dir: string;
  message: string;
  author: () => Promise<{ principal: unknown }>;
}): Promise<string> {
  const { source, dir } = options;
  const head = await git
    .resolveRef({ fs, dir, ref: 'HEAD' })
    .catch(() => undefined);
  if (!head) {
    throw new NotFoundError(
      `No git repository named ${basename(dir)} in ${dirname(
        dir,
      )} (or it has no commit): publish it first`,
    );
  }
  const branch = await git.currentBranch({ fs, dir });
  if (!branch) {
    throw new ConflictError(
      `The repository ${basename(dir)} is not on a branch: check one out`,
    );
  }
  const files = await filesOf(source);
  const tracked = new Set(await git.listFiles({ fs, dir, ref: 'HEAD' }));
  const created = [];
  for (const file of files) {
    if (!(await fs.pathExists(join(dir, file)))) {
      created.push(file);
    }
  }
  try {
    for (const file of files) {
      await fs.copy(join(source, file), join(dir, file));
      await git.add({ fs, dir, filepath: file });
    }
    const changed = (
      await git.statusMatrix({ fs, dir, filepaths: files })
    ).filter(([, headStatus, , stage]) => headStatus !== stage);
    return changed.length === 0 ? head : await commitAsUser(options);
  } catch (error) {
    const restore = files.filter(file => tracked.has(file));
    if (restore.length > 0) {
      await git.checkout({
        fs,
        dir,
        ref: branch,
        filepaths: restore,
        force: true,
      });
    }
    for (const file of created) {
      await git.remove({ fs, dir, filepath: file }).catch(() => undefined);
      await fs.remove(join(dir, file));
      // And the directories the copy made for it, now empty.
      for (
        let parent = dirname(file);
        parent !== '.';
        parent = dirname(parent)
      ) {
        if ((await fs.readdir(join(dir, parent))).length > 0) {
          break;
        }
        await fs.rmdir(join(dir, parent));
      }
    }
    throw error;
  }
}

/** A local repository's name: one path segment, no dot first. */
export const LOCAL_REPOSITORY_PATTERN = /^[a-z0-9][a-z0-9._-]{0,99}$/;

/**
 * Creates the `immutable-infra:publish:local` action: publishes the
 * workspace as a new git repository in a directory of the backend's host
 * (`immutableInfra.scaffolder.localRepositories.root`), for a portal with
 * no git server, such as the demo. One commit on the default branch; a
 * repository of that name that exists already refuses the step and is left
 * as it is. Its catalog-info.yaml is listed in the root's
 * `catalog-locations.yaml` for the catalog to read. With
 * `existingRepository`, the workspace's files are committed onto a
 * repository of the root instead (as a pull request would change them),
 * on its current branch.
 *
 * @public
 */
export function createPublishLocalAction(options: { root: string }) {
  const root = resolve(options.root);
  return createTemplateAction({
    id: 'immutable-infra:publish:local',
    description:
      "Publishes the workspace as a new git repository in a directory of the backend's host (immutableInfra.scaffolder.localRepositories.root), or commits it onto one there: for a portal without a git server, such as the demo.",
    supportsDryRun: true,
    schema: {
      input: {
        repoName: z =>
          z
            .string()
            .regex(
              LOCAL_REPOSITORY_PATTERN,
              'must be lower-case letters, digits, ".", "_" or "-", starting with a letter or digit (at most 100 characters)',
            )
            .describe('The repository, a directory under the root'),
        sourcePath: z =>
          z
            .string()
            .max(1024)
            .optional()
            .describe('The part of the workspace to publish (default all)'),
        defaultBranch: z =>
          z
            .string()
            .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/)
            .optional()
            .describe('The branch of the commit (default main)'),
        commitMessage: z =>
          z
            .string()
            .max(1024)
            .optional()
            .describe(
              'Default "Initial commit" (a new repository) or "Update"',
            ),
        existingRepository: z =>
          z
            .boolean()
            .optional()
            .describe(
              "Commit the workspace's files onto the repository of that name, which must exist, on its current branch (default false: a new repository)",
            ),
      },
      output: {
        remoteUrl: z => z.string().describe('file: URL of the repository'),
        repoContentsUrl: z =>
          z.string().describe('file: URL of the published files'),
        catalogInfoPath: z =>
          z.string().describe('Absolute path of its catalog-info.yaml'),
        commitHash: z => z.string().describe('The commit'),
      },
    },
    async handler(ctx) {
      const { repoName } = ctx.input;
      const branch = ctx.input.defaultBranch ?? 'main';
      const dir = resolveSafeChildPath(root, repoName);
      const url = pathToFileURL(dir).toString();
      const source = ctx.input.sourcePath
        ? resolveSafeChildPath(ctx.workspacePath, ctx.input.sourcePath)
        : ctx.workspacePath;
      const outputs = {
        remoteUrl: url,
        repoContentsUrl: url,
        catalogInfoPath: join(dir, 'catalog-info.yaml'),
      };
      const existing = ctx.input.existingRepository ?? false;
      if (ctx.isDryRun) {
        ctx.logger.info(
          existing
            ? `Would commit ${source} onto ${dir}`
            : `Would publish ${source} as ${dir} (${branch})`,
        );
      }
      const commitHash = ctx.isDryRun
        ? '0'.repeat(40)
        : await ctx.checkpoint({
            key: checkpointKey({
              ctx,
              name: 'publish-local',
              family: repoName,
              request: existing ? { dir, existing } : { dir, branch },
            }),
            fn: () =>
              existing
                ? commitToExisting({
                    source,
                    dir,
                    message: ctx.input.commitMessage ?? 'Update',
                    author: ctx.getInitiatorCredentials,
                  })
                : publish({
                    source,
                    dir,
                    branch,
                    message: ctx.input.commitMessage ?? 'Initial commit',
                    author: ctx.getInitiatorCredentials,
                  }),
          });
      if (existing && !ctx.isDryRun) {
        ctx.logger.info(`Committed onto ${repoName} at ${dir} (${commitHash})`);
      } else if (!ctx.isDryRun) {
        // Listed for the catalog (again on a replay: listing twice adds nothing).
        await addLocation(root, `./${repoName}/catalog-info.yaml`);
        ctx.logger.info(
          `Published ${repoName} at ${dir} (${branch} ${commitHash}); listed in ${join(
            root,
            LOCAL_LOCATIONS_FILE,
          )} for the catalog`,
        );
      }
      for (const [name, value] of Object.entries({ ...outputs, commitHash })) {
        ctx.output(name as keyof typeof outputs, value);
      }
    },
  });
}
