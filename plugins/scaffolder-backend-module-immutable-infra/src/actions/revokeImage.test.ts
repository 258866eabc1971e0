import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import {
  registerVersion,
  startImmutableInfraBackend,
  testAmi,
} from '../__testUtils__/backend';
import {
  exampleInput,
  expectDocumentedExamples,
} from '../__testUtils__/examples';
import { createRevokeImageAction } from './revokeImage';
import { examples } from './revokeImage.examples';

// The action runs against the real backend plugin, started in-process.
async function setup() {
  const deps = await startImmutableInfraBackend({
    entities: ['payments-api'],
    enroll: ['payments-api'],
  });
  await registerVersion(deps, { family: 'payments-api', n: 1 });
  await registerVersion(deps, {
    family: 'payments-api',
    n: 2,
    parent: 'payments-api@1',
  });
  return { deps, action: createRevokeImageAction(deps) };
}

describe('immutable-infra:image:revoke', () => {
  it('revokes a version found by its AMI with its descendants, then has nothing to revoke', async () => {
    const { action } = await setup();
    const input = {
      image: testAmi(1),
      reason: 'CVE-2026-1',
      descendants: true,
    };
    const revoked = createMockActionContext({ input });
    await action.handler(revoked);
    expect(revoked.output).toHaveBeenCalledWith('revoked', [
      'payments-api@2',
      'payments-api@1',
    ]);

    const again = createMockActionContext({ input });
    await action.handler(again);
    expect(again.output).toHaveBeenCalledWith('revoked', []);
  });

  it('revokes only the version when descendants is false', async () => {
    const { action } = await setup();
    const ctx = createMockActionContext({
      input: { image: 'payments-api@1', reason: 'bad', descendants: false },
    });
    await action.handler(ctx);
    expect(ctx.output).toHaveBeenCalledWith('revoked', ['payments-api@1']);
  });

  it('fails with the backend message when the image is not registered', async () => {
    const { action } = await setup();
    await expect(
      action.handler(
        createMockActionContext({
          input: { image: 'payments-api@9', reason: 'x', descendants: false },
        }),
      ),
    ).rejects.toThrow(
      'Revoking the image failed: No image payments-api@9 is registered (HTTP 404)',
    );
  });

  describe('examples', () => {
    it('are the ones the action documents: YAML with a step of the action whose input the scaffolder accepts', async () => {
      const { action } = await setup();
      expectDocumentedExamples(action, examples);
    });

    it.each(examples.map(e => [e.description, e] as const))(
      '%s',
      async (_description, example) => {
        const deps = await startImmutableInfraBackend({
          entities: ['base-ubuntu', 'payments-api'],
          enroll: ['base-ubuntu', 'payments-api'],
        });
        for (let n = 1; n <= 12; n++) {
          await registerVersion(deps, { family: 'base-ubuntu', n });
        }
        await registerVersion(deps, {
          family: 'payments-api',
          n: 13,
          parent: 'base-ubuntu@12',
        });
        const action = createRevokeImageAction(deps);
        const ctx = createMockActionContext({
          input: exampleInput(action, example),
        });
        await action.handler(ctx);
        expect(ctx.output).toHaveBeenCalledWith('revoked', [
          'base-ubuntu@12',
          'payments-api@1',
        ]);
      },
    );
  });
});
