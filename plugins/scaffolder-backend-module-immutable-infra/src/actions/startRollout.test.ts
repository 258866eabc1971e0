import { mockServices } from '@backstage/backend-test-utils';
import { ActionContext } from '@backstage/plugin-scaffolder-node';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import yaml from 'yaml';
import {
  registerVersion,
  startImmutableInfraBackend,
} from '../__testUtils__/backend';
import {
  createFleet,
  ec2EmulatorEndpoint,
  uniqueName,
} from '../__testUtils__/ec2Emulator';
import {
  exampleInput,
  expectDocumentedExamples,
} from '../__testUtils__/examples';
import { createMockTask } from '../__testUtils__/mockTask';
import { backendRequestOptions } from './backendRequestOptions';
import { createStartRolloutAction } from './startRollout';
import { examples } from './startRollout.examples';

jest.setTimeout(120_000);

/** Two steps, no pause: a rollout that ends by itself. */
const NO_PAUSE = 'canary:50,100';

/**
 * The action against the real backend plugin, started in-process, whose
 * rollouts run on the EC2 emulator: the entity (enrolled, versions 1 and 2
 * registered on the emulator's AMIs, the environment's channel on 2) runs
 * two instances of version 1 in `environment` (production by default),
 * synced into the inventory. The default strategy pauses twice for a
 * promote.
 */
async function setup(options?: { strategy?: string; environment?: string }) {
  const endpoint = ec2EmulatorEndpoint();
  const name = uniqueName('web');
  const environment = options?.environment ?? 'production';
  const fleet = await createFleet(endpoint, {
    name,
    instances: 2,
    environment,
  });
  const deps = await startImmutableInfraBackend({
    ec2Endpoint: endpoint,
    entities: [
      {
        name,
        annotations: {
          ...fleet.annotations,
          ...(options?.strategy && {
            'immutable-infra.io/rollout-strategy': options.strategy,
          }),
        },
      },
    ],
    enroll: [name],
  });
  await registerVersion(deps, { family: name, imageId: fleet.oldAmi });
  await registerVersion(deps, { family: name, imageId: fleet.newAmi });
  await deps.syncFleet();
  const user = async () =>
    backendRequestOptions(deps.auth, createMockActionContext());
  await deps.client.assignChannel(
    name,
    environment,
    { version: 2 },
    await user(),
  );
  return {
    name,
    entityRef: `component:default/${name}`,
    action: createStartRolloutAction({ ...deps, pollIntervalMs: 50 }),
    rollouts: async () =>
      (
        await deps.client.listEntityRollouts(
          { kind: 'component', namespace: 'default', name },
          {},
          await user(),
        )
      ).items,
    get: async (id: string) => deps.client.getRollout(id, await user()),
    control: async (id: string, action: 'promote' | 'abort', reason?: string) =>
      deps.client.controlRollout(id, action, { reason }, await user()),
  };
}

/** An action context whose log the test reads, and that it can cancel. */
function context(input: Record<string, any>) {
  const logger = mockServices.logger.mock();
  const controller = new AbortController();
  // The mock context takes no signal of its own.
  const ctx = {
    ...createMockActionContext<any>({ input, logger }),
    signal: controller.signal,
  };
  const lines = () => logger.info.mock.calls.map(([message]) => message);
  return { ctx, lines, cancel: () => controller.abort() };
}

/** What the action output as `name`. */
function output(ctx: ActionContext<any, any>, name: string) {
  return (ctx.output as jest.Mock).mock.calls.find(
    ([key]) => key === name,
  )?.[1];
}

async function eventually<T>(what: string, fn: () => Promise<T | undefined>) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await fn();
    if (value) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out waiting for ${what}`);
    }
    await new Promise(resolve => setTimeout(resolve, 50));
  }
}

describe('immutable-infra:rollout:start', () => {
  it('fails with the backend message when the entity has no fleet', async () => {
    const deps = await startImmutableInfraBackend({
      entities: ['lonely'],
      enroll: ['lonely'],
    });
    await registerVersion(deps, { family: 'lonely', n: 1 });
    const action = createStartRolloutAction(deps);
    await expect(
      action.handler(
        createMockActionContext({
          input: {
            entityRef: 'component:default/lonely',
            environment: 'production',
            version: 1,
          },
        }),
      ),
    ).rejects.toThrow(
      /^Starting the rollout failed: Cannot roll out lonely@1 to production: .+ \(HTTP 400\)$/,
    );
  });

  it('refuses an input that is no entity ref before calling the backend', async () => {
    const deps = await startImmutableInfraBackend();
    await expect(
      createStartRolloutAction(deps).handler(
        createMockActionContext({
          input: { entityRef: 'payments api', environment: 'production' },
        }),
      ),
    ).rejects.toThrow('Invalid entityRef "payments api"');
  });

  describe('on the EC2 emulator', () => {
    it('starts the rollout and returns at once with its id, state, link and version', async () => {
      const { action, entityRef, name, get } = await setup();
      const { ctx } = context({
        entityRef,
        environment: 'production',
        version: 2,
        reason: 'new image',
      });
      await action.handler(ctx);

      const id = output(ctx, 'rolloutId');
      const rollout = await get(id);
      expect(rollout).toMatchObject({
        entityRef,
        environment: 'production',
        toVersion: `${name}@2`,
      });
      expect(rollout.events[0].message).toContain('new image');
      expect(['pending', 'running']).toContain(output(ctx, 'state'));
      expect(output(ctx, 'version')).toBe(`${name}@2`);
      expect(output(ctx, 'url')).toMatch(
        new RegExp(
          `^http://localhost:\\d+/api/immutable-infra/rollouts/${id}$`,
        ),
      );
    });

    it('waits for the rollout to succeed and release its environment, logging its timeline and steps once', async () => {
      const { action, entityRef, name, get } = await setup({
        strategy: NO_PAUSE,
      });
      const { ctx, lines } = context({
        entityRef,
        environment: 'production',
        version: 2,
        waitForCompletion: true,
      });
      await action.handler(ctx);

      expect(output(ctx, 'state')).toBe('succeeded');
      const rollout = await get(output(ctx, 'rolloutId'));
      expect(rollout.state).toBe('succeeded');
      // Success is reported once AWS is tidied and the environment released:
      // the timeline is complete when the step ends.
      expect(rollout.events.at(-1)).toMatchObject({
        kind: 'finished',
        message: `Launch templates default to ${name}@2; groups keep it, with their sizes as they were`,
      });
      const log = lines();
      // Once per event: two events may say the same (one wave each).
      for (const { message } of rollout.events) {
        expect(log.filter(line => line === message)).toHaveLength(
          rollout.events.filter(e => e.message === message).length,
        );
      }
      expect(log).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            /^Step 1 of 2: new version on 50% of the capacity$/,
          ),
          expect.stringMatching(
            /^Step 2 of 2: new version on 100% of the capacity$/,
          ),
          `Rollout ${rollout.id} succeeded: production runs ${name}@2`,
        ]),
      );
      expect(log.at(-1)).toBe(
        `Rollout ${rollout.id} succeeded: production runs ${name}@2`,
      );
    });

    it('says when the rollout waits for a promote, and goes on waiting until it ends', async () => {
      const { action, entityRef, control } = await setup();
      const { ctx, lines } = context({
        entityRef,
        environment: 'production',
        version: 2,
        waitForCompletion: true,
      });
      const done = action.handler(ctx);
      const waits = () =>
        lines().filter(l => l.includes('Waiting for a promote'));
      for (const count of [1, 2]) {
        await eventually('a promote to be asked for', async () =>
          waits().length >= count ? true : undefined,
        );
        await control(output(ctx, 'rolloutId'), 'promote');
      }
      await done;
      expect(waits()).toEqual([
        expect.stringMatching(
          /^Waiting for a promote at step 2 of 5: promote rollout /,
        ),
        expect.stringMatching(
          /^Waiting for a promote at step 4 of 5: promote rollout /,
        ),
      ]);
      expect(output(ctx, 'state')).toBe('succeeded');
    });

    it('fails with the reason when the rollout is aborted', async () => {
      const { action, entityRef, control } = await setup();
      const { ctx, lines } = context({
        entityRef,
        environment: 'production',
        waitForCompletion: true,
        version: 2,
      });
      const done = action.handler(ctx);
      await eventually('a promote to be asked for', async () =>
        lines().some(l => l.includes('Waiting for a promote'))
          ? true
          : undefined,
      );
      const id = output(ctx, 'rolloutId');
      // Its end taken before the abort: the action may end before the
      // abort's answer.
      const ended = done.then(
        () => undefined,
        (error: Error) => error,
      );
      await control(id, 'abort', 'wrong day');
      expect((await ended)?.message).toMatch(
        new RegExp(`^Rollout ${id} aborted: .*wrong day$`),
      );
      expect(output(ctx, 'state')).toBe('aborted');
    });

    it('stops waiting when the task is cancelled, and the rollout goes on', async () => {
      const { action, entityRef, get } = await setup();
      const { ctx, lines, cancel } = context({
        entityRef,
        environment: 'production',
        version: 2,
        waitForCompletion: true,
      });
      const done = action.handler(ctx);
      await eventually('a promote to be asked for', async () =>
        lines().some(l => l.includes('Waiting for a promote'))
          ? true
          : undefined,
      );
      cancel();
      const id = output(ctx, 'rolloutId');
      await expect(done).rejects.toThrow(
        `Stopped waiting for rollout ${id}, the task was cancelled: it is running, waiting for a promote, at step 2 of 5 and goes on`,
      );
      expect(await get(id)).toMatchObject({
        state: 'running',
        awaitingPromotion: true,
      });
    });

    it('fails naming the active rollout when the environment already has one', async () => {
      const { action, entityRef } = await setup();
      const first = context({
        entityRef,
        environment: 'production',
        version: 2,
      });
      await action.handler(first.ctx);
      const id = output(first.ctx, 'rolloutId');

      await expect(
        action.handler(
          context({ entityRef, environment: 'production', version: 1 }).ctx,
        ),
      ).rejects.toThrow(
        new RegExp(
          `^Starting the rollout failed: ${entityRef} already has an active rollout in production: ${id} .*\\(HTTP 409\\)$`,
        ),
      );
    });

    it('follows the rollout it started when the failed step runs again, starting no second one', async () => {
      const { action, entityRef, rollouts } = await setup({
        strategy: NO_PAUSE,
      });
      const task = createMockTask();
      const input = {
        entityRef,
        environment: 'production',
        version: 2,
        waitForCompletion: true,
      };
      // Cancelled before its first wait: the step fails, the rollout runs.
      const first = {
        ...task.step('rollout', { input }),
        signal: AbortSignal.abort(),
      };
      await expect(action.handler(first)).rejects.toThrow('Stopped waiting');

      const retry = task.step('rollout', { input });
      await action.handler(retry);
      expect(output(retry, 'rolloutId')).toBe(output(first, 'rolloutId'));
      expect(output(retry, 'state')).toBe('succeeded');
      expect(await rollouts()).toHaveLength(1);
    });

    describe('examples', () => {
      it('are the ones the action documents: YAML with a step of the action whose input the scaffolder accepts', async () => {
        const action = createStartRolloutAction(
          await startImmutableInfraBackend(),
        );
        expectDocumentedExamples(action, examples, {
          parameters: { name: 'payments-api' },
          steps: { register: { output: { version: 2 } } },
        });
      });

      it.each(examples.map(e => [e.description, e] as const))(
        '%s',
        async (_description, example) => {
          const { environment } = yaml.parse(example.example).steps[0].input;
          const { action, name, entityRef, get } = await setup({
            strategy: NO_PAUSE,
            environment,
          });
          const input = exampleInput(action, example, {
            parameters: { name },
            steps: { register: { output: { version: 2 } } },
          });
          // The example's entity is the one of the setup.
          const { ctx } = context({ ...input, entityRef });
          await action.handler(ctx);
          const rollout = await get(output(ctx, 'rolloutId'));
          expect(rollout.entityRef).toBe(entityRef);
          expect(output(ctx, 'state')).toBe(
            input.waitForCompletion ? 'succeeded' : rollout.state,
          );
        },
      );
    });
  });
});
