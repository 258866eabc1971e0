import { renderInTestApp } from '@backstage/frontend-test-utils';
import { screen, within } from '@testing-library/react';
import { immutableInfraApiRef } from '../../api';
import { FleetAgeCard } from './FleetAgeCard';

const entity = { kind: 'Component', namespace: 'default', name: 'app' };

describe('FleetAgeCard', () => {
  it('shows image age per environment against policy', async () => {
    const getImageAge = jest.fn().mockResolvedValue({
      entityRef: 'component:default/app',
      policyDays: 30,
      environments: [
        {
          environment: 'production',
          instances: 3,
          medianDays: 42,
          p95Days: 44,
          maxDays: 45,
          policyDays: 30,
          withinPolicy: false,
        },
        {
          environment: 'staging',
          instances: 0,
          policyDays: 30,
          withinPolicy: true,
        },
      ],
      versionsInUse: [],
      sync: {
        status: 'ok',
        stale: false,
        lastSuccessAt: new Date().toISOString(),
      },
    });
    await renderInTestApp(<FleetAgeCard entity={entity} />, {
      apis: [[immutableInfraApiRef, { getImageAge }]],
    });
    const table = await screen.findByRole('table', {
      name: 'image age per environment',
    });
    expect(
      screen.getByText('Policy: images at most 30 days old'),
    ).toBeInTheDocument();
    expect(within(table).getByText('42 d')).toBeInTheDocument();
    expect(within(table).getByText('exceeded')).toBeInTheDocument();
    expect(within(table).getAllByText('—')).toHaveLength(3);
    expect(screen.getByText('No instances running.')).toBeInTheDocument();
    expect(getImageAge).toHaveBeenCalledWith(entity);
    // A fresh inventory carries no mark.
    expect(screen.queryByText(/last sync failed/)).not.toBeInTheDocument();
  });

  it('shows a backend error', async () => {
    await renderInTestApp(<FleetAgeCard entity={entity} />, {
      apis: [
        [
          immutableInfraApiRef,
          { getImageAge: jest.fn().mockRejectedValue(new Error('fleet gone')) },
        ],
      ],
    });
    expect((await screen.findAllByText(/fleet gone/)).length).toBeGreaterThan(
      0,
    );
  });
});
