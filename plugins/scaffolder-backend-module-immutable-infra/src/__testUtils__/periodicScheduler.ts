import {
  coreServices,
  createServiceFactory,
  SchedulerService,
  SchedulerServiceTaskInvocationDefinition,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';

type Task = SchedulerServiceTaskScheduleDefinition &
  SchedulerServiceTaskInvocationDefinition;

const MS = {
  years: 365 * 86_400_000,
  months: 30 * 86_400_000,
  weeks: 7 * 86_400_000,
  days: 86_400_000,
  hours: 3_600_000,
  minutes: 60_000,
  seconds: 1_000,
  milliseconds: 1,
} as const;

/** A task's period in milliseconds; undefined for a cron or manual one. */
function periodOf(frequency: Task['frequency']): number | undefined {
  if (typeof frequency !== 'object' || 'cron' in frequency) {
    return undefined;
  }
  if ('trigger' in frequency) {
    return undefined;
  }
  return Object.entries(frequency).reduce(
    (sum, [unit, n]) => sum + (MS[unit as keyof typeof MS] ?? 0) * (n ?? 0),
    0,
  );
}

/**
 * A scheduler for a test backend that runs each task every `frequency`
 * (a duration; the first run one period after it is scheduled, whatever
 * `initialDelay` says) and on `triggerTask`, one run at a time per task, as
 * the real scheduler does on one replica. Unlike the mock scheduler of
 * `@backstage/backend-test-utils`, which runs a task only when triggered, a
 * backend on it moves on by itself: its rollouts end without a test ticking
 * the engine. Everything stops when the backend stops.
 */
export function periodicSchedulerFactory() {
  return createServiceFactory({
    service: coreServices.scheduler,
    deps: { lifecycle: coreServices.lifecycle },
    async factory({ lifecycle }): Promise<SchedulerService> {
      const tasks = new Map<string, Task>();
      const running = new Set<string>();
      const timers: NodeJS.Timeout[] = [];
      const abort = new AbortController();
      const run = async (id: string) => {
        const task = tasks.get(id);
        if (!task || running.has(id) || abort.signal.aborted) {
          return;
        }
        running.add(id);
        try {
          await task.fn(abort.signal);
        } catch {
          // A failed run is the task's to log; the next period runs again.
        } finally {
          running.delete(id);
        }
      };
      lifecycle.addShutdownHook(() => {
        abort.abort();
        timers.forEach(clearInterval);
      });
      const scheduler: SchedulerService = {
        async scheduleTask(task) {
          tasks.set(task.id, task);
          const period = periodOf(task.frequency);
          if (period) {
            timers.push(setInterval(() => run(task.id), period));
          }
        },
        async triggerTask(id) {
          await run(id);
        },
        async cancelTask() {},
        createScheduledTaskRunner(schedule) {
          return {
            run: async task => scheduler.scheduleTask({ ...task, ...schedule }),
          };
        },
        async getScheduledTasks() {
          return [...tasks.values()].map(task => ({
            id: task.id,
            scope: task.scope ?? 'global',
            settings: { version: 1 },
          }));
        },
      };
      return scheduler;
    },
  });
}
