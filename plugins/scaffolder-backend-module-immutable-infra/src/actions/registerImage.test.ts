import { createMockDirectory } from '@backstage/backend-test-utils';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { startImmutableInfraBackend } from '../__testUtils__/backend';
import {
  exampleInput,
  expectDocumentedExamples,
} from '../__testUtils__/examples';
import { createMockTask } from '../__testUtils__/mockTask';
import { packerManifest } from '../__testUtils__/packerManifest';
import { createRegisterImageAction } from './registerImage';
import { examples } from './registerImage.examples';

const FIRST_AMI = 'ami-0123456789abcdef0';
const SECOND_AMI = 'ami-0fedcba9876543210';

// The action runs against the real backend plugin, started in-process.
async function setup() {
  const deps = await startImmutableInfraBackend({
    entities: ['payments-api'],
    enroll: ['payments-api'],
  });
  return { deps, action: createRegisterImageAction(deps) };
}

describe('immutable-infra:image:register', () => {
  it('registers from a manifest file in the workspace', async () => {
    const { action } = await setup();
    const workspace = createMockDirectory({
      content: {
        'packer/manifest.json': JSON.stringify(packerManifest(FIRST_AMI)),
      },
    });
    const ctx = createMockActionContext({
      input: { family: 'payments-api', manifestPath: 'packer/manifest.json' },
      workspacePath: workspace.path,
    });
    await action.handler(ctx);
    expect(ctx.output).toHaveBeenCalledWith('id', 'payments-api@1');
    expect(ctx.output).toHaveBeenCalledWith('version', 1);
    expect(ctx.output).toHaveBeenCalledWith('created', true);
    expect(ctx.output).toHaveBeenCalledWith('imageIds', [FIRST_AMI]);
  });

  it('registers explicit AMIs built on a parent, and says when the content is already registered', async () => {
    const { action } = await setup();
    await action.handler(
      createMockActionContext({
        input: { family: 'payments-api', manifest: packerManifest(FIRST_AMI) },
      }),
    );
    const input = {
      family: 'payments-api',
      artifacts: [{ region: 'eu-west-1', imageId: SECOND_AMI }],
      gitCommit: '5e3b0d2',
      parent: 'payments-api@1',
    };
    const explicit = createMockActionContext({ input });
    await action.handler(explicit);
    expect(explicit.output).toHaveBeenCalledWith('version', 2);
    expect(explicit.output).toHaveBeenCalledWith('created', true);

    const again = createMockActionContext({ input });
    await action.handler(again);
    expect(again.output).toHaveBeenCalledWith('version', 2);
    expect(again.output).toHaveBeenCalledWith('created', false);
  });

  it('fails with what is wrong with the manifest', async () => {
    const { action } = await setup();
    await expect(
      action.handler(
        createMockActionContext({
          input: { family: 'payments-api', manifest: { builds: [] } },
        }),
      ),
    ).rejects.toThrow(
      'The manifest is not one Packer’s manifest post-processor writes',
    );
    await expect(
      action.handler(
        createMockActionContext({
          input: {
            family: 'payments-api',
            manifest: packerManifest(FIRST_AMI),
            manifestPath: 'packer/manifest.json',
          },
        }),
      ),
    ).rejects.toThrow('give manifestPath or manifest, not both');
  });

  describe('checkpoints', () => {
    it('registers once per step when two steps register the same family with different manifests', async () => {
      const { action } = await setup();
      const task = createMockTask();
      const base = task.step('register-base', {
        input: { family: 'payments-api', manifest: packerManifest(FIRST_AMI) },
      });
      const hardened = task.step('register-hardened', {
        input: { family: 'payments-api', manifest: packerManifest(SECOND_AMI) },
      });
      await action.handler(base);
      await action.handler(hardened);

      expect(base.output).toHaveBeenCalledWith('id', 'payments-api@1');
      expect(base.output).toHaveBeenCalledWith('imageIds', [FIRST_AMI]);
      expect(hardened.output).toHaveBeenCalledWith('id', 'payments-api@2');
      expect(hardened.output).toHaveBeenCalledWith('imageIds', [SECOND_AMI]);
      expect(hardened.output).toHaveBeenCalledWith('created', true);
      expect(task.checkpointKeys()).toEqual([
        expect.stringMatching(/^register:register-base:payments-api:/),
        expect.stringMatching(/^register:register-hardened:payments-api:/),
      ]);
    });

    it('gives two steps with the same request a checkpoint each', async () => {
      const { deps, action } = await setup();
      const registerImage = jest.spyOn(deps.client, 'registerImage');
      const task = createMockTask();
      const input = {
        family: 'payments-api',
        manifest: packerManifest(FIRST_AMI),
      };
      const first = task.step('register', { input });
      const second = task.step('register-again', { input });
      await action.handler(first);
      await action.handler(second);

      expect(registerImage).toHaveBeenCalledTimes(2);
      expect(first.output).toHaveBeenCalledWith('created', true);
      expect(second.output).toHaveBeenCalledWith('id', 'payments-api@1');
      expect(second.output).toHaveBeenCalledWith('created', false);
      expect(task.checkpointKeys()).toHaveLength(2);
    });

    it('registers each iteration of one step, which share the step id', async () => {
      const { action } = await setup();
      const task = createMockTask();
      const iterations = [FIRST_AMI, SECOND_AMI].map(ami =>
        task.step('register', {
          input: { family: 'payments-api', manifest: packerManifest(ami) },
        }),
      );
      for (const iteration of iterations) {
        await action.handler(iteration);
      }
      expect(iterations[0].output).toHaveBeenCalledWith('id', 'payments-api@1');
      expect(iterations[1].output).toHaveBeenCalledWith('id', 'payments-api@2');
      expect(task.checkpointKeys()).toHaveLength(2);
    });

    it('replays its own checkpoint when the step is retried', async () => {
      const { deps, action } = await setup();
      const registerImage = jest.spyOn(deps.client, 'registerImage');
      const task = createMockTask();
      const workspace = createMockDirectory({
        content: {
          'packer/manifest.json': JSON.stringify(packerManifest(FIRST_AMI)),
        },
      });
      const run = () =>
        task.step('register', {
          input: {
            family: 'payments-api',
            manifestPath: 'packer/manifest.json',
          },
          workspacePath: workspace.path,
        });
      await action.handler(run());
      const retry = run();
      await action.handler(retry);

      expect(registerImage).toHaveBeenCalledTimes(1);
      // A second call would answer created: false; the replay keeps the first answer.
      expect(retry.output).toHaveBeenCalledWith('created', true);
      expect(retry.output).toHaveBeenCalledWith('id', 'payments-api@1');
      expect(retry.output).toHaveBeenCalledWith('imageIds', [FIRST_AMI]);
      expect(task.checkpointKeys()).toHaveLength(1);
    });
  });

  describe('examples', () => {
    it('are the ones the action documents: YAML with a step of the action whose input the scaffolder accepts', async () => {
      const { action } = await setup();
      expectDocumentedExamples(action, examples);
    });

    it.each(examples.map(e => [e.description, e] as const))(
      '%s',
      async (_description, example) => {
        const { action } = await setup();
        const workspace = createMockDirectory({
          content: {
            'packer/manifest.json': JSON.stringify(packerManifest(FIRST_AMI)),
          },
        });
        // `any`: the input's manifest (a record of unknowns) is no JsonObject.
        const ctx = createMockActionContext<any>({
          input: exampleInput(action, example),
          workspacePath: workspace.path,
        });
        await action.handler(ctx);
        expect(ctx.output).toHaveBeenCalledWith('id', 'payments-api@1');
        expect(ctx.output).toHaveBeenCalledWith('created', true);
        expect(ctx.output).toHaveBeenCalledWith('imageIds', [FIRST_AMI]);
      },
    );
  });
});
