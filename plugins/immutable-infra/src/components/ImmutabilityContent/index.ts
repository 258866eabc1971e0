export { ImmutabilityContent } from './ImmutabilityContent';
