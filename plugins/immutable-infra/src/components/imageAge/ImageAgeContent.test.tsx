import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  daysAgo,
  fakeApi,
  render,
  versionRow,
} from './__testUtils__/imageAgeFixtures';

// The whole tab, with four core-components tables, renders in each test:
// more than jest's default 5 s on a busy machine.
jest.setTimeout(20_000);

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

  it('marks stale image ages with the age of the inventory and the error', async () => {
    const api = fakeApi();
    const fresh = await api.getImageAge!();
    api.getImageAge!.mockResolvedValue({
      ...fresh,
      sync: {
        status: 'failed',
        stale: true,
        lastAttemptAt: daysAgo(0),
        lastSuccessAt: daysAgo(3),
        error: 'UnauthorizedOperation: ec2:DescribeInstances',
      },
    });
    await render(api);
    expect(
      await screen.findByText(
        'Error: This inventory is stale: the last sync failed',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'UnauthorizedOperation: ec2:DescribeInstances The figures shown are from the sync 3 days ago.',
      ),
    ).toBeInTheDocument();
  });

  it('puts no mark on image ages from a fresh inventory', async () => {
    await render(fakeApi());
    await screen.findByRole('table', { name: 'image age per environment' });
    expect(screen.queryByText(/last sync failed/)).not.toBeInTheDocument();
  });

  it('asks for the fleet age and the channels with the versions, not after them', async () => {
    const api = fakeApi();
    // The versions never answer: the rest is asked for and shown anyway.
    api.listEntityImages!.mockReturnValue(new Promise(() => {}));
    await render(api);
    expect(
      await screen.findByRole('table', { name: 'image age per environment' }),
    ).toBeInTheDocument();
    expect(api.getImageAge).toHaveBeenCalledTimes(1);
    expect(api.listChannels).toHaveBeenCalledWith('payments-api');
    expect(api.getChannelHistory).toHaveBeenCalled();
    expect(
      screen.queryByRole('table', { name: 'image versions' }),
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
