import { act, renderHook, waitFor } from '@testing-library/react';
import { usePagedList } from './usePagedList';

type Page = { items: string[]; nextCursor?: string };

function pages(answers: Record<string, Page | Error>) {
  return jest.fn(async (cursor: string | undefined) => {
    const answer = answers[cursor ?? 'first'];
    if (answer instanceof Error) {
      throw answer;
    }
    return answer;
  });
}

describe('usePagedList', () => {
  it('loads the first page, then appends the next ones', async () => {
    const fetchPage = pages({
      first: { items: ['a', 'b'], nextCursor: '2' },
      '2': { items: ['c'] },
    });
    const { result } = renderHook(() => usePagedList(fetchPage, []));
    expect(result.current.loading).toBe(true);
    await waitFor(() => expect(result.current.value).toEqual(['a', 'b']));
    expect(result.current.hasMore).toBe(true);

    act(() => {
      result.current.loadMore();
    });
    await waitFor(() => expect(result.current.value).toEqual(['a', 'b', 'c']));
    expect(result.current.hasMore).toBe(false);
    expect(fetchPage).toHaveBeenLastCalledWith('2');
  });

  it('reports a failed first page', async () => {
    const { result } = renderHook(() =>
      usePagedList(pages({ first: new Error('403 Forbidden') }), []),
    );
    await waitFor(() =>
      expect(result.current.error?.message).toBe('403 Forbidden'),
    );
    expect(result.current.loading).toBe(false);
    expect(result.current.value).toBeUndefined();
  });

  it('reports a failed "load more", keeps what was loaded, and loads on the next try', async () => {
    const answers: Record<string, Page | Error> = {
      first: { items: ['a'], nextCursor: '2' },
      '2': new Error('502 Bad Gateway'),
    };
    const { result } = renderHook(() => usePagedList(pages(answers), []));
    await waitFor(() => expect(result.current.value).toEqual(['a']));

    act(() => {
      result.current.loadMore();
    });
    await waitFor(() =>
      expect(result.current.loadMoreError?.message).toBe('502 Bad Gateway'),
    );
    expect(result.current.value).toEqual(['a']);
    expect(result.current.error).toBeUndefined();
    expect(result.current.hasMore).toBe(true);

    answers['2'] = { items: ['b'] };
    act(() => {
      result.current.loadMore();
    });
    await waitFor(() => expect(result.current.value).toEqual(['a', 'b']));
    expect(result.current.loadMoreError).toBeUndefined();
  });

  it('retries from the first page, keeping the items shown meanwhile', async () => {
    let version = 1;
    const fetchPage = jest.fn(async () => ({ items: [`v${version}`] }));
    const { result } = renderHook(() => usePagedList(fetchPage, []));
    await waitFor(() => expect(result.current.value).toEqual(['v1']));

    version = 2;
    act(() => {
      result.current.retry();
    });
    expect(result.current.loading).toBe(true);
    expect(result.current.value).toEqual(['v1']);
    await waitFor(() => expect(result.current.value).toEqual(['v2']));
  });

  it('drops a page that arrives after the list changed', async () => {
    let release: (page: Page) => void = () => {};
    const slow = new Promise<Page>(resolve => {
      release = resolve;
    });
    const { result, rerender } = renderHook(
      ({ family }: { family: string }) =>
        usePagedList(
          async () => (family === 'old' ? slow : { items: ['new'] }),
          [family],
        ),
      { initialProps: { family: 'old' } },
    );
    rerender({ family: 'new' });
    await waitFor(() => expect(result.current.value).toEqual(['new']));
    await act(async () => release({ items: ['old'] }));
    expect(result.current.value).toEqual(['new']);
  });

  it('asks for nothing while it cannot', async () => {
    const { result } = renderHook(() => usePagedList(undefined, []));
    expect(result.current.loading).toBe(false);
    expect(result.current.value).toBeUndefined();
    expect(result.current.hasMore).toBe(false);
  });
});
