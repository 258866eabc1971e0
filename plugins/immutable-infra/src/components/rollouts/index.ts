export { RolloutsCard } from './RolloutsCard';
export { StartDialog } from './StartDialog';
