/**
 * Scaffolder actions of Immutable Infra.
 *
 * @packageDocumentation
 */

export { immutableInfraScaffolderModule as default } from './module';
export {
  createAssignChannelAction,
  createEnrollAction,
  createPruneImagesAction,
  createRegisterImageAction,
  createRevokeImageAction,
} from './actions';
export type { RegistryActionOptions } from './actions';
