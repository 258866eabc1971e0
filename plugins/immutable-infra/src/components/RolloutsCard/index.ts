export { RolloutsCard, StartDialog } from './RolloutsCard';
