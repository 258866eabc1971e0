import { appendFileSync, existsSync, readFileSync } from 'node:fs';

/*
 * The tick log: one line per start and end of a run of the rollout task,
 * appended by the instrumented scheduler of rolloutBackend.ts and read by
 * the rollout chaos (rolloutChaos.ts).
 */

/** The rollout engine's scheduled task (plugin.ts). */
export const ROLLOUT_TASK_ID = 'immutable-infra:rollouts';

/** The scheduler's table of tasks, in each plugin's database. */
export const SCHEDULER_TASKS_TABLE = 'backstage_backend_tasks__tasks';

/** A line of the tick log. */
export type TickLogLine = {
  event: 'start' | 'end';
  pid: number;
  /** The scheduler's ticket of the run (its claim in the tasks table). */
  ticket: string;
  at: number;
  error?: string;
};

/** A run of the task: its process, start, and end unless it was killed. */
export type TaskRun = {
  pid: number;
  ticket: string;
  start: number;
  end?: number;
};

/**
 * Appends a line, synchronously: once it returns the line is in the file,
 * whatever kills the process next.
 */
export function writeTick(file: string, line: Omit<TickLogLine, 'pid' | 'at'>) {
  appendFileSync(
    file,
    `${JSON.stringify({ ...line, pid: process.pid, at: Date.now() })}\n`,
  );
}

export function readTicks(file: string): TickLogLine[] {
  if (!existsSync(file)) {
    return [];
  }
  return readFileSync(file, 'utf8')
    .split('\n')
    .flatMap(line => {
      try {
        return line ? [JSON.parse(line) as TickLogLine] : [];
      } catch {
        return []; // a line cut by a kill
      }
    });
}

/** The runs the lines tell of, by ticket. */
export function runsOf(ticks: TickLogLine[]): TaskRun[] {
  const runs = new Map<string, TaskRun>();
  for (const line of ticks) {
    if (line.event === 'start') {
      runs.set(line.ticket, {
        pid: line.pid,
        start: line.at,
        ticket: line.ticket,
      });
    } else if (runs.has(line.ticket)) {
      runs.get(line.ticket)!.end = line.at;
    }
  }
  return [...runs.values()];
}
