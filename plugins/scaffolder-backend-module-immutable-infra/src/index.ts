/**
 * Scaffolder actions of Immutable Infra.
 *
 * @packageDocumentation
 */

export { immutableInfraScaffolderModule as default } from './module';
export {
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
  RegistryActionOptions,
  StartRolloutActionOptions,
} from './actions';
