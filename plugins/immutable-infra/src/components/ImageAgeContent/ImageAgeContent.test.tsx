import { Entity } from '@backstage/catalog-model';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  ImageVersion,
  ImmutableInfraApi,
} from '@immutable-infra/backstage-plugin-common';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { immutableInfraApiRef } from '../../api';
import { ImageAgeContent } from './ImageAgeContent';

// The whole tab, with four core-components tables, renders in each test:
// more than jest's default 5 s on a busy machine.
jest.setTimeout(20_000);

const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'payments-api',
    namespace: 'default',
    annotations: { 'immutable-infra.io/image-family': 'payments-api' },
  },
  spec: {},
};

const daysAgo = (days: number) =>
  new Date(Date.now() - days * 86_400_000).toISOString();

function version(n: number, extra: Partial<ImageVersion> = {}): ImageVersion {
  return {
    id: `payments-api@${n}`,
    family: 'payments-api',
    version: n,
    fingerprint: `abcdef${n}`,
    digest: `${n}`.repeat(64).slice(0, 64),
    gitCommit: `abcdef${n}000`,
    gitRepo: 'https://git.example.com/payments',
    buildUrl: `https://ci.example.com/${n}`,
    source: 'registered',
    state: 'active',
    createdAt: daysAgo(30 - n),
    artifacts: [{ provider: 'aws', region: 'us-east-1', imageId: `ami-0${n}` }],
    channels: [],
    ...extra,
  };
}

type FakeApi = { [K in keyof ImmutableInfraApi]?: jest.Mock };

function fakeApi(): FakeApi {
  return {
    listEntityImages: jest.fn().mockResolvedValue({
      family: 'payments-api',
      items: [
        version(3, { channels: ['latest', 'staging'] }),
        version(2, {
          channels: ['production'],
          ancestry: {
            status: 'out-of-date',
            detail: 'built on base@1; base@2 is newer',
          },
        }),
        version(1, {
          state: 'revoked',
          revokeReason: 'CVE-2026-1',
          revokedBy: 'user:default/ada',
        }),
      ],
      nextCursor: undefined,
    }),
    listChannels: jest.fn().mockResolvedValue([
      { name: 'latest', managed: true, version: 'payments-api@3' },
      {
        name: 'production',
        managed: false,
        version: 'payments-api@2',
        updatedAt: daysAgo(1),
        updatedBy: 'user:default/grace',
      },
      {
        name: 'staging',
        managed: false,
        version: 'payments-api@3',
        updatedAt: daysAgo(1),
        updatedBy: 'user:default/grace',
      },
    ]),
    getChannelHistory: jest.fn().mockResolvedValue({
      items: [
        {
          id: '2',
          channel: 'production',
          from: 'payments-api@1',
          to: 'payments-api@2',
          actor: 'user:default/grace',
          kind: 'assign',
          at: daysAgo(1),
        },
        {
          id: '1',
          channel: 'production',
          to: 'payments-api@1',
          actor: 'user:default/grace',
          kind: 'assign',
          at: daysAgo(20),
        },
      ],
    }),
    revokeImage: jest
      .fn()
      .mockResolvedValue({ changed: [version(3, { state: 'revoked' })] }),
    restoreImage: jest.fn().mockResolvedValue({ changed: [version(1)] }),
    getImageAge: jest.fn().mockResolvedValue({
      entityRef: 'component:default/payments-api',
      policyDays: 30,
      environments: [
        {
          environment: 'staging',
          instances: 2,
          medianDays: 3,
          p95Days: 3,
          maxDays: 3,
          policyDays: 30,
          withinPolicy: true,
        },
        {
          environment: 'production',
          instances: 3,
          medianDays: 42,
          p95Days: 42,
          maxDays: 42,
          policyDays: 30,
          withinPolicy: false,
        },
      ],
      versionsInUse: [
        {
          imageId: 'ami-02',
          version: 'payments-api@2',
          ageDays: 42,
          instances: 3,
        },
      ],
    }),
    rollbackChannel: jest.fn().mockResolvedValue({
      changed: true,
      channel: {
        name: 'production',
        managed: false,
        version: 'payments-api@1',
      },
    }),
  };
}

function render(api: FakeApi, allowed = true) {
  // Permission answers are cached per entity: a denied user sees another one.
  const shown = allowed
    ? entity
    : {
        ...entity,
        metadata: { ...entity.metadata, name: 'payments-api-denied' },
      };
  return renderInTestApp(
    <EntityProvider entity={shown}>
      <ImageAgeContent />
    </EntityProvider>,
    {
      apis: [
        [immutableInfraApiRef, api],
        mockApis.permission({
          authorize: allowed ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
        }),
      ],
    },
  );
}

/** A version's row in the versions table. */
async function versionRow(n: number): Promise<HTMLElement> {
  const cell = await screen.findByText(`v${n}`, { exact: true });
  return cell.closest('tr')!;
}

describe('ImageAgeContent', () => {
  it('shows versions with age, commit, build, digest, state, channels and ancestry', async () => {
    await render(fakeApi());
    const row = await versionRow(2);
    expect(within(row).getByText('v2')).toBeInTheDocument();
    expect(within(row).getByText('28 days ago')).toBeInTheDocument();
    expect(within(row).getByRole('link', { name: /abcdef2/ })).toHaveAttribute(
      'href',
      'https://git.example.com/payments/commit/abcdef2000',
    );
    expect(within(row).getByRole('link', { name: /build/ })).toHaveAttribute(
      'href',
      'https://ci.example.com/2',
    );
    expect(within(row).getByText('222222222222')).toBeInTheDocument();
    expect(within(row).getByText('production')).toBeInTheDocument();
    expect(within(row).getByText('out-of-date')).toBeInTheDocument();
    expect(
      within(await versionRow(1)).getByText('revoked'),
    ).toBeInTheDocument();
    expect(within(await versionRow(3)).getByText('latest')).toBeInTheDocument();
    // Channel history
    expect(
      screen.getByText('payments-api@1 → payments-api@2'),
    ).toBeInTheDocument();
  });

  it('revokes with a required reason and descendants, then reloads', async () => {
    const api = fakeApi();
    await render(api);
    const row = await versionRow(3);
    await userEvent.click(within(row).getByRole('button', { name: 'Revoke' }));
    const dialog = await screen.findByRole('dialog');
    const confirm = within(dialog).getByRole('button', { name: 'Revoke' });
    expect(confirm).toBeDisabled();
    await userEvent.type(
      within(dialog).getByLabelText('Reason (required)'),
      'CVE-2026-9',
    );
    await userEvent.click(within(dialog).getByRole('checkbox'));
    await userEvent.click(confirm);
    await waitFor(() =>
      expect(api.revokeImage).toHaveBeenCalledWith('payments-api@3', {
        reason: 'CVE-2026-9',
        descendants: true,
      }),
    );
    await waitFor(() => expect(api.listEntityImages).toHaveBeenCalledTimes(2));
  });

  it('keeps the dialog open with the backend message when revoking fails', async () => {
    const api = fakeApi();
    api.revokeImage!.mockRejectedValue(
      Object.assign(new Error('Request failed with 403 Forbidden'), {
        cause: { message: 'You may not revoke images of payments-api' },
      }),
    );
    await render(api);
    await userEvent.click(
      within(await versionRow(3)).getByRole('button', {
        name: 'Revoke',
      }),
    );
    const dialog = await screen.findByRole('dialog');
    await userEvent.type(
      within(dialog).getByLabelText('Reason (required)'),
      'x',
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Revoke' }),
    );
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(
      'You may not revoke images of payments-api',
    );
  });

  it('restores a revoked version and rolls a channel back', async () => {
    const api = fakeApi();
    await render(api);
    await userEvent.click(
      within(await versionRow(1)).getByRole('button', {
        name: 'Restore',
      }),
    );
    await userEvent.click(
      within(await screen.findByRole('dialog')).getByRole('button', {
        name: 'Restore',
      }),
    );
    await waitFor(() =>
      expect(api.restoreImage).toHaveBeenCalledWith('payments-api@1', {
        reason: undefined,
        descendants: false,
      }),
    );
    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );

    await userEvent.click(
      screen.getByRole('button', { name: 'Roll back to payments-api@1' }),
    );
    await userEvent.click(
      within(await screen.findByRole('dialog')).getByRole('button', {
        name: 'Roll back',
      }),
    );
    await waitFor(() =>
      expect(api.rollbackChannel).toHaveBeenCalledWith(
        'payments-api',
        'production',
        { reason: undefined },
      ),
    );
  });

  it('hides revoke, restore and rollback from users without permission', async () => {
    await render(fakeApi(), false);
    await versionRow(3);
    expect(
      screen.queryByRole('button', { name: 'Revoke' }),
    ).not.toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Restore' }),
    ).not.toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: /Roll back/ }),
    ).not.toBeInTheDocument();
  });

  it('explains how versions arrive when there are none, and shows errors', async () => {
    const api = fakeApi();
    api.listEntityImages!.mockResolvedValue({
      family: 'payments-api',
      items: [],
    });
    await render(api);
    expect(
      await screen.findByText('No versions of payments-api yet'),
    ).toBeInTheDocument();
  });

  it('shows a backend error', async () => {
    const api = fakeApi();
    api.listEntityImages!.mockRejectedValue(
      new Error(
        'Entity component:default/payments-api has malformed annotations',
      ),
    );
    await render(api);
    expect(
      (await screen.findAllByText(/malformed annotations/))[0],
    ).toBeInTheDocument();
  });
});
