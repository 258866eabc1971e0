import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { catalogApiRef, entityRouteRef } from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { AdoptionResponse } from '@immutable-infra/backstage-plugin-common';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { immutableInfraApiRef } from '../../api';
import { AdoptionPage } from './AdoptionPage';
import { enrolmentLink } from './ServiceTable';

const figures = (services: number, enrolled: number) => ({
  services,
  enrolled,
  levels: { gold: 1, silver: 0, bronze: enrolled - 1, none: 0 },
  instances: 10,
  instancesOnChannel: 8,
  onChannelShare: 0.8,
  criticalFindings: 2,
  imageAgeMedianDays: 12,
  imageAgeP95Days: 40,
  withinPolicyShare: 0.5,
  driftLifetimeP50Minutes: 15,
  driftLifetimeP95Minutes: 1440,
  erasedAutomaticallyShare: 0.75,
  rollouts: { succeeded: 3, failed: 1, aborted: 0 },
});

const ADOPTION: AdoptionResponse = {
  day: '2026-12-03',
  takenAt: '2026-12-03T06:00:00.000Z',
  figures: figures(3, 2),
  byType: [{ type: 'service', services: 3, enrolled: 2 }],
  byLifecycle: [{ lifecycle: 'production', services: 3, enrolled: 2 }],
  groupBy: 'owner',
  groups: [
    {
      key: 'group:default/commerce',
      depth: 0,
      directServices: 0,
      figures: figures(3, 2),
    },
    {
      key: 'group:default/payments',
      parent: 'group:default/commerce',
      depth: 1,
      directServices: 2,
      figures: figures(2, 2),
    },
  ],
  services: {
    items: [
      {
        entityRef: 'component:default/ledger',
        owner: 'group:default/payments',
        lifecycle: 'production',
        enrolled: true,
        level: 'gold',
        score: 95,
        passingChecks: [],
        criticalFindings: 0,
        instances: 4,
        instancesOnChannel: 4,
        imageAgeDays: 40,
        imageAgePolicyDays: 30,
      },
      {
        entityRef: 'component:default/legacy',
        owner: 'group:default/payments',
        lifecycle: 'production',
        enrolled: false,
        passingChecks: [],
        criticalFindings: 0,
        instances: 0,
        instancesOnChannel: 0,
      },
    ],
    total: 2,
  },
  delivery: {
    windowDays: 90,
    deploymentsPerServicePerWeek: 0.12,
    succeeded: 3,
    failed: 1,
    aborted: 0,
    failureRate: 0.25,
    abortRate: 0,
    leadTimeMedianHours: 30,
    leadTimeP95Hours: 100,
    productionRollouts: 2,
    revokedReplaced: 1,
    revokedStillRunning: 0,
    revokedReplaceMedianHours: 5,
  },
};

function api() {
  return {
    getAdoption: jest.fn().mockResolvedValue(ADOPTION),
    getAdoptionHistory: jest.fn().mockResolvedValue({
      days: [
        { day: '2026-12-02', ...figures(3, 1) },
        { day: '2026-12-03', ...figures(3, 2) },
      ],
    }),
    getAdoptionCsv: jest.fn().mockResolvedValue('entityRef\n'),
    listInitiatives: jest.fn().mockResolvedValue([]),
    getInitiative: jest.fn(),
  };
}

// A whole page with charts: slow on a busy machine.
jest.setTimeout(30_000);

describe('AdoptionPage', () => {
  it('shows the headlines, the roll-up with teams under their department, the services with enrolment links, and narrows the view to a team', async () => {
    const mock = api();
    await renderInTestApp(<AdoptionPage />, {
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
      apis: [
        [immutableInfraApiRef, mock],
        [catalogApiRef, catalogApiMock()],
        mockApis.permission({ authorize: AuthorizeResult.ALLOW }),
      ],
    });
    expect(
      await screen.findByText('Snapshot of 2026-12-03'),
    ).toBeInTheDocument();
    expect(screen.getByLabelText('Services enrolled')).toHaveTextContent(
      '2 of 3',
    );
    // Enrolment by lifecycle and by type.
    expect(screen.getByText('67% · production 2/3')).toBeInTheDocument();
    expect(screen.getByText('service 2/3')).toBeInTheDocument();
    expect(
      screen.getByLabelText('Instances on their channel image'),
    ).toHaveTextContent('80%');
    expect(screen.getByLabelText('Lead time to production')).toHaveTextContent(
      '30 h',
    );
    expect(screen.getByLabelText('Drift lifetime')).toHaveTextContent(
      '15 min median',
    );
    expect(
      screen.getByText('p95 24 h · findings gone in the last 30 days'),
    ).toBeInTheDocument();
    expect(screen.getByLabelText('Erased automatically')).toHaveTextContent(
      '75%',
    );
    expect(screen.getByLabelText('Rollout failure rate')).toHaveTextContent(
      '25%',
    );
    expect(
      screen.getByLabelText('Time to replace a revoked image'),
    ).toHaveTextContent('5 h');
    expect(
      await screen.findByLabelText('Services enrolled, last 2 days'),
    ).toBeInTheDocument();

    const services = screen.getByLabelText('services');
    expect(within(services).getByText('gold (95)')).toBeInTheDocument();
    expect(within(services).getByText('40 d (policy 30)')).toBeInTheDocument();
    expect(
      within(services).getByText('Not enrolled: enroll').closest('a'),
    ).toHaveAttribute('href', enrolmentLink('component:default/legacy'));
    // With the manage permission, a new initiative can be set.
    await waitFor(() =>
      expect(screen.getByText('New initiative')).toBeInTheDocument(),
    );

    fireEvent.click(
      screen.getByRole('button', {
        name: 'Show the services of group:default/payments',
      }),
    );
    await waitFor(() =>
      expect(mock.getAdoption).toHaveBeenLastCalledWith(
        expect.objectContaining({ owner: ['group:default/payments'] }),
      ),
    );
    expect(mock.getAdoptionHistory).toHaveBeenLastCalledWith(
      expect.objectContaining({ owner: ['group:default/payments'], days: 90 }),
    );
    expect(
      screen.getByText('Owner: group:default/payments'),
    ).toBeInTheDocument();
  });

  it('reads its view from the URL and drops values the API would refuse', async () => {
    const mock = api();
    await renderInTestApp(<AdoptionPage />, {
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
      initialRouteEntries: [
        '/?owner=group:default/payments&level=gold,platinum&enrolled=false&sort=password&limit=9999',
      ],
      apis: [
        [immutableInfraApiRef, mock],
        [catalogApiRef, catalogApiMock()],
        mockApis.permission({ authorize: AuthorizeResult.ALLOW }),
      ],
    });
    await screen.findByText('Snapshot of 2026-12-03');
    expect(mock.getAdoption).toHaveBeenCalledWith(
      expect.objectContaining({
        owner: ['group:default/payments'],
        level: ['gold'],
        enrolled: false,
        sort: undefined,
        limit: undefined,
      }),
    );
  });

  it('says so before the first snapshot', async () => {
    const mock = api();
    mock.getAdoption.mockResolvedValueOnce({ ...ADOPTION, day: undefined });
    await renderInTestApp(<AdoptionPage />, {
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
      apis: [
        [immutableInfraApiRef, mock],
        [catalogApiRef, catalogApiMock()],
        mockApis.permission(),
      ],
    });
    expect(await screen.findByText('No snapshot yet')).toBeInTheDocument();
  });
});
