export { ImmutabilityContent } from './ImmutabilityContent';
export { ImmutabilityCard } from './ImmutabilityCard';
