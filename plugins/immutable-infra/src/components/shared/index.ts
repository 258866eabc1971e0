export { DataTable, NO_WRAP } from './DataTable';
export type { DataTableProps } from './DataTable';
export { TruncatedText } from './TruncatedText';
export { LoadMore } from './LoadMore';
export { SafeLink } from './SafeLink';
export { ConfirmDialog } from './ConfirmDialog';
export { ReasonDialog } from './ReasonDialog';
export { usePagedList } from './usePagedList';
export type { Page, PagedList } from './usePagedList';
export {
  ageInDays,
  commitUrl,
  dayCount,
  duration,
  errorMessage,
  relative,
} from './format';
export { StaleInventory, inventoryOutOfDate } from './StaleInventory';
