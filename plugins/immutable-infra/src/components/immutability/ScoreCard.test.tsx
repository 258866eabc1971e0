import { renderInTestApp } from '@backstage/frontend-test-utils';
import { FleetSummary } from '@immutable-infra/backstage-plugin-common';
import { screen, within } from '@testing-library/react';
import { ScoreCard } from './ScoreCard';

const fleet: FleetSummary = {
  score: {
    score: 100,
    level: 'gold',
    checks: [
      {
        id: 'logs',
        title: 'Logs shipped off-host',
        weight: 10,
        status: 'pass',
        evidence: 'logs go to cloudwatch',
        fix: 'Declare a log destination',
      },
      {
        id: 'ssh',
        title: 'No SSH',
        weight: 15,
        status: 'fail',
        evidence: 'port 22 open on i-1',
        fix: 'Close port 22',
      },
    ],
  },
  counts: { critical: 0, high: 0, medium: 0, low: 0 },
  instances: 1,
  sync: { status: 'ok', stale: false },
  environments: [],
};

describe('ScoreCard', () => {
  it('shows the level and each check, with a fix only where it fails', async () => {
    await renderInTestApp(<ScoreCard fleet={fleet} />);
    expect(
      screen.getByText('Immutability: gold (100/100)'),
    ).toBeInTheDocument();
    const table = screen.getByRole('table', { name: 'checks' });
    expect(within(table).getByText('Weight')).toBeInTheDocument();
    expect(within(table).getByText('port 22 open on i-1')).toBeInTheDocument();
    expect(within(table).getByText('Close port 22')).toBeInTheDocument();
    expect(
      within(table).queryByText('Declare a log destination'),
    ).not.toBeInTheDocument();
  });
});
