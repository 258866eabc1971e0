import { ResponseErrorPanel } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import { Page, PagedList } from './usePagedList';

/**
 * The "load more" of a paged list: the button while the backend has more,
 * and why the last attempt failed, if it did (clicking again retries).
 */
export function LoadMore<P extends Page>(props: {
  list: PagedList<P>;
  label?: string;
}) {
  const { hasMore, loadMore, loadingMore, loadMoreError } = props.list;
  if (!hasMore && !loadMoreError) {
    return null;
  }
  return (
    <Box mt={1}>
      {loadMoreError && (
        <ResponseErrorPanel
          error={loadMoreError}
          title={`Could not load more: ${loadMoreError.message}`}
        />
      )}
      {hasMore && (
        <Button disabled={loadingMore} onClick={loadMore}>
          {loadingMore ? 'Loading…' : props.label ?? 'Load more'}
        </Button>
      )}
    </Box>
  );
}
