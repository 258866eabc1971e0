import { renderInTestApp } from '@backstage/frontend-test-utils';
import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Page, PagedList } from './usePagedList';
import { LoadMore } from './LoadMore';

function list(extra: Partial<PagedList<Page>>): PagedList<Page> {
  return {
    value: ['a'],
    loading: false,
    retry: jest.fn(),
    hasMore: true,
    loadMore: jest.fn(),
    loadingMore: false,
    ...extra,
  };
}

describe('LoadMore', () => {
  it('loads the next page while there is one', async () => {
    const loadMore = jest.fn();
    await renderInTestApp(<LoadMore list={list({ loadMore })} />);
    await userEvent.click(screen.getByRole('button', { name: 'Load more' }));
    expect(loadMore).toHaveBeenCalled();
  });

  it('shows why the last page could not be loaded, and lets the user retry', async () => {
    await renderInTestApp(
      <LoadMore
        list={list({ loadMoreError: new Error('502 Bad Gateway') })}
        label="Load older versions"
      />,
    );
    expect(
      screen.getByText(/Could not load more: 502 Bad Gateway/),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Load older versions' }),
    ).toBeEnabled();
  });

  it('is busy while loading, and gone at the end of the list', async () => {
    const { unmount } = await renderInTestApp(
      <LoadMore list={list({ loadingMore: true })} />,
    );
    expect(screen.getByRole('button', { name: 'Loading…' })).toBeDisabled();
    unmount();
    await renderInTestApp(<LoadMore list={list({ hasMore: false })} />);
    expect(screen.queryByRole('button')).not.toBeInTheDocument();
  });
});
