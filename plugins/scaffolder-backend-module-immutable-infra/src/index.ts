/**
 * Scaffolder actions of Immutable Infra.
 *
 * @packageDocumentation
 */

export { immutableInfraScaffolderModule as default } from './module';
export { createEnrollAction } from './actions/enroll';
export {
  createAssignChannelAction,
  createPruneImagesAction,
  createRegisterImageAction,
  createRevokeImageAction,
} from './actions/registryActions';
export type { RegistryActionOptions } from './actions/registryActions';
