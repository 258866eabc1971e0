import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import {
  registerVersion,
  startImmutableInfraBackend,
} from '../__testUtils__/backend';
import {
  exampleInput,
  expectDocumentedExamples,
} from '../__testUtils__/examples';
import { createAssignChannelAction } from './assignChannel';
import { examples } from './assignChannel.examples';
import { createRevokeImageAction } from './revokeImage';

// The action runs against the real backend plugin, started in-process.
async function setup() {
  const deps = await startImmutableInfraBackend({
    entities: ['payments-api'],
    enroll: ['payments-api'],
  });
  await registerVersion(deps, { family: 'payments-api', n: 1 });
  await registerVersion(deps, { family: 'payments-api', n: 2 });
  return { deps, action: createAssignChannelAction(deps) };
}

describe('immutable-infra:channel:assign', () => {
  it('points the channel at a version by number or id, and says when it already did', async () => {
    const { action } = await setup();
    const assigned = createMockActionContext({
      input: { family: 'payments-api', channel: 'staging', version: 2 },
    });
    await action.handler(assigned);
    expect(assigned.output).toHaveBeenCalledWith('channel', 'staging');
    expect(assigned.output).toHaveBeenCalledWith('version', 'payments-api@2');
    expect(assigned.output).toHaveBeenCalledWith('changed', true);

    const again = createMockActionContext({
      input: {
        family: 'payments-api',
        channel: 'staging',
        version: 'payments-api@2',
        reason: 'promote',
      },
    });
    await action.handler(again);
    expect(again.output).toHaveBeenCalledWith('version', 'payments-api@2');
    expect(again.output).toHaveBeenCalledWith('changed', false);
  });

  it('fails with the backend message when the version is revoked', async () => {
    const { deps, action } = await setup();
    await createRevokeImageAction(deps).handler(
      createMockActionContext({
        input: { image: 'payments-api@1', reason: 'bad', descendants: false },
      }),
    );
    await expect(
      action.handler(
        createMockActionContext({
          input: { family: 'payments-api', channel: 'production', version: 1 },
        }),
      ),
    ).rejects.toThrow(
      'Assigning the channel failed: payments-api@1 is revoked and cannot be assigned to a channel (HTTP 409)',
    );
  });

  describe('examples', () => {
    it('are the ones the action documents: YAML with a step of the action whose input the scaffolder accepts', async () => {
      const { action } = await setup();
      expectDocumentedExamples(action, examples, {
        steps: { register: { output: { version: 2 } } },
      });
    });

    it.each(examples.map(e => [e.description, e] as const))(
      '%s',
      async (_description, example) => {
        const { action } = await setup();
        const ctx = createMockActionContext({
          input: exampleInput(action, example, {
            steps: { register: { output: { version: 2 } } },
          }),
        });
        await action.handler(ctx);
        expect(ctx.output).toHaveBeenCalledWith('version', 'payments-api@2');
        expect(ctx.output).toHaveBeenCalledWith('changed', true);
      },
    );
  });
});
