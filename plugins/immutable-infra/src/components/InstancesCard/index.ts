export { InstancesCard } from './InstancesCard';
