export { usePagedList } from './usePagedList';
export type { Page, PagedList } from './usePagedList';
export { useEntitySummary } from './useEntitySummary';
export { useDrift } from './useDrift';
export { useImageAge } from './useImageAge';
export { useChannels } from './useChannels';
export { useInstances, INSTANCES_PAGE_SIZE } from './useInstances';
export { useAuditEvents, AUDIT_EVENTS_PAGE_SIZE } from './useAuditEvents';
export { useImageVersions, IMAGE_VERSIONS_PAGE_SIZE } from './useImageVersions';
export {
  useChannelHistory,
  CHANNEL_HISTORY_PAGE_SIZE,
} from './useChannelHistory';
export {
  useRollout,
  useRollouts,
  ROLLOUTS_PAGE_SIZE,
  ROLLOUT_REFRESH_MS,
} from './useRollouts';
