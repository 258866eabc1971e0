import {
  DependencyList,
  useCallback,
  useEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import useMountedState from 'react-use/esm/useMountedState';

/** A page of a cursor-paged list, as the backend answers it. */
export type Page = { items: unknown[]; nextCursor?: string };

/**
 * A cursor-paged list, in the style of react-use's `useAsyncRetry`: `value`,
 * `loading`, `error` and `retry` for the first page, and `loadMore` with its
 * own `loadingMore` and `loadMoreError` for the pages after it.
 */
export type PagedList<P extends Page> = {
  /** Items of every page loaded so far; undefined until the first arrives. */
  value?: P['items'];
  /** The last page loaded, for what comes beside the items (a total). */
  lastPage?: P;
  /** The first page is loading: at first, after `retry`, or for new deps. */
  loading: boolean;
  /** Why the first page could not be loaded. */
  error?: Error;
  /** Loads the list again from its first page, keeping what is shown. */
  retry: () => void;
  /** The backend has more pages. */
  hasMore: boolean;
  /** Appends the next page. */
  loadMore: () => void;
  loadingMore: boolean;
  /** Why the last `loadMore` failed; the items loaded before stay. */
  loadMoreError?: Error;
};

type State<P> = {
  pages: P[];
  loading: boolean;
  error?: Error;
  loadingMore: boolean;
  loadMoreError?: Error;
};

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

/**
 * Loads a cursor-paged list: the first page when `deps` change, the next on
 * `loadMore`. Every failure, of the first page or of a later one, ends in the
 * state. Pass `undefined` as `fetchPage` while the list cannot be asked for
 * yet (e.g. before its family is known).
 */
export function usePagedList<P extends Page>(
  fetchPage: ((cursor: string | undefined) => Promise<P>) | undefined,
  deps: DependencyList,
): PagedList<P> {
  // The caller's deps identify the list, as with useAsyncRetry.
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const fetcher = useMemo(() => fetchPage, deps);
  const isMounted = useMountedState();
  // Answers for an older generation (before a retry or new deps) are dropped.
  const generation = useRef(0);
  // The generation whose next page is being loaded, against double clicks.
  const moreFor = useRef<number>();
  const [state, setState] = useState<State<P>>({
    pages: [],
    loading: Boolean(fetchPage),
    loadingMore: false,
  });

  const load = useCallback(
    async (keep: boolean) => {
      const current = ++generation.current;
      if (!fetcher) {
        setState({ pages: [], loading: false, loadingMore: false });
        return;
      }
      setState(s =>
        keep
          ? { ...s, loading: true, error: undefined, loadMoreError: undefined }
          : { pages: [], loading: true, loadingMore: false },
      );
      try {
        const page = await fetcher(undefined);
        if (isMounted() && current === generation.current) {
          setState({ pages: [page], loading: false, loadingMore: false });
        }
      } catch (e) {
        if (isMounted() && current === generation.current) {
          setState(s => ({
            ...s,
            loading: false,
            loadingMore: false,
            error: asError(e),
          }));
        }
      }
    },
    [fetcher, isMounted],
  );

  useEffect(() => {
    load(false);
  }, [load]);

  const retry = useCallback(() => {
    load(true);
  }, [load]);

  const cursor = state.pages[state.pages.length - 1]?.nextCursor;
  const loadNext = useCallback(async () => {
    const current = generation.current;
    if (!fetcher || !cursor || state.loading || moreFor.current === current) {
      return;
    }
    moreFor.current = current;
    setState(s => ({ ...s, loadingMore: true, loadMoreError: undefined }));
    try {
      const page = await fetcher(cursor);
      if (isMounted() && current === generation.current) {
        setState(s => ({
          ...s,
          pages: [...s.pages, page],
          loadingMore: false,
        }));
      }
    } catch (e) {
      if (isMounted() && current === generation.current) {
        setState(s => ({
          ...s,
          loadingMore: false,
          loadMoreError: asError(e),
        }));
      }
    } finally {
      if (moreFor.current === current) {
        moreFor.current = undefined;
      }
    }
  }, [fetcher, cursor, state.loading, isMounted]);

  const loadMore = useCallback(() => {
    loadNext();
  }, [loadNext]);

  const value = useMemo(
    () =>
      state.pages.length === 0
        ? undefined
        : (state.pages.flatMap(p => p.items) as P['items']),
    [state.pages],
  );

  // One object per state, so that memoised components skip re-renders.
  return useMemo(
    () => ({
      value,
      lastPage: state.pages[state.pages.length - 1],
      loading: state.loading,
      error: state.error,
      retry,
      hasMore: Boolean(cursor),
      loadMore,
      loadingMore: state.loadingMore,
      loadMoreError: state.loadMoreError,
    }),
    [value, state, cursor, retry, loadMore],
  );
}
