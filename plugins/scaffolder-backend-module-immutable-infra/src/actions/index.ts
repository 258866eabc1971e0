export { createAssignChannelAction } from './assignChannel';
export { createCheckOnboardingAction } from './checkOnboarding';
export { createEnrollAction } from './enroll';
export { createPruneImagesAction } from './pruneImages';
export { createRegisterImageAction } from './registerImage';
export { createRevokeImageAction } from './revokeImage';
export { createStartRolloutAction } from './startRollout';
export type { StartRolloutActionOptions } from './startRollout';
export type { RegistryActionOptions } from './types';
