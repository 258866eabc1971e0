import { renderInTestApp } from '@backstage/frontend-test-utils';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ChannelsCard } from './ChannelsCard';

const channels = [
  { name: 'latest', managed: true, version: 'app@3' },
  {
    name: 'production',
    managed: false,
    version: 'app@2',
    updatedAt: new Date(Date.now() - 86_400_000).toISOString(),
    updatedBy: 'user:default/grace',
  },
];

const history = [
  {
    id: '2',
    channel: 'production',
    from: 'app@1',
    to: 'app@2',
    actor: 'user:default/grace',
    kind: 'assign' as const,
    at: new Date().toISOString(),
  },
];

describe('ChannelsCard', () => {
  it('lists channels and rolls one back to its previous version', async () => {
    const onRollback = jest.fn();
    await renderInTestApp(
      <ChannelsCard
        channels={channels}
        loading={false}
        history={history}
        canAssign
        onRollback={onRollback}
      />,
    );
    const table = screen.getByRole('table', { name: 'channels' });
    expect(within(table).getByText('app@3')).toBeInTheDocument();
    expect(
      within(table).getByText('managed: newest active version'),
    ).toBeInTheDocument();
    expect(
      within(table).getByText('1 day ago by user:default/grace'),
    ).toBeInTheDocument();
    await userEvent.click(
      within(table).getByRole('button', { name: 'Roll back to app@1' }),
    );
    expect(onRollback).toHaveBeenCalledWith(
      expect.objectContaining({ name: 'production' }),
    );
  });

  it('offers no rollback without permission, and shows errors', async () => {
    const { unmount } = await renderInTestApp(
      <ChannelsCard
        channels={channels}
        loading={false}
        history={history}
        canAssign={false}
        onRollback={jest.fn()}
      />,
    );
    expect(screen.queryByRole('button')).not.toBeInTheDocument();
    unmount();
    await renderInTestApp(
      <ChannelsCard
        loading={false}
        error={new Error('channels unavailable')}
        history={[]}
        canAssign
        onRollback={jest.fn()}
      />,
    );
    expect(screen.getAllByText(/channels unavailable/).length).toBeGreaterThan(
      0,
    );
  });
});
