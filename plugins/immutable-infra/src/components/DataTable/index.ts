export { DataTable, NO_WRAP } from './DataTable';
export type { DataTableProps } from './DataTable';
export { TruncatedText } from './TruncatedText';
