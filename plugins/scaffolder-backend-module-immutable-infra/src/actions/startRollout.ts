import { DiscoveryService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import {
  ActionContext,
  createTemplateAction,
} from '@backstage/plugin-scaffolder-node';
import {
  CHANNEL_PATTERN,
  CHANNEL_RULE,
  describeStep,
  entityRefProblem,
  IMMUTABLE_INFRA_PLUGIN_ID,
  MAX_IMAGE_VERSION,
  Rollout,
} from '@immutable-infra/backstage-plugin-common';
import { setTimeout as delay } from 'node:timers/promises';
import { backendRequestOptions } from './backendRequestOptions';
import { callBackend } from './callBackend';
import { checkpointKey } from './checkpointKey';
import { examples } from './startRollout.examples';
import { RegistryActionOptions } from './types';

const DEFAULT_TIMEOUT_MINUTES = 60;
const MAX_TIMEOUT_MINUTES = 24 * 60;
const DEFAULT_POLL_INTERVAL_MS = 5_000;
/**
 * The timeline event the backend writes when a rollout that succeeded has
 * tidied AWS (launch templates default to the new version, groups stay on
 * it with their sizes as they were) and released its entity and environment
 * for the next rollout. Succeeded comes first, this a tick or more later.
 */
const RELEASED_EVENT_KIND = 'finished';

/**
 * What `immutable-infra:rollout:start` needs: the registry actions' client
 * and auth, discovery for the rollout's link, and how often it reads the
 * rollout while it waits.
 *
 * @public
 */
export type StartRolloutActionOptions = RegistryActionOptions & {
  discovery: Pick<DiscoveryService, 'getExternalBaseUrl'>;
  /** Milliseconds between two reads of the rollout while waiting; 5 seconds by default. */
  pollIntervalMs?: number;
};

/**
 * `immutable-infra:rollout:start`: starts a rollout of an entity's
 * environment to a version and, with `waitForCompletion`, follows it to its
 * end in the task log.
 *
 * @public
 */
export function createStartRolloutAction({
  client,
  auth,
  discovery,
  pollIntervalMs = DEFAULT_POLL_INTERVAL_MS,
}: StartRolloutActionOptions) {
  return createTemplateAction({
    id: 'immutable-infra:rollout:start',
    description:
      'Starts a rollout of an environment of an entity to an image version (the channel version by default), following the strategy of its annotations. With waitForCompletion the step follows the rollout in the task log and ends with it: success once it succeeded and released the environment (launch templates default to the version, the next rollout may start), an error when it fails, is aborted or does not end in time (the rollout goes on).',
    examples,
    schema: {
      input: {
        entityRef: z =>
          z
            .string()
            .min(1)
            .describe(
              'The enrolled entity whose fleet rolls out, e.g. component:default/payments-api',
            ),
        environment: z =>
          z
            .string()
            .regex(CHANNEL_PATTERN, CHANNEL_RULE)
            .describe('Environment, e.g. staging or production'),
        version: z =>
          z
            .number()
            .int()
            .min(1)
            .max(MAX_IMAGE_VERSION)
            .optional()
            .describe(
              'Version number of the entity’s family; the environment’s channel version when absent (another version moves the channel on success)',
            ),
        reason: z =>
          z.string().optional().describe('Why, shown in the rollout timeline'),
        waitForCompletion: z =>
          z
            .boolean()
            .optional()
            .describe(
              'Follow the rollout until it ends instead of returning once it started (default false)',
            ),
        timeoutMinutes: z =>
          z
            .number()
            .int()
            .min(1)
            .max(MAX_TIMEOUT_MINUTES)
            .optional()
            .describe(
              `With waitForCompletion, how long to wait before failing the step (default ${DEFAULT_TIMEOUT_MINUTES}); the rollout goes on`,
            ),
      },
      output: {
        rolloutId: z => z.string().describe('The rollout’s id'),
        state: z =>
          z
            .string()
            .describe(
              'The rollout’s state when the step ended: succeeded after a wait, usually pending or running without one',
            ),
        url: z => z.string().describe('The rollout in the backend’s API'),
        version: z =>
          z.string().describe('<family>@<version> the rollout goes to'),
      },
    },
    async handler(ctx) {
      const { entityRef, environment, version, reason } = ctx.input;
      // The scaffolder checks the input against the JSON Schema, where a
      // refinement does not survive: the entity ref is checked here.
      const problem = entityRefProblem(entityRef);
      if (problem) {
        throw new InputError(problem);
      }
      const request = { entityRef, environment, version, reason };
      let started: Rollout | undefined;
      // A re-run of the task replays the rollout it started: one start only.
      const { rolloutId } = await ctx.checkpoint({
        key: checkpointKey({
          ctx,
          name: 'rollout',
          family: entityRef,
          request,
        }),
        fn: async () => {
          const answer = await callBackend('Starting the rollout', async () =>
            client.createRollout(
              request,
              await backendRequestOptions(auth, ctx),
            ),
          );
          started = answer.rollout;
          return { rolloutId: answer.rollout.id };
        },
      });
      const read = async () =>
        callBackend('Reading the rollout', async () =>
          client.getRollout(rolloutId, await backendRequestOptions(auth, ctx)),
        );
      let rollout = started ?? (await read());
      ctx.logger.info(
        started
          ? `Started rollout ${rollout.id} of ${rollout.environment} to ${rollout.toVersion}`
          : `Rollout ${rollout.id} of ${rollout.environment} to ${rollout.toVersion} was started by an earlier run of this step: it is ${rollout.state}`,
      );
      const baseUrl = await discovery.getExternalBaseUrl(
        IMMUTABLE_INFRA_PLUGIN_ID,
      );
      ctx.output('rolloutId', rollout.id);
      ctx.output(
        'url',
        `${baseUrl}/rollouts/${encodeURIComponent(rollout.id)}`,
      );
      ctx.output('version', rollout.toVersion);
      if (ctx.input.waitForCompletion) {
        rollout = await follow({
          ctx,
          rollout,
          read,
          pollIntervalMs,
          timeoutMinutes: ctx.input.timeoutMinutes ?? DEFAULT_TIMEOUT_MINUTES,
        });
      }
      ctx.output('state', rollout.state);
    },
  });
}

/**
 * Reads the rollout until it ends, logging each new timeline event and each
 * step once, and that it waits for a promote. Answers it once it succeeded
 * and released its environment (AWS tidied, the `finished` event): until
 * then the templates still default to the old version and another rollout
 * of the environment is refused. Throws
 * when it failed or was aborted, when the timeout passes, and when the task
 * is cancelled. Only the waiting stops: the rollout goes on.
 */
async function follow(options: {
  ctx: Pick<ActionContext<any, any>, 'logger' | 'signal' | 'output'>;
  rollout: Rollout;
  read: () => Promise<Rollout>;
  pollIntervalMs: number;
  timeoutMinutes: number;
}): Promise<Rollout> {
  const { ctx, read, pollIntervalMs, timeoutMinutes } = options;
  const deadline = Date.now() + timeoutMinutes * 60_000;
  const logged = new Set<string>();
  let step: number | undefined;
  let waitingAt: number | undefined;
  for (let rollout = options.rollout; ; rollout = await read()) {
    for (const event of rollout.events) {
      if (!logged.has(event.id)) {
        logged.add(event.id);
        ctx.logger.info(event.message);
      }
    }
    const where = `${rollout.currentStep + 1} of ${rollout.steps.length}`;
    if (step !== rollout.currentStep && rollout.state === 'running') {
      step = rollout.currentStep;
      ctx.logger.info(
        `Step ${where}: ${describeStep(rollout.steps[rollout.currentStep])}`,
      );
    }
    if (!rollout.awaitingPromotion) {
      waitingAt = undefined;
    } else if (waitingAt !== rollout.currentStep) {
      waitingAt = rollout.currentStep;
      ctx.logger.info(
        `Waiting for a promote at step ${where}: promote rollout ${rollout.id} on the entity’s Immutability tab`,
      );
    }
    if (
      rollout.state === 'succeeded' &&
      rollout.events.some(e => e.kind === RELEASED_EVENT_KIND)
    ) {
      ctx.logger.info(
        `Rollout ${rollout.id} succeeded: ${rollout.environment} runs ${rollout.toVersion}`,
      );
      return rollout;
    }
    if (rollout.state === 'failed' || rollout.state === 'aborted') {
      ctx.output('state', rollout.state);
      throw new Error(
        `Rollout ${rollout.id} ${rollout.state}${
          rollout.reason ? `: ${rollout.reason}` : ''
        }`,
      );
    }
    const left = deadline - Date.now();
    const now =
      rollout.state === 'succeeded'
        ? `it succeeded and still puts launch templates and groups on ${rollout.toVersion}, which goes on`
        : `it is ${rollout.state}${
            rollout.awaitingPromotion ? ', waiting for a promote,' : ''
          } at step ${where} and goes on`;
    if (left <= 0) {
      ctx.output('state', rollout.state);
      throw new Error(
        `Rollout ${rollout.id} did not end within ${timeoutMinutes} minutes: ${now}`,
      );
    }
    if (!(await sleep(Math.min(pollIntervalMs, left), ctx.signal))) {
      ctx.output('state', rollout.state);
      throw new Error(
        `Stopped waiting for rollout ${rollout.id}, the task was cancelled: ${now}`,
      );
    }
  }
}

/** Waits `ms`; false when the signal aborts first. */
async function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  try {
    await delay(ms, undefined, { signal });
    return true;
  } catch (error) {
    if (signal?.aborted) {
      return false;
    }
    throw error;
  }
}
