import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import fs from 'fs-extra';
import git from 'isomorphic-git';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'yaml';
import { createMockTask } from '../__testUtils__/mockTask';
import { createPublishLocalAction } from './publishLocal';

async function setup() {
  const base = await mkdtemp(join(tmpdir(), 'publish-local-'));
  const root = join(base, 'repositories');
  const workspace = join(base, 'workspace');
  await fs.outputFile(
    join(workspace, 'catalog-info.yaml'),
    'kind: Component\n',
  );
  await fs.outputFile(
    join(workspace, 'packer', 'service.pkr.hcl'),
    'build {}\n',
  );
  return { root, workspace, action: createPublishLocalAction({ root }) };
}

describe('immutable-infra:publish:local', () => {
  it('publishes the workspace as a git repository with one commit of every file', async () => {
    const { root, workspace, action } = await setup();
    const ctx = createMockActionContext({
      input: { repoName: 'orders' },
      workspacePath: workspace,
    });
    await action.handler(ctx);
    const dir = join(root, 'orders');
    const [commit, ...more] = await git.log({ fs, dir, ref: 'main' });
    expect(more).toEqual([]);
    expect(commit.commit.message).toBe('Initial commit\n');
    expect((await git.listFiles({ fs, dir, ref: 'main' })).sort()).toEqual([
      'catalog-info.yaml',
      'packer/service.pkr.hcl',
    ]);
    expect(ctx.output).toHaveBeenCalledWith('commitHash', commit.oid);
    expect(ctx.output).toHaveBeenCalledWith(
      'catalogInfoPath',
      join(dir, 'catalog-info.yaml'),
    );
    expect(ctx.output).toHaveBeenCalledWith('repoContentsUrl', `file://${dir}`);
    // Listed for the catalog, and a second repository beside it.
    await action.handler(
      createMockActionContext({
        input: { repoName: 'search' },
        workspacePath: workspace,
      }),
    );
    expect(
      yaml.parse(
        await fs.readFile(join(root, 'catalog-locations.yaml'), 'utf8'),
      ),
    ).toMatchObject({
      kind: 'Location',
      spec: {
        targets: ['./orders/catalog-info.yaml', './search/catalog-info.yaml'],
      },
    });
  });

  it('refuses a name that exists, leaving that repository as it is', async () => {
    const { root, workspace, action } = await setup();
    await action.handler(
      createMockActionContext({
        input: { repoName: 'orders' },
        workspacePath: workspace,
      }),
    );
    const before = await git.log({ fs, dir: join(root, 'orders') });
    await fs.outputFile(join(workspace, 'other.txt'), 'x');
    await expect(
      action.handler(
        createMockActionContext({
          input: { repoName: 'orders' },
          workspacePath: workspace,
        }),
      ),
    ).rejects.toThrow(/A repository named orders already exists/);
    expect(await git.log({ fs, dir: join(root, 'orders') })).toEqual(before);
    expect(await fs.pathExists(join(root, 'orders', 'other.txt'))).toBe(false);
  });

  it('a retried step replays its commit instead of failing on its own repository', async () => {
    const { workspace, action } = await setup();
    const task = createMockTask();
    const first = task.step('publish', {
      input: { repoName: 'orders' },
      workspacePath: workspace,
    });
    await action.handler(first);
    const again = task.step('publish', {
      input: { repoName: 'orders' },
      workspacePath: workspace,
    });
    await action.handler(again);
    expect(again.output).toHaveBeenCalledWith(
      'commitHash',
      (first.output as jest.Mock).mock.calls.find(
        ([name]) => name === 'commitHash',
      )[1],
    );
  });

  it('publishes no symbolic link (one could point the catalog at a file of the host)', async () => {
    const { root, workspace, action } = await setup();
    await fs.symlink('/etc/hostname', join(workspace, 'linked.yaml'));
    await action.handler(
      createMockActionContext({
        input: { repoName: 'orders' },
        workspacePath: workspace,
      }),
    );
    const dir = join(root, 'orders');
    expect(await fs.pathExists(join(dir, 'linked.yaml'))).toBe(false);
    expect(await git.listFiles({ fs, dir, ref: 'main' })).not.toContain(
      'linked.yaml',
    );
  });

  it('changes nothing in a dry run', async () => {
    const { root, workspace, action } = await setup();
    const ctx = {
      ...createMockActionContext({
        input: { repoName: 'orders' },
        workspacePath: workspace,
      }),
      isDryRun: true,
    };
    await action.handler(ctx);
    expect(await fs.pathExists(root)).toBe(false);
    expect(ctx.output).toHaveBeenCalledWith(
      'catalogInfoPath',
      join(root, 'orders', 'catalog-info.yaml'),
    );
  });

  it('never writes outside its root or reads outside the workspace', async () => {
    const { root, workspace, action } = await setup();
    await expect(
      action.handler(
        createMockActionContext({
          input: { repoName: '../escaped' },
          workspacePath: workspace,
        }),
      ),
    ).rejects.toThrow(/outside/);
    await expect(
      action.handler(
        createMockActionContext({
          input: { repoName: 'orders', sourcePath: '../../..' },
          workspacePath: workspace,
        }),
      ),
    ).rejects.toThrow(/outside/);
    expect(await fs.pathExists(join(root, '..', 'escaped'))).toBe(false);
  });
  describe('onto an existing repository', () => {
    /** The repository `orders` as a team left it: two files, one commit. */
    async function existing() {
      const { root, workspace, action } = await setup();
      const dir = join(root, 'orders');
      await fs.outputFile(
        join(dir, 'catalog-info.yaml'),
        'kind: Component # old\n',
      );
      await fs.outputFile(join(dir, 'src', 'main.go'), 'package main\n');
      await git.init({ fs, dir, defaultBranch: 'trunk' });
      await git.add({ fs, dir, filepath: '.' });
      await git.commit({
        fs,
        dir,
        message: 'The service',
        author: { name: 'team', email: 'team@localhost' },
      });
      return { root, dir, workspace, action };
    }
    const onto = (workspace: string, input: object = {}) =>
      createMockActionContext({
        input: { repoName: 'orders', existingRepository: true, ...input },
        workspacePath: workspace,
      });

    it("commits the workspace's files onto its current branch, leaving its other files alone", async () => {
      const { dir, workspace, action } = await existing();
      const ctx = onto(workspace, {
        commitMessage: 'Enroll in Immutable Infra',
      });
      await action.handler(ctx);
      const [commit, first, ...more] = await git.log({ fs, dir, ref: 'trunk' });
      expect(more).toEqual([]);
      expect(first.commit.message).toBe('The service\n');
      expect(commit.commit.message).toBe('Enroll in Immutable Infra\n');
      expect(commit.commit.author.name).toBe('user:default/mock');
      expect(ctx.output).toHaveBeenCalledWith('commitHash', commit.oid);
      expect((await git.listFiles({ fs, dir, ref: 'trunk' })).sort()).toEqual([
        'catalog-info.yaml',
        'packer/service.pkr.hcl',
        'src/main.go',
      ]);
      expect(await fs.readFile(join(dir, 'catalog-info.yaml'), 'utf8')).toBe(
        'kind: Component\n',
      );
      expect(await fs.readFile(join(dir, 'src', 'main.go'), 'utf8')).toBe(
        'package main\n',
      );
      // Nothing to change the second time: no commit.
      const again = onto(workspace);
      await action.handler(again);
      expect(await git.log({ fs, dir, ref: 'trunk' })).toHaveLength(2);
      expect(again.output).toHaveBeenCalledWith('commitHash', commit.oid);
    });

    it('refuses a repository that does not exist, creating none', async () => {
      const { root, workspace, action } = await setup();
      await expect(action.handler(onto(workspace))).rejects.toThrow(
        /No git repository named orders/,
      );
      expect(await fs.pathExists(join(root, 'orders'))).toBe(false);
    });

    it('a commit that fails puts the files back as they were', async () => {
      const { dir, workspace, action } = await existing();
      const ctx = onto(workspace);
      // The user's identity cannot be had: the commit fails after the copy.
      ctx.getInitiatorCredentials = () => Promise.reject(new Error('no user'));
      await expect(action.handler(ctx)).rejects.toThrow('no user');
      expect(await fs.readFile(join(dir, 'catalog-info.yaml'), 'utf8')).toBe(
        'kind: Component # old\n',
      );
      expect(await fs.pathExists(join(dir, 'packer'))).toBe(false);
      expect(await git.log({ fs, dir, ref: 'trunk' })).toHaveLength(1);
      const status = await git.statusMatrix({ fs, dir });
      expect(
        status.filter(([, h, w, st]) => !(h === 1 && w === 1 && st === 1)),
      ).toEqual([]);
    });
  });
});
