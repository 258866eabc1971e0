import { Entity } from '@backstage/catalog-model';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { DriftResponse } from '@immutable-infra/backstage-plugin-common';
import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { SWRConfig } from 'swr';
import { immutableInfraApiRef } from '../../api';
import { DriftContent } from './DriftContent';
import { DRIFT_REFRESH_MS } from './useDrift';

const entity = (name: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name,
    namespace: 'default',
    annotations: { 'immutable-infra.io/image-family': name },
  },
  spec: {},
});

const drift = (extra: Partial<DriftResponse> = {}): DriftResponse => ({
  entityRef: 'component:default/ledger-worker',
  counts: { critical: 2, high: 0, medium: 0, low: 0 },
  groups: [
    {
      rootCause: 'revoked-image:ledger-worker@3',
      rule: 'revoked-image',
      severity: 'critical',
      summary: '2 instances run the revoked ledger-worker@3',
      fix: 'Replace the instances running ledger-worker@3 with the channel image.',
      count: 2,
      instanceIds: ['i-1', 'i-2'],
      findings: ['i-1', 'i-2'].map(id => ({
        rule: 'revoked-image' as const,
        severity: 'critical' as const,
        instanceId: id,
        environment: 'production',
        detail: `${id} runs ami-3 (ledger-worker@3, revoked 2 days ago: CVE-1); the production channel is ledger-worker@2.`,
        fix: 'Replace',
        rootCause: 'revoked-image:ledger-worker@3',
      })),
    },
  ],
  sync: { status: 'ok', stale: false, lastSuccessAt: new Date().toISOString() },
  ...extra,
});

function api(response: DriftResponse) {
  return {
    getDrift: jest.fn().mockResolvedValue(response),
    listInstances: jest.fn().mockResolvedValue({
      total: 2,
      items: ['i-1', 'i-2'].map(id => ({
        instanceId: id,
        environment: 'production',
        region: 'us-east-1',
        imageId: 'ami-3',
        version: 'ledger-worker@3',
        sshExposure: 'none',
        rules: ['revoked-image'],
        firstSeenAt: new Date().toISOString(),
        lastSeenAt: new Date().toISOString(),
      })),
    }),
    createRollout: jest
      .fn()
      .mockRejectedValue(new Error('no production fleet to replace')),
    syncFleet: jest.fn().mockResolvedValue({
      synced: [
        {
          entityRef: 'component:default/ledger-worker',
          status: 'ok',
          instances: 2,
        },
      ],
    }),
  };
}

function render(name: string, fake: ReturnType<typeof api>, allowed = true) {
  // A fresh permission cache per test, so each sees its own answer.
  return renderInTestApp(
    <SWRConfig value={{ provider: () => new Map() }}>
      <EntityProvider entity={entity(name)}>
        <DriftContent />
      </EntityProvider>
    </SWRConfig>,
    {
      apis: [
        [immutableInfraApiRef, fake],
        mockApis.permission({
          authorize: allowed ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
        }),
      ],
    },
  );
}

describe('DriftContent', () => {
  it("shows each group's age and the service's drift lifetime", async () => {
    const threeDaysAgo = new Date(Date.now() - 3 * 86_400_000 - 60_000);
    const response = drift({
      lifetime: {
        open: 2,
        oldestOpenSince: threeDaysAgo.toISOString(),
        windows: [
          {
            days: 30,
            gone: 4,
            p50Seconds: 720,
            p95Seconds: 10_800,
            erasedAutomatically: 3,
          },
          {
            days: 90,
            gone: 4,
            p50Seconds: 720,
            p95Seconds: 10_800,
            erasedAutomatically: 3,
          },
        ],
      },
    });
    response.groups[0].firstSeenAt = threeDaysAgo.toISOString();
    await render('ledger-worker', api(response));
    expect(await screen.findByText('found 3 days ago')).toBeInTheDocument();
    expect(
      screen.getByText(
        /Drift lifetime: 30 days, 4 gone, median 12 min, p95 3 h, 3 erased automatically/,
      ),
    ).toBeInTheDocument();
    // The first render of the file loads the app: more than the default.
  }, 20_000);

  it("shows the remediation policy, each group's mode and its automatic rollout or stop", async () => {
    const response = drift({
      remediation: {
        policy: { mode: 'auto', targets: ['revoked-image'], maxPerDay: 5 },
        source: 'annotation',
        summary: 'automatic (revoked-image), at most 5 a day',
        startedToday: 1,
      },
    });
    response.groups[0].remediation = {
      mode: 'automatic',
      rollout: {
        id: 'r-1',
        environment: 'production',
        state: 'running',
        startedAt: new Date().toISOString(),
      },
    };
    response.groups.push({
      ...response.groups[0],
      rootCause: 'ssh-open:world',
      rule: 'ssh-open',
      summary: '1 instance allows SSH from the whole internet',
      remediation: {
        mode: 'stopped',
        stopped: {
          at: new Date().toISOString(),
          reason:
            'ssh-open:world came back after 2 automatic replacements within a day (r-1, r-2): drift that replacement cannot fix',
          likelySource: 'a security group the fleet shares',
          rolloutIds: ['r-1', 'r-2'],
        },
      },
    });
    await render('ledger-worker', api(response));
    expect(
      await screen.findByText(
        /Remediation policy: automatic \(revoked-image\), at most 5 a day \(immutable-infra.io\/remediation\)\. 1 automatic rollout in the last day\./,
      ),
    ).toBeInTheDocument();
    expect(screen.getByText('automatic')).toBeInTheDocument();
    expect(screen.getByText('replacement cannot fix')).toBeInTheDocument();
    // A group's details render once it is open.
    await userEvent.click(
      screen.getByText('2 instances run the revoked ledger-worker@3'),
    );
    expect(
      await screen.findByText(/Automatic rollout r-1 in production: running/),
    ).toBeInTheDocument();
    await userEvent.click(
      screen.getByText('1 instance allows SSH from the whole internet'),
    );
    expect(
      await screen.findByText(
        /Likely source: a security group the fleet shares/,
      ),
    ).toBeInTheDocument();
  });

  it('shows no age where the syncs have not recorded one', async () => {
    await render('ledger-worker', api(drift()));
    await screen.findByText('2 instances run the revoked ledger-worker@3');
    expect(screen.queryByText(/^found /)).not.toBeInTheDocument();
    expect(screen.queryByText(/Drift lifetime/)).not.toBeInTheDocument();
  });

  it('shows findings grouped by root cause, with the fix and the instances behind them', async () => {
    await render('ledger-worker', api(drift()));
    expect(
      await screen.findByText('2 instances run the revoked ledger-worker@3'),
    ).toBeInTheDocument();
    expect(screen.getByText('2 critical')).toBeInTheDocument();
    await userEvent.click(
      screen.getByText('2 instances run the revoked ledger-worker@3'),
    );
    expect(
      await screen.findByText(
        /i-1 runs ami-3 \(ledger-worker@3, revoked 2 days ago: CVE-1\)/,
      ),
    ).toBeInTheDocument();
    const table = screen.getByRole('table', { name: 'instances' });
    expect(within(table).getAllByText('revoked-image')).toHaveLength(2);
  });

  it('warns that the inventory is stale when the last sync failed', async () => {
    await render(
      'stale-one',
      api(
        drift({
          sync: {
            status: 'failed',
            stale: true,
            error:
              'AccessDenied: not authorized to perform ec2:DescribeInstances.',
            lastSuccessAt: new Date(Date.now() - 3 * 86_400_000).toISOString(),
          },
        }),
      ),
    );
    expect(
      await screen.findByText(/This inventory is stale: the last sync failed/),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/AccessDenied.*from the sync 3 days ago/),
    ).toBeInTheDocument();
  });

  it('syncs now when permitted, and hides the button otherwise', async () => {
    const fake = api(drift());
    await render('syncable', fake);
    await userEvent.click(
      await screen.findByRole('button', { name: 'Sync now' }),
    );
    await waitFor(() =>
      expect(fake.syncFleet).toHaveBeenCalledWith({
        entityRef: 'component:default/syncable',
      }),
    );
    await waitFor(() => expect(fake.getDrift).toHaveBeenCalledTimes(2));
  });

  it('reads the drift again every few seconds: a finding erased meanwhile goes without a reload', async () => {
    jest.useFakeTimers({ advanceTimers: true });
    try {
      const fake = api(drift());
      fake.getDrift.mockResolvedValueOnce(drift()).mockResolvedValue(
        drift({
          groups: [],
          counts: { critical: 0, high: 0, medium: 0, low: 0 },
        }),
      );
      await render('followed', fake);
      expect(
        await screen.findByText('2 instances run the revoked ledger-worker@3'),
      ).toBeInTheDocument();
      expect(fake.getDrift).toHaveBeenCalledTimes(1);
      await act(async () => {
        jest.advanceTimersByTime(DRIFT_REFRESH_MS);
      });
      await waitFor(() =>
        expect(
          screen.queryByText('2 instances run the revoked ledger-worker@3'),
        ).toBeNull(),
      );
      expect(fake.getDrift).toHaveBeenCalledTimes(2);
    } finally {
      jest.useRealTimers();
    }
  });

  it('reads the instances again when the drift it reads again comes from a newer sync', async () => {
    jest.useFakeTimers({ advanceTimers: true });
    try {
      const synced = (at: number) => ({
        status: 'ok' as const,
        stale: false,
        lastAttemptAt: new Date(at).toISOString(),
        lastSuccessAt: new Date(at).toISOString(),
      });
      const fake = api(drift({ sync: synced(Date.now() - 60_000) }));
      fake.getDrift
        .mockResolvedValueOnce(drift({ sync: synced(Date.now() - 60_000) }))
        // The same sync: the instances stay as read.
        .mockResolvedValueOnce(drift({ sync: synced(Date.now() - 60_000) }))
        .mockResolvedValue(drift({ sync: synced(Date.now()) }));
      await render('followed-instances', fake);
      const table = await screen.findByRole('table', { name: 'instances' });
      await within(table).findByText('i-1');
      expect(fake.listInstances).toHaveBeenCalledTimes(1);
      await act(async () => {
        jest.advanceTimersByTime(DRIFT_REFRESH_MS);
      });
      await waitFor(() => expect(fake.getDrift).toHaveBeenCalledTimes(2));
      expect(fake.listInstances).toHaveBeenCalledTimes(1);

      fake.listInstances.mockResolvedValue({
        total: 1,
        items: [
          {
            instanceId: 'i-9',
            environment: 'production',
            region: 'us-east-1',
            imageId: 'ami-2',
            version: 'ledger-worker@2',
            sshExposure: 'none',
            rules: [],
            firstSeenAt: new Date().toISOString(),
            lastSeenAt: new Date().toISOString(),
          },
        ],
      });
      await act(async () => {
        jest.advanceTimersByTime(DRIFT_REFRESH_MS);
      });
      await waitFor(() => expect(fake.listInstances).toHaveBeenCalledTimes(2));
      expect(
        await within(
          screen.getByRole('table', { name: 'instances' }),
        ).findByText('i-9'),
      ).toBeInTheDocument();
    } finally {
      jest.useRealTimers();
    }
  });

  it('hides the sync button without permission', async () => {
    await render('not-syncable', api(drift()), false);
    await screen.findByText('2 instances run the revoked ledger-worker@3');
    expect(
      screen.queryByRole('button', { name: 'Sync now' }),
    ).not.toBeInTheDocument();
  });

  it('shows a verified rule with its fix, and offers no replacement for what could not be verified', async () => {
    const finding = (id: string, rootCause: string, detail: string) => ({
      rule: 'logs-not-shipped' as const,
      severity: 'high' as const,
      instanceId: id,
      environment: 'production',
      detail,
      fix: 'fix',
      rootCause,
    });
    const fake = api(
      drift({
        counts: { critical: 0, high: 2, medium: 0, low: 0 },
        groups: [
          {
            rootCause: 'logs-not-shipped:/app',
            rule: 'logs-not-shipped',
            severity: 'high',
            summary: '1 instance ships no logs to /app',
            fix: "Ship the instance's logs to /app.",
            count: 1,
            instanceIds: ['i-1'],
            findings: [
              finding(
                'i-1',
                'logs-not-shipped:/app',
                'i-1 has shipped no log event to /app in the last 6 hours: its logs die with it.',
              ),
            ],
          },
          {
            rootCause: 'logs-not-shipped:unverified:/app',
            rule: 'logs-not-shipped',
            severity: 'high',
            summary: '1 instance could not be checked for logs in /app',
            fix: "Let the plugin's AWS role call logs:DescribeLogStreams on /app; the next sync checks again.",
            count: 1,
            instanceIds: ['i-2'],
            findings: [
              finding(
                'i-2',
                'logs-not-shipped:unverified:/app',
                'Whether i-2 ships its logs to /app could not be verified: AccessDeniedException.',
              ),
            ],
          },
        ],
      }),
    );
    await render('logs', fake);
    await userEvent.click(
      await screen.findByText('1 instance ships no logs to /app'),
    );
    expect(
      await screen.findByText("Ship the instance's logs to /app."),
    ).toBeInTheDocument();
    expect(
      screen.getAllByRole('button', { name: 'Replace drifted (production)' }),
    ).toHaveLength(1);
    await userEvent.click(
      screen.getByText('1 instance could not be checked for logs in /app'),
    );
    expect(
      await screen.findByText(
        "Let the plugin's AWS role call logs:DescribeLogStreams on /app; the next sync checks again.",
      ),
    ).toBeInTheDocument();
    expect(
      screen.getAllByRole('button', { name: 'Replace drifted (production)' }),
    ).toHaveLength(1);
  });

  it('asks for the few findings a group shows, and counts and offers every environment of a large group', async () => {
    const listed = Array.from({ length: 20 }, (_, n) => `i-${n}`);
    const response = drift({
      counts: { critical: 5000, high: 0, medium: 0, low: 0 },
      groups: [
        {
          ...drift().groups[0],
          summary: '5000 instances run the revoked ledger-worker@3',
          count: 5000,
          instanceIds: listed,
          // Only production among the listed findings; staging's come later.
          findings: listed.map(id => ({
            ...drift().groups[0].findings[0],
            instanceId: id,
            detail: `${id} runs ami-3`,
          })),
          environments: ['production', 'staging'],
        },
      ],
    });
    const fake = api(response);
    await render('large-fleet', fake);
    await userEvent.click(
      await screen.findByText('5000 instances run the revoked ledger-worker@3'),
    );
    expect(await screen.findByText('and 4980 more')).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Replace drifted (staging)' }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Replace drifted (production)' }),
    ).toBeInTheDocument();
    expect(fake.getDrift).toHaveBeenCalledWith(
      { kind: 'Component', namespace: 'default', name: 'large-fleet' },
      undefined,
      { findingsPerGroup: 20 },
    );
  });

  it('offers to replace the drifted instances of a root cause, showing the plan first', async () => {
    const fake = api(drift());
    await render('replaceable', fake);
    await userEvent.click(
      await screen.findByText('2 instances run the revoked ledger-worker@3'),
    );
    await userEvent.click(
      await screen.findByRole('button', {
        name: 'Replace drifted (production)',
      }),
    );
    await waitFor(() =>
      expect(fake.createRollout).toHaveBeenCalledWith({
        entityRef: 'component:default/replaceable',
        environment: 'production',
        spec: {
          strategy: 'replaceDrifted',
          rootCause: 'revoked-image:ledger-worker@3',
        },
        dryRun: true,
      }),
    );
    expect(
      await screen.findByText('no production fleet to replace'),
    ).toBeInTheDocument();
  });
});
