import { Table, TableColumn } from '@backstage/core-components';
import { makeStyles } from '@material-ui/core/styles';
import {
  CSSProperties,
  memo,
  ReactNode,
  useEffect,
  useLayoutEffect,
  useRef,
} from 'react';

const useStyles = makeStyles(theme => ({
  root: {
    // Compact cells, so that wide tables fit a 1280 px screen; the header
    // never wraps inside a word ("Weigh t"): long cell content truncates
    // (TruncatedText) or wraps between words instead.
    '& th, & td': {
      padding: theme.spacing(0.75, 1),
    },
    '& th:first-child, & td:first-child': {
      paddingLeft: theme.spacing(2),
    },
    '& th': {
      whiteSpace: 'nowrap',
    },
    '& td': {
      overflowWrap: 'anywhere',
    },
  },
}));

// The table sits in an InfoCard: no second paper around it.
function Container(props: { children?: ReactNode; style?: CSSProperties }) {
  return <div style={props.style}>{props.children}</div>;
}

/** @internal */
export type DataTableProps<T extends object> = {
  /** The table's accessible name. */
  label: string;
  /** Keep the array stable (useMemo): a new one resets sorting and paging. */
  columns: TableColumn<T>[];
  data: T[];
  /**
   * Rows per page; the pager shows once there are more rows. Lists that load
   * more pages from the backend use the backend's page size, so each "load
   * more" adds a page of the table, which is then shown.
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
        columns={columns}
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
          sorting: true,
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
 * sorting, paging where lists grow, compact cells and an accessible name.
 * Memoised: a table renders again only when its props change.
 */
export const DataTable = memo(DataTableImpl) as typeof DataTableImpl;
