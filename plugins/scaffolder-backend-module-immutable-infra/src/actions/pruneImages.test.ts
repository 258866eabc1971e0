import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import {
  registerVersion,
  startImmutableInfraBackend,
} from '../__testUtils__/backend';
import { exampleInput } from '../__testUtils__/examples';
import { createAssignChannelAction } from './assignChannel';
import { createPruneImagesAction } from './pruneImages';
import { examples } from './pruneImages.examples';

// The action runs against the real backend plugin, started in-process.
async function setup() {
  const deps = await startImmutableInfraBackend({
    entities: ['payments-api'],
    enroll: ['payments-api'],
  });
  await registerVersion(deps, { family: 'payments-api', n: 1 });
  await registerVersion(deps, { family: 'payments-api', n: 2 });
  return { deps, action: createPruneImagesAction(deps) };
}

describe('immutable-infra:images:prune', () => {
  it('lists what it kept and why on a dry run', async () => {
    const { deps, action } = await setup();
    await createAssignChannelAction(deps).handler(
      createMockActionContext({
        input: { family: 'payments-api', channel: 'staging', version: 2 },
      }),
    );
    const ctx = createMockActionContext({
      input: { family: 'payments-api', dryRun: true },
    });
    await action.handler(ctx);
    expect(ctx.output).toHaveBeenCalledWith('dryRun', true);
    expect(ctx.output).toHaveBeenCalledWith('pruned', []);
    expect(ctx.output).toHaveBeenCalledWith('kept', [
      {
        id: 'payments-api@2',
        reasons: [
          'one of the 5 newest versions of payments-api',
          'built 0 days ago; pruning needs 7',
          'assigned to the latest channel',
          'assigned to the staging channel',
        ],
      },
      {
        id: 'payments-api@1',
        reasons: [
          'one of the 5 newest versions of payments-api',
          'built 0 days ago; pruning needs 7',
        ],
      },
    ]);
    expect(ctx.output).toHaveBeenCalledWith('failed', []);
  });

  it('refuses when the user may not prune', async () => {
    const deps = await startImmutableInfraBackend({ deny: true });
    await expect(
      createPruneImagesAction(deps).handler(
        createMockActionContext({ input: { dryRun: false } }),
      ),
    ).rejects.toThrow(
      'Pruning images failed: You may not prune images (HTTP 403)',
    );
  });

  describe('examples', () => {
    it('are the ones the action documents', async () => {
      const { action } = await setup();
      expect(action.examples).toBe(examples);
    });

    it.each([
      [examples[0].description, examples[0], true],
      [examples[1].description, examples[1], false],
    ])('%s', async (_description, example, dryRun) => {
      const { action } = await setup();
      const ctx = createMockActionContext({
        input: exampleInput(action, example),
      });
      await action.handler(ctx);
      expect(ctx.output).toHaveBeenCalledWith('dryRun', dryRun);
      expect(ctx.output).toHaveBeenCalledWith('pruned', []);
      expect(ctx.output).toHaveBeenCalledWith('failed', []);
    });
  });
});
