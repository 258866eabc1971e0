export { ImmutabilityCard } from './ImmutabilityCard';
