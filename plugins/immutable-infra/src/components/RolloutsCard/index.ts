export { RolloutsCard } from './RolloutsCard';
