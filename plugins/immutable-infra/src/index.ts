/**
 * Immutable Infra for Backstage: the Immutability, Drift and Image age tabs.
 *
 * @packageDocumentation
 */

export { immutableInfraFrontendPlugin as default } from './alpha';
export { immutableInfraPlugin, EntityImmutabilityContent } from './plugin';
export { immutableInfraApiRef } from './api';
export { ImmutabilityContent } from './components/ImmutabilityContent';
export {
  isImmutableInfraAvailable,
  ANNOTATION_IMAGE_FAMILY,
} from '@immutable-infra/backstage-plugin-common';
