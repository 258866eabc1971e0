import { renderInTestApp } from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { screen } from '@testing-library/react';
import { immutableInfraApiRef } from '../../api';
import { ImmutabilityCard } from './ImmutabilityCard';

describe('ImmutabilityCard', () => {
  it('shows level, score, critical findings, the oldest running image and the rollout under way', async () => {
    const getEntitySummary = jest.fn().mockResolvedValue({
      entityRef: 'component:default/app',
      enrolled: true,
      annotations: {
        imageFamily: 'app',
        fleetSelector: [],
        environments: ['production'],
        stateful: false,
      },
      family: {
        name: 'app',
        entityRef: 'component:default/app',
        createdAt: new Date().toISOString(),
      },
      fleet: {
        score: { score: 45, level: 'bronze', checks: [] },
        counts: { critical: 2, high: 0, medium: 1, low: 0 },
        instances: 4,
        sync: { status: 'ok', stale: false },
        environments: [],
        oldestImageDays: 35,
      },
      activeRollouts: [
        {
          id: 'r-1',
          environment: 'production',
          toVersion: 'app@5',
          strategy: 'canary',
          state: 'running',
          currentStep: 1,
          stepCount: 5,
          awaitingPromotion: true,
        },
      ],
    });
    await renderInTestApp(
      <EntityProvider
        entity={{
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Component',
          metadata: {
            name: 'app',
            annotations: { 'immutable-infra.io/image-family': 'app' },
          },
        }}
      >
        <ImmutabilityCard />
      </EntityProvider>,
      { apis: [[immutableInfraApiRef, { getEntitySummary }]] },
    );
    expect(await screen.findByText('bronze')).toBeInTheDocument();
    expect(screen.getByText('45/100')).toBeInTheDocument();
    // A fresh inventory carries no mark.
    expect(screen.queryByRole('status')).not.toBeInTheDocument();
    expect(
      screen.getByText('2 critical findings, 4 instances'),
    ).toBeInTheDocument();
    expect(
      screen.getByText('Oldest running image: 35 days'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'Rolling production out to app@5 (canary): running, step 2 of 5, waiting for a promote',
      ),
    ).toBeInTheDocument();
  });

  it('marks a stale inventory with the age of its figures and the error', async () => {
    const getEntitySummary = jest.fn().mockResolvedValue({
      entityRef: 'component:default/stale-app',
      enrolled: true,
      annotations: {
        imageFamily: 'stale-app',
        fleetSelector: [],
        environments: ['production'],
        stateful: false,
      },
      fleet: {
        score: { score: 45, level: 'bronze', checks: [] },
        counts: { critical: 0, high: 1, medium: 0, low: 0 },
        instances: 4,
        sync: {
          status: 'failed',
          stale: true,
          lastSuccessAt: new Date(Date.now() - 2 * 86_400_000).toISOString(),
          error: 'RequestLimitExceeded',
        },
        environments: [],
      },
    });
    await renderInTestApp(
      <EntityProvider
        entity={{
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Component',
          metadata: {
            name: 'stale-app',
            annotations: { 'immutable-infra.io/image-family': 'stale-app' },
          },
        }}
      >
        <ImmutabilityCard />
      </EntityProvider>,
      { apis: [[immutableInfraApiRef, { getEntitySummary }]] },
    );
    expect(await screen.findByRole('status')).toHaveTextContent(
      'This inventory is stale: the last sync failed. RequestLimitExceeded The figures shown are from the sync 2 days ago.',
    );
  });
});
