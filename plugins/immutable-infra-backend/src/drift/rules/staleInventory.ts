import { defineDriftRule } from './DriftRuleDefinition';
import { ago, agoPrecise } from './wording';

/** A sync period in words: `5 minutes`. */
function periodWords(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  return minutes >= 1
    ? `${minutes} minute${minutes === 1 ? '' : 's'}`
    : `${Math.round(ms / 1000)} seconds`;
}

/**
 * The inventory shown is out of date: the last sync failed and the last
 * successful one is older than two sync periods (or there was none), or,
 * with periodic syncs, no sync at all has run for two periods (the
 * scheduler stopped, or every run left the entity's account for the next).
 *
 * @internal
 */
export const staleInventory = defineDriftRule({
  id: 'stale-inventory',
  severity: 'high',
  fails: [],
  evaluate: {
    entity: ({ sync }, { now, input }) => {
      if (!sync) {
        return undefined;
      }
      const lastGood = sync.lastSuccessAt ? Date.parse(sync.lastSuccessAt) : 0;
      if (sync.status === 'failed') {
        return now - lastGood > 2 * input.syncPeriodMs
          ? { sync, now, periodMs: input.syncPeriodMs }
          : undefined;
      }
      // Without a period (syncs only when triggered) a good sync never ages.
      const lastAttempt = Date.parse(sync.lastAttemptAt);
      return input.syncPeriodMs > 0 &&
        now - lastAttempt > 2 * input.syncPeriodMs
        ? { sync, now, periodMs: input.syncPeriodMs }
        : undefined;
    },
  },
  detail: ({ sync, now, periodMs }) =>
    sync.status === 'failed'
      ? `The last sync failed (${
          sync.error ?? 'unknown error'
        }); the inventory shown is ${
          sync.lastSuccessAt
            ? `from ${ago(sync.lastSuccessAt, now)}`
            : 'empty: no sync has ever succeeded'
        }.`
      : `The last sync ran ${agoPrecise(
          sync.lastAttemptAt,
          now,
        )}, though syncs run every ${periodWords(
          periodMs,
        )}; the inventory shown is that old.`,
  rootCause: () => 'stale-inventory',
  fix: ({ sync }) =>
    sync.status === 'failed'
      ? 'Check the AWS credentials and the fleet selector, then sync again.'
      : 'Check that the fleet sync task runs (GET /api/immutable-infra/.backstage/scheduler/v1/tasks) and that its log does not leave this entity for the next run each time.',
});
