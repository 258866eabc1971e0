import { FleetStore } from './FleetStore';

// The time budget of a periodic sync, and the order that lets a run the
// budget cut short resume where it stopped: the least recently attempted
// first.

/**
 * Share of the scheduler task's timeout a periodic sync may spend starting
 * accounts and regions; the rest lets those in flight finish, their
 * inventories be written and the task's other work run before the
 * scheduler gives up on it.
 *
 * @internal
 */
export const FLEET_SYNC_BUDGET_SHARE = 0.8;

/**
 * The time a periodic sync may spend starting accounts and regions, from
 * the fleet sync task's timeout (`immutableInfra.schedule.timeout`).
 *
 * @internal
 */
export function fleetSyncBudgetMs(timeoutMs: number): number {
  return Math.floor(timeoutMs * FLEET_SYNC_BUDGET_SHARE);
}

/**
 * Share of the task's timeout after which a periodic sync stops waiting for
 * the accounts and regions still in flight: their entities are left for the
 * next run, as those never started, and what was read is written in the
 * rest of the timeout.
 *
 * @internal
 */
export const FLEET_SYNC_STOP_SHARE = 0.9;

/**
 * When a periodic sync stops waiting for accounts and regions in flight,
 * from the fleet sync task's timeout.
 *
 * @internal
 */
export function fleetSyncStopMs(timeoutMs: number): number {
  return Math.floor(timeoutMs * FLEET_SYNC_STOP_SHARE);
}

/**
 * When each entity was last attempted, 0 for those never synced (they go
 * first), or nothing when the store cannot tell.
 */
export async function lastSyncAttempts(
  fleet: FleetStore,
  refs: string[],
): Promise<Map<string, number>> {
  if (!fleet.lastSyncAttempts) {
    return new Map();
  }
  return fleet.lastSyncAttempts(refs);
}

/**
 * The items ordered by their least recently attempted entity (0, first, for
 * one never attempted); ties keep their order.
 */
export function leastRecentlyAttemptedFirst<T>(
  items: T[],
  refsOf: (item: T) => string[],
  attempts: Map<string, number>,
): T[] {
  const oldest = new Map(
    items.map(item => [
      item,
      refsOf(item).reduce(
        (least, ref) => Math.min(least, attempts.get(ref) ?? 0),
        Infinity,
      ),
    ]),
  );
  return [...items].sort((a, b) => oldest.get(a)! - oldest.get(b)!);
}
