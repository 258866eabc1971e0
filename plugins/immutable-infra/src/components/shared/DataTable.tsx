import { Table, TableColumn } from '@backstage/core-components';
import { makeStyles } from '@material-ui/core/styles';
import {
  CSSProperties,
  memo,
  ReactNode,
  useMemo,
  useEffect,
  useLayoutEffect,
  useRef,
} from 'react';

const useStyles = makeStyles(theme => ({
  root: {
    // Compact cells, so that wide tables fit a 1280 px screen. The theme
    // lets cells break inside words, which squeezed columns did ("Weigh t"):
    // here words stay whole, headers on one line, and long ids truncate
    // (TruncatedText) instead.
    '& th, & td': {
      padding: theme.spacing(0.75),
      wordBreak: 'normal',
    },
    '& th:first-child, & td:first-child': {
      paddingLeft: theme.spacing(2),
    },
    '& th': {
      whiteSpace: 'nowrap',
    },
  },
}));

// The table sits in an InfoCard: no second paper around it.
function Container(props: { children?: ReactNode; style?: CSSProperties }) {
  return <div style={props.style}>{props.children}</div>;
}

/** Keeps a column's text on one line, e.g. `ledger-worker@3`. */
export const NO_WRAP = { whiteSpace: 'nowrap' } as const;

/** Props of {@link DataTable}. */
export type DataTableProps<T extends object> = {
  /** The table's accessible name. */
  label: string;
  /** Keep the array stable (useMemo): a new one resets sorting and paging. */
  columns: TableColumn<T>[];
  data: T[];
  /**
   * For lists that grow: rows per page, and columns sortable. The pager
   * shows once there are more rows. Lists that load more pages from the
   * backend use the backend's page size, so each "load more" adds a page of
   * the table, which is then shown. Short fixed lists leave it out.
   */
  pageSize?: number;
  /** Shown instead of rows when there are none. */
  emptyContent?: ReactNode;
};

type MaterialTableInstance = {
  onPageChange?: (event: unknown, page: number) => void;
};

function DataTableImpl<T extends object>(props: DataTableProps<T>) {
  const { label, columns, data, pageSize, emptyContent } = props;
  const classes = useStyles();
  const root = useRef<HTMLDivElement>(null);
  const table = useRef<MaterialTableInstance>();
  const sorted = useRef(false);
  const shown = useRef(data.length);
  const paging = pageSize !== undefined && data.length > pageSize;
  // Columns as wide as their content (material-table would otherwise give
  // each an equal share), unless a column says otherwise.
  const autoColumns = useMemo(
    () => columns.map(column => ({ width: 'auto', ...column })),
    [columns],
  );

  // material-table renders the <table> itself and takes no aria props.
  useLayoutEffect(() => {
    root.current?.querySelector('table')?.setAttribute('aria-label', label);
  });

  // Rows added at the end (the next page from the backend) are shown by
  // turning to their page, unless the user sorted the table.
  useEffect(() => {
    const before = shown.current;
    shown.current = data.length;
    const grew = before > 0 && data.length > before;
    if (grew && paging && pageSize && !sorted.current) {
      table.current?.onPageChange?.(undefined, Math.floor(before / pageSize));
    }
  }, [data.length, paging, pageSize]);

  return (
    <div ref={root} className={classes.root}>
      <Table<T>
        tableRef={table}
        columns={autoColumns}
        data={data}
        emptyContent={emptyContent}
        components={{ Container }}
        onOrderChange={orderBy => {
          sorted.current = orderBy >= 0;
        }}
        options={{
          toolbar: false,
          search: false,
          draggable: false,
          padding: 'dense',
          sorting: pageSize !== undefined,
          paging,
          pageSize: pageSize ?? 5,
          pageSizeOptions: pageSize ? [pageSize] : [],
          emptyRowsWhenPaging: false,
        }}
      />
    </div>
  );
}

/**
 * The plugin's tables: `Table` from `@backstage/core-components` with
 * sorting and paging where lists grow, compact cells and an accessible name.
 * Memoised: a table renders again only when its props change.
 */
export const DataTable = memo(DataTableImpl) as typeof DataTableImpl;
