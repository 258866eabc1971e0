/**
 * Scaffolder actions of Immutable Infra.
 *
 * @packageDocumentation
 */

export { immutableInfraScaffolderModule as default } from './module';
export {
  createAnnotateCatalogInfoAction,
  createAssignChannelAction,
  createCheckOnboardingAction,
  createEnrollAction,
  createPruneImagesAction,
  createPublishLocalAction,
  createRegisterImageAction,
  createRevokeImageAction,
  createStartRolloutAction,
} from './actions';
export type {
  CatalogInfoSource,
  RegistryActionOptions,
  StartRolloutActionOptions,
} from './actions';
