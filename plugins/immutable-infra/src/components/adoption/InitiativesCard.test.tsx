import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { catalogApiRef, entityRouteRef } from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { screen } from '@testing-library/react';
import { immutableInfraApiRef } from '../../api';
import { InitiativesCard } from './InitiativesCard';

// Its own module: the permission answer is cached per module.
describe('InitiativesCard', () => {
  it('shows an initiative with its progress and who is behind; no New initiative without the manage permission', async () => {
    const initiative = {
      id: '00000000-0000-4000-8000-000000000001',
      title: 'Commerce on silver',
      goal: { kind: 'level' as const, value: 'silver' as const },
      scope: {
        owners: ['group:default/commerce'],
        systems: [],
        productionOnly: true,
      },
      startsOn: '2026-11-01',
      deadline: '2026-12-31',
      state: 'active' as const,
      createdBy: 'user:default/ada',
      createdAt: '2026-11-01T00:00:00.000Z',
      updatedAt: '2026-11-01T00:00:00.000Z',
      progress: { done: 1, total: 4 },
    };
    await renderInTestApp(<InitiativesCard />, {
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
      apis: [
        [
          immutableInfraApiRef,
          {
            listInitiatives: jest.fn().mockResolvedValue([initiative]),
            getInitiative: jest.fn().mockResolvedValue({
              ...initiative,
              burnUp: [
                { day: '2026-11-01', done: 0, total: 4 },
                { day: '2026-11-02', done: 1, total: 4 },
              ],
              owners: [{ owner: 'group:default/payments', done: 1, total: 2 }],
              behind: [{ entityRef: 'component:default/ledger' }],
            }),
          },
        ],
        [catalogApiRef, catalogApiMock()],
        mockApis.permission({ authorize: AuthorizeResult.DENY }),
      ],
    });
    expect(await screen.findByText('Commerce on silver')).toBeInTheDocument();
    expect(
      screen.getByText('Level silver or better · by 2026-12-31 · active', {
        exact: false,
      }),
    ).toBeInTheDocument();
    expect(
      screen.getByLabelText('Commerce on silver: 1 of 4 done'),
    ).toBeInTheDocument();
    expect(await screen.findByText('behind: 1 of 2')).toBeInTheDocument();
    expect(
      screen.getByLabelText('Commerce on silver burn-up'),
    ).toBeInTheDocument();
    expect(screen.queryByText('New initiative')).toBeNull();
  });
});
