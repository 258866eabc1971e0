/*
 * A Backstage backend with only what a rollout needs: the catalog (a file
 * location) and this plugin, on the default services (scheduler, database,
 * auth) from the config it is given. The rollout chaos test starts it as a
 * separate process and kills it with SIGKILL; it starts in a few seconds,
 * where the demo backend takes about ten.
 *
 *   node --require @backstage/cli/config/nodeTransform.cjs rolloutBackend.ts --config <file>
 *
 * The real scheduler, with an instrument on the rollout task only: when
 * ROLLOUT_BACKEND_TICK_LOG names a file, each run of the task appends a line
 * there when it starts and when it ends (its process, the scheduler's ticket
 * for the run, the time), written synchronously so that a line survives the
 * SIGKILL that follows it: the test reads it to tell whether a killed process
 * held the task, and that no two runs overlapped. With
 * ROLLOUT_BACKEND_INITIAL_DELAY_MS the task's first run after a start waits
 * that long instead of the plugin's 5 seconds (a test that restarts the
 * backend often waits less; nothing runs in that delay).
 */
import { createBackend } from '@backstage/backend-defaults';
import { DefaultSchedulerService } from '@backstage/backend-defaults/scheduler';
import {
  coreServices,
  createServiceFactory,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import { metricsServiceRef } from '@backstage/backend-plugin-api/alpha';
import { randomUUID } from 'node:crypto';
import {
  ROLLOUT_TASK_ID,
  SCHEDULER_TASKS_TABLE,
  writeTick,
} from './rolloutTickLog';

const tickLog = process.env.ROLLOUT_BACKEND_TICK_LOG;
const initialDelayMs = process.env.ROLLOUT_BACKEND_INITIAL_DELAY_MS;

const instrumentedScheduler = createServiceFactory({
  service: coreServices.scheduler,
  deps: {
    database: coreServices.database,
    logger: coreServices.logger,
    rootLifecycle: coreServices.rootLifecycle,
    httpRouter: coreServices.httpRouter,
    pluginMetadata: coreServices.pluginMetadata,
    metrics: metricsServiceRef,
  },
  async factory(deps) {
    const scheduler = DefaultSchedulerService.create(deps);
    if (!tickLog || deps.pluginMetadata.getId() !== 'immutable-infra') {
      return scheduler;
    }
    const knex = await deps.database.getClient();
    const write = (line: Parameters<typeof writeTick>[1]) =>
      writeTick(tickLog, line);
    const instrumented: SchedulerService = {
      triggerTask: id => scheduler.triggerTask(id),
      cancelTask: id => scheduler.cancelTask(id),
      createScheduledTaskRunner: schedule =>
        scheduler.createScheduledTaskRunner(schedule),
      getScheduledTasks: () => scheduler.getScheduledTasks(),
      scheduleTask: task =>
        scheduler.scheduleTask(
          task.id !== ROLLOUT_TASK_ID
            ? task
            : {
                ...task,
                ...(initialDelayMs
                  ? { initialDelay: { milliseconds: Number(initialDelayMs) } }
                  : {}),
                fn: async signal => {
                  // The run holds the claim now: the ticket is its own.
                  const [row] = await knex(SCHEDULER_TASKS_TABLE)
                    .where({ id: ROLLOUT_TASK_ID })
                    .select('current_run_ticket');
                  // A local task has no row: a ticket of its own then.
                  const ticket = String(
                    row?.current_run_ticket ?? `unclaimed-${randomUUID()}`,
                  );
                  write({ event: 'start', ticket });
                  try {
                    await task.fn(signal);
                    write({ event: 'end', ticket });
                  } catch (error) {
                    write({
                      event: 'end',
                      ticket,
                      error: String((error as Error)?.message ?? error),
                    });
                    throw error;
                  }
                },
              },
        ),
    };
    return instrumented;
  },
});

const backend = createBackend();
backend.add(instrumentedScheduler);
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(import('../index'));
backend.start().catch(error => {
  // eslint-disable-next-line no-console
  console.error('Backend startup failed, exiting', error);
  process.exit(1);
});
