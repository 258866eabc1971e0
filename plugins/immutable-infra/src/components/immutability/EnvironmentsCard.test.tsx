import { renderInTestApp } from '@backstage/frontend-test-utils';
import { FleetSummary } from '@immutable-infra/backstage-plugin-common';
import { screen, within } from '@testing-library/react';
import { EnvironmentsCard } from './EnvironmentsCard';

const fleet: FleetSummary = {
  score: { score: 0, level: 'none', checks: [] },
  counts: { critical: 0, high: 0, medium: 0, low: 0 },
  instances: 3,
  sync: {
    status: 'failed',
    stale: false,
    error: 'throttled',
    lastSuccessAt: '2026-11-26T08:00:00.000Z',
  },
  environments: [
    {
      environment: 'production',
      channelVersion: 'app@4',
      running: [
        { imageId: 'ami-4', version: 'app@4', instances: 2 },
        { imageId: 'ami-9', instances: 1 },
      ],
    },
    { environment: 'staging', running: [] },
  ],
};

describe('EnvironmentsCard', () => {
  it('shows, per environment, the channel version and what runs', async () => {
    await renderInTestApp(<EnvironmentsCard fleet={fleet} />);
    expect(
      screen.getByText(/latest sync failed: throttled/),
    ).toBeInTheDocument();
    const table = screen.getByRole('table', {
      name: 'versions per environment',
    });
    expect(within(table).getByText('app@4 × 2, ami-9 × 1')).toBeInTheDocument();
    expect(within(table).getByText('not assigned')).toBeInTheDocument();
    expect(within(table).getByText('no instances')).toBeInTheDocument();
  });
});
