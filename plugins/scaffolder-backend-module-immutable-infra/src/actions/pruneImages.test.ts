import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import {
  registerVersion,
  startImmutableInfraBackend,
} from '../__testUtils__/backend';
import {
  createImage,
  ec2EmulatorEndpoint,
  existingImages,
  uniqueName,
} from '../__testUtils__/ec2Emulator';
import {
  exampleInput,
  expectDocumentedExamples,
} from '../__testUtils__/examples';
import { createAssignChannelAction } from './assignChannel';
import { createPruneImagesAction } from './pruneImages';
import { examples } from './pruneImages.examples';

jest.setTimeout(60_000);

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

const endpoint = ec2EmulatorEndpoint;
const DAY_MS = 86_400_000;

/**
 * The backend on the EC2 emulator, which it asks what uses an AMI and
 * where it deregisters the pruned ones: `versions` versions of payments-api
 * built 30 days ago, each an AMI of the emulator (answered in order).
 */
async function setupOnEmulator(versions: number) {
  const deps = await startImmutableInfraBackend({
    entities: ['payments-api'],
    enroll: ['payments-api'],
    ec2Endpoint: endpoint(),
  });
  const amis: string[] = [];
  for (let n = 1; n <= versions; n++) {
    const imageId = await createImage(endpoint(), uniqueName('payments-api'));
    amis.push(imageId);
    await registerVersion(deps, {
      family: 'payments-api',
      imageId,
      builtAt: new Date(Date.now() - 30 * DAY_MS),
    });
  }
  return { action: createPruneImagesAction(deps), amis };
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

  it('prunes the versions beyond keepVersions and older than minAgeDays, deregistering their AMIs', async () => {
    const { action, amis } = await setupOnEmulator(3);
    const ctx = createMockActionContext({
      input: {
        family: 'payments-api',
        keepVersions: 1,
        minAgeDays: 7,
        dryRun: false,
      },
    });
    await action.handler(ctx);
    expect(ctx.output).toHaveBeenCalledWith('dryRun', false);
    expect(ctx.output).toHaveBeenCalledWith('pruned', [
      'payments-api@2',
      'payments-api@1',
    ]);
    expect(ctx.output).toHaveBeenCalledWith('kept', [
      {
        id: 'payments-api@3',
        reasons: [
          'one of the 1 newest versions of payments-api',
          'assigned to the latest channel',
        ],
      },
    ]);
    expect(ctx.output).toHaveBeenCalledWith('failed', []);
    await expect(existingImages(endpoint(), amis)).resolves.toEqual([amis[2]]);
  });

  describe('examples', () => {
    it('are the ones the action documents: YAML with a step of the action whose input the scaffolder accepts', async () => {
      const { action } = await setup();
      expectDocumentedExamples(action, examples);
    });

    // Twelve versions built 30 days ago: the defaults (5 newest, 7 days)
    // would prune seven; ten kept prunes two.
    it.each([
      [examples[0].description, examples[0], true, [7, 6, 5, 4, 3, 2, 1]],
      [examples[1].description, examples[1], false, [2, 1]],
    ])('%s', async (_description, example, dryRun, pruned) => {
      const { action, amis } = await setupOnEmulator(12);
      const ctx = createMockActionContext({
        input: exampleInput(action, example),
      });
      await action.handler(ctx);
      expect(ctx.output).toHaveBeenCalledWith('dryRun', dryRun);
      expect(ctx.output).toHaveBeenCalledWith(
        'pruned',
        pruned.map(n => `payments-api@${n}`),
      );
      expect(ctx.output).toHaveBeenCalledWith('failed', []);
      // A dry run deregisters nothing.
      await expect(existingImages(endpoint(), amis)).resolves.toEqual(
        amis.filter((_, i) => dryRun || !pruned.includes(i + 1)),
      );
    });
  });
});
