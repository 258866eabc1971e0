import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { startImmutableInfraBackend } from '../__testUtils__/backend';
import yaml from 'yaml';
import { createEnrollAction } from './enroll';

// The action runs against the real backend plugin, started in-process.
async function startBackend(options?: { deny?: boolean }) {
  return createEnrollAction(await startImmutableInfraBackend(options));
}

describe('immutable-infra:enroll', () => {
  it('enrolls the family and outputs it; a second run reports no change', async () => {
    const action = await startBackend();
    const ctx = createMockActionContext({
      input: {
        family: 'payments-api',
        entityRef: 'component:default/payments-api',
      },
    });
    await action.handler(ctx);
    expect(ctx.output).toHaveBeenCalledWith('family', 'payments-api');
    expect(ctx.output).toHaveBeenCalledWith(
      'entityRef',
      'component:default/payments-api',
    );
    expect(ctx.output).toHaveBeenCalledWith('created', true);

    const again = createMockActionContext({ input: ctx.input });
    await action.handler(again);
    expect(again.output).toHaveBeenCalledWith('created', false);
  });

  it('fails with the backend message when another entity owns the family', async () => {
    const action = await startBackend();
    await action.handler(
      createMockActionContext({
        input: { family: 'shared', entityRef: 'component:default/first' },
      }),
    );
    await expect(
      action.handler(
        createMockActionContext({
          input: { family: 'shared', entityRef: 'component:default/second' },
        }),
      ),
    ).rejects.toThrow(
      'Enrolling failed: Image family "shared" is already enrolled by component:default/first (HTTP 409)',
    );
  });

  it('fails when the user may not enroll', async () => {
    const action = await startBackend({ deny: true });
    await expect(
      action.handler(
        createMockActionContext({
          input: { family: 'payments-api', entityRef: 'component:default/x' },
        }),
      ),
    ).rejects.toThrow(
      'Enrolling failed: You may not enroll image families for component:default/x (HTTP 403)',
    );
  });

  it('documents examples that pass its own input schema', async () => {
    const action = await startBackend();
    expect(action.examples?.length).toBeGreaterThan(0);
    for (const example of action.examples ?? []) {
      const { steps } = yaml.parse(example.example);
      expect(steps[0].action).toBe('immutable-infra:enroll');
      expect(Object.keys(steps[0].input).sort()).toEqual([
        'entityRef',
        'family',
      ]);
    }
    const ctx = createMockActionContext({
      input: yaml.parse(action.examples![0].example).steps[0].input,
    });
    await action.handler(ctx);
    expect(ctx.output).toHaveBeenCalledWith('created', true);
  });
});
