import { WarningPanel } from '@backstage/core-components';
import { SyncStatus } from '@immutable-infra/backstage-plugin-common';
import Typography from '@material-ui/core/Typography';
import { relative } from './format';

/**
 * Whether what a page shows of the inventory is out of date: the backend
 * marks it stale once the last sync failed and the last good one is older
 * than two sync periods (docs/score.md, `stale-inventory`); a failed last
 * sync is said too, before it goes stale.
 */
export function inventoryOutOfDate(sync: SyncStatus): boolean {
  return sync.stale || sync.status === 'failed';
}

function wording(sync: SyncStatus) {
  return {
    title: sync.stale
      ? 'This inventory is stale: the last sync failed'
      : 'The last sync failed',
    detail: `${sync.error ? `${sync.error} ` : ''}${
      sync.lastSuccessAt
        ? `The figures shown are from the sync ${relative(sync.lastSuccessAt)}.`
        : 'No sync has succeeded yet.'
    }`,
  };
}

/**
 * The mark every entity tab and the Overview card put on an inventory that
 * is out of date: whether it is stale or only failed last, how old the
 * figures are and the sync's error. Nothing while the inventory is fresh.
 * `panel` for a tab, `line` inside a card.
 */
export function StaleInventory({
  sync,
  variant = 'panel',
}: {
  sync: SyncStatus;
  variant?: 'panel' | 'line';
}) {
  if (!inventoryOutOfDate(sync)) {
    return null;
  }
  const { title, detail } = wording(sync);
  if (variant === 'line') {
    return (
      <Typography
        role="status"
        variant="body2"
        color={sync.stale ? 'error' : 'textPrimary'}
      >
        <b>{title}.</b> {detail}
      </Typography>
    );
  }
  return (
    <WarningPanel
      severity={sync.stale ? 'error' : 'warning'}
      title={title}
      message={detail}
      // The age and the error are the point: open, not behind a click.
      defaultExpanded
    />
  );
}
