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
export {
  ImmutabilityContent,
  ImmutabilityCard,
} from './components/immutability';
export { ImageAgeContent } from './components/imageAge';
export { DriftContent } from './components/drift';
export { AdoptionPage } from './components/adoption';
export {
  isImmutableInfraAvailable,
  ANNOTATION_IMAGE_FAMILY,
} from '@immutable-infra/backstage-plugin-common';
