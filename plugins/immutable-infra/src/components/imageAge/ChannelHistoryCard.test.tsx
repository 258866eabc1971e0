import { renderInTestApp } from '@backstage/frontend-test-utils';
import { ChannelHistoryPage } from '@immutable-infra/backstage-plugin-common';
import { screen, within } from '@testing-library/react';
import { PagedList } from '../shared';
import { ChannelHistoryCard } from './ChannelHistoryCard';

function list(
  extra: Partial<PagedList<ChannelHistoryPage>>,
): PagedList<ChannelHistoryPage> {
  return {
    loading: false,
    retry: jest.fn(),
    hasMore: false,
    loadMore: jest.fn(),
    loadingMore: false,
    ...extra,
  };
}

describe('ChannelHistoryCard', () => {
  it('lists assignments and rollbacks with who and why', async () => {
    await renderInTestApp(
      <ChannelHistoryCard
        history={list({
          value: [
            {
              id: '2',
              channel: 'production',
              from: 'app@2',
              to: 'app@1',
              actor: 'user:default/grace',
              kind: 'rollback',
              reason: 'p99 latency doubled',
              at: new Date().toISOString(),
            },
          ],
        })}
      />,
    );
    const table = screen.getByRole('table', { name: 'channel history' });
    const change = within(table).getByText('app@2 → app@1');
    expect(
      within(change.closest('td')!).getByText('rolled back'),
    ).toBeInTheDocument();
    expect(within(table).getByText('p99 latency doubled')).toBeInTheDocument();
  });

  it('says when nothing was assigned, and shows a failed "load more"', async () => {
    await renderInTestApp(
      <ChannelHistoryCard
        history={list({
          value: [],
          hasMore: true,
          loadMoreError: new Error('504 Gateway Timeout'),
        })}
      />,
    );
    expect(
      screen.getByText('No channel has been assigned yet.'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/Could not load more: 504 Gateway Timeout/),
    ).toBeInTheDocument();
  });
});
