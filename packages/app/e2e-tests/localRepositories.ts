import { execFile } from 'node:child_process';
import { cp, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const ROOT = resolve(__dirname, '../../..');
/** The demo's local repositories (immutableInfra.scaffolder.localRepositories). */
const REPOSITORIES = join(ROOT, '.demo/repositories');

/**
 * A repository of the demo's local repositories holding a copy of
 * examples/repositories/`example` under a name of its own
 * (`<example>-<n>`), committed, and listed in the Location the catalog reads,
 * as scripts/lib/demo-repositories.sh lists the examples. Answers the
 * component's name.
 */
export async function newLocalRepository(example: string): Promise<string> {
  const name = `${example}-${Date.now() % 100_000}`;
  const dir = join(REPOSITORIES, name);
  await cp(join(ROOT, 'examples/repositories', example), dir, {
    recursive: true,
  });
  const entityFile = join(dir, 'catalog-info.yaml');
  await writeFile(
    entityFile,
    (
      await readFile(entityFile, 'utf8')
    ).replace(/^( {2}name: )\S+$/m, `$1${name}`),
  );
  const git = (...args: string[]) =>
    promisify(execFile)('git', [
      '-C',
      dir,
      '-c',
      'user.name=demo',
      '-c',
      'user.email=demo@localhost',
      ...args,
    ]);
  await git('init', '-q', '-b', 'main');
  await git('add', '-A');
  await git('commit', '-q', '-m', `${name} as its team left it`);

  // The list is `targets:` then one `- target` a line, or `[]` when empty
  // (as the script and immutable-infra:publish:local write it).
  const locations = join(REPOSITORIES, 'catalog-locations.yaml');
  const listed = (await readFile(locations, 'utf8')).replace(
    /^( {2}targets:)(?: \[\])?\n(?: {4}\[\]\n)?/m,
    `$1\n    - ./${name}/catalog-info.yaml\n`,
  );
  if (!listed.includes(`./${name}/catalog-info.yaml`)) {
    throw new Error(`${locations} has no list of targets`);
  }
  // Written whole, then renamed: the catalog never reads half a file.
  await writeFile(`${locations}.tmp`, listed);
  await rename(`${locations}.tmp`, locations);
  return name;
}
