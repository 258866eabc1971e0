import { defineDriftRule } from './DriftRuleDefinition';
import { ago } from './wording';

/**
 * The last sync failed and the last successful one is older than two sync
 * periods (or there was none): the inventory shown is out of date.
 *
 * @internal
 */
export const staleInventory = defineDriftRule({
  id: 'stale-inventory',
  severity: 'high',
  fails: [],
  evaluate: {
    entity: ({ sync }, { now, input }) => {
      if (!sync || sync.status !== 'failed') {
        return undefined;
      }
      const lastGood = sync.lastSuccessAt ? Date.parse(sync.lastSuccessAt) : 0;
      return now - lastGood > 2 * input.syncPeriodMs
        ? { sync, now }
        : undefined;
    },
  },
  detail: ({ sync, now }) =>
    `The last sync failed (${
      sync.error ?? 'unknown error'
    }); the inventory shown is ${
      sync.lastSuccessAt
        ? `from ${ago(sync.lastSuccessAt, now)}`
        : 'empty: no sync has ever succeeded'
    }.`,
  rootCause: () => 'stale-inventory',
  fix: () =>
    'Check the AWS credentials and the fleet selector, then sync again.',
});
