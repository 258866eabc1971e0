import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { startImmutableInfraBackend } from '../__testUtils__/backend';
import {
  exampleInput,
  expectDocumentedExamples,
} from '../__testUtils__/examples';
import { createMockTask } from '../__testUtils__/mockTask';
import { createEnrollAction } from './enroll';
import { examples } from './enroll.examples';

// The action runs against the real backend plugin, started in-process.
async function setup(options?: { deny?: boolean }) {
  const deps = await startImmutableInfraBackend(options);
  return { deps, action: createEnrollAction(deps) };
}

describe('immutable-infra:enroll', () => {
  it('enrolls the family and outputs it; a second run reports no change', async () => {
    const { action } = await setup();
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
    const { action } = await setup();
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
    const { action } = await setup({ deny: true });
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

  describe('checkpoints', () => {
    it('calls the backend for each step that enrolls the same family', async () => {
      const { action } = await setup();
      const task = createMockTask();
      await action.handler(
        task.step('enroll', {
          input: { family: 'shared', entityRef: 'component:default/first' },
        }),
      );
      // Replaying the first step's result would report success for the wrong entity.
      await expect(
        action.handler(
          task.step('enroll-second', {
            input: { family: 'shared', entityRef: 'component:default/second' },
          }),
        ),
      ).rejects.toThrow('already enrolled by component:default/first');

      const same = task.step('enroll-again', {
        input: { family: 'shared', entityRef: 'component:default/first' },
      });
      await action.handler(same);
      expect(same.output).toHaveBeenCalledWith('created', false);
      expect(task.checkpointKeys()).toEqual([
        expect.stringMatching(/^enroll:enroll:shared:/),
        expect.stringMatching(/^enroll:enroll-again:shared:/),
      ]);
    });

    it('replays its own checkpoint when the step is retried', async () => {
      const { deps, action } = await setup();
      const enroll = jest.spyOn(deps.client, 'enroll');
      const task = createMockTask();
      const input = {
        family: 'payments-api',
        entityRef: 'component:default/payments-api',
      };
      await action.handler(task.step('enroll', { input }));
      const retry = task.step('enroll', { input });
      await action.handler(retry);

      expect(enroll).toHaveBeenCalledTimes(1);
      // A second call would answer created: false; the replay keeps the first answer.
      expect(retry.output).toHaveBeenCalledWith('created', true);
      expect(task.checkpointKeys()).toHaveLength(1);
    });
  });

  describe('examples', () => {
    it('are the ones the action documents: YAML with a step of the action whose input the scaffolder accepts', async () => {
      const { action } = await setup();
      expectDocumentedExamples(action, examples, {
        parameters: { name: 'payments-api' },
      });
    });

    it.each(examples.map(e => [e.description, e] as const))(
      '%s',
      async (_description, example) => {
        const { action } = await setup();
        const ctx = createMockActionContext({
          input: exampleInput(action, example, {
            parameters: { name: 'payments-api' },
          }),
        });
        await action.handler(ctx);
        expect(ctx.output).toHaveBeenCalledWith('family', 'payments-api');
        expect(ctx.output).toHaveBeenCalledWith(
          'entityRef',
          'component:default/payments-api',
        );
        expect(ctx.output).toHaveBeenCalledWith('created', true);
      },
    );
  });
});
