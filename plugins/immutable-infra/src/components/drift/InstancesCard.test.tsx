import { renderInTestApp } from '@backstage/frontend-test-utils';
import { InstancePage } from '@immutable-infra/backstage-plugin-common';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { PagedList } from '../shared';
import { InstancesCard } from './InstancesCard';

const page: InstancePage = {
  total: 30,
  nextCursor: 'next',
  items: [
    {
      instanceId: 'i-0123456789abcdef0',
      region: 'ap-southeast-2',
      imageId: 'ami-0123456789abcdef0',
      sshExposure: 'none',
      rules: ['unregistered-image', 'ssh-key'],
      firstSeenAt: new Date().toISOString(),
      lastSeenAt: new Date().toISOString(),
    },
  ],
};

function list(
  extra: Partial<PagedList<InstancePage>>,
): PagedList<InstancePage> {
  return {
    value: page.items,
    lastPage: page,
    loading: false,
    retry: jest.fn(),
    hasMore: true,
    loadMore: jest.fn(),
    loadingMore: false,
    ...extra,
  };
}

describe('InstancesCard', () => {
  it('lists instances with their drift, and the total', async () => {
    await renderInTestApp(<InstancesCard instances={list({})} />);
    expect(screen.getByText('Instances (30)')).toBeInTheDocument();
    const table = screen.getByRole('table', { name: 'instances' });
    expect(within(table).getByText('i-0123456789abcdef0')).toHaveAttribute(
      'title',
      'i-0123456789abcdef0',
    );
    expect(within(table).getByText('untagged')).toBeInTheDocument();
    expect(within(table).getByText('unregistered')).toBeInTheDocument();
    expect(within(table).getByText('ssh-key')).toBeInTheDocument();
  });

  it('loads more, and shows why it could not', async () => {
    const loadMore = jest.fn();
    await renderInTestApp(
      <InstancesCard
        instances={list({ loadMore, loadMoreError: new Error('500 oops') })}
      />,
    );
    expect(
      screen.getByText(/Could not load more: 500 oops/),
    ).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Load more' }));
    expect(loadMore).toHaveBeenCalled();
  });

  it('shows a failed first page', async () => {
    await renderInTestApp(
      <InstancesCard
        instances={list({
          value: undefined,
          lastPage: undefined,
          hasMore: false,
          error: new Error('403 Forbidden'),
        })}
      />,
    );
    expect(screen.getAllByText(/403 Forbidden/).length).toBeGreaterThan(0);
  });
});
