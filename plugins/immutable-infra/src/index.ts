/**
 * Immutable Infra for Backstage: the Immutability, Drift and Image age tabs.
 *
 * @packageDocumentation
 */

export { immutableInfraFrontendPlugin as default } from './alpha';
export {
  immutableInfraPlugin,
  EntityImmutabilityContent,
  EntityImageAgeContent,
  EntityDriftContent,
  EntityImmutabilityCard,
  ImmutabilityAdoptionPage,
} from './plugin';
export { immutableInfraApiRef } from './api';
export { ImmutabilityContent } from './components/ImmutabilityContent';
export { ImageAgeContent } from './components/ImageAgeContent';
export { DriftContent } from './components/DriftContent';
export { ImmutabilityCard } from './components/ImmutabilityCard';
export { AdoptionPage } from './components/AdoptionPage';
export {
  isImmutableInfraAvailable,
  ANNOTATION_IMAGE_FAMILY,
} from '@immutable-infra/backstage-plugin-common';
