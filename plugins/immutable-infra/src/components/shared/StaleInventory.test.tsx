import { renderInTestApp } from '@backstage/frontend-test-utils';
import { SyncStatus } from '@immutable-infra/backstage-plugin-common';
import { screen } from '@testing-library/react';
import { StaleInventory } from './StaleInventory';

const daysAgo = (days: number) =>
  new Date(Date.now() - days * 86_400_000).toISOString();

const stale: SyncStatus = {
  status: 'failed',
  stale: true,
  lastAttemptAt: daysAgo(0),
  lastSuccessAt: daysAgo(4),
  error: 'AccessDenied: not authorized to perform ec2:DescribeInstances',
};

describe('StaleInventory', () => {
  it('says a stale inventory is stale, how old its figures are and why', async () => {
    await renderInTestApp(<StaleInventory sync={stale} />);
    expect(
      screen.getByText('Error: This inventory is stale: the last sync failed'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'AccessDenied: not authorized to perform ec2:DescribeInstances The figures shown are from the sync 4 days ago.',
      ),
    ).toBeVisible();
  });

  it('says a failed last sync before the inventory goes stale', async () => {
    await renderInTestApp(
      <StaleInventory
        sync={{
          ...stale,
          stale: false,
          lastSuccessAt: daysAgo(2),
          error: 'RequestLimitExceeded',
        }}
      />,
    );
    expect(
      screen.getByText('Warning: The last sync failed'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        /RequestLimitExceeded The figures shown are from the sync 2 days ago/,
      ),
    ).toBeInTheDocument();
    expect(screen.queryByText(/is stale/)).not.toBeInTheDocument();
  });

  it('says when no sync has ever succeeded', async () => {
    await renderInTestApp(
      <StaleInventory
        sync={{ status: 'failed', stale: true, error: 'timeout' }}
        variant="line"
      />,
    );
    expect(screen.getByRole('status')).toHaveTextContent(
      'This inventory is stale: the last sync failed. timeout No sync has succeeded yet.',
    );
  });

  it('shows nothing for a fresh inventory, nor one never synced', async () => {
    await renderInTestApp(
      <div data-testid="mark">
        <StaleInventory
          sync={{ status: 'ok', stale: false, lastSuccessAt: daysAgo(0) }}
        />
        <StaleInventory
          sync={{ status: 'never', stale: false }}
          variant="line"
        />
      </div>,
    );
    expect(screen.getByTestId('mark')).toBeEmptyDOMElement();
  });
});
