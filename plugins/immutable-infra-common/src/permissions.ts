import {
  createPermission,
  Permission,
} from '@backstage/plugin-permission-common';

/**
 * Register image versions and enroll image families for an entity.
 *
 * @public
 */
export const immutableInfraImageCreatePermission = createPermission({
  name: 'immutable-infra.image.create',
  attributes: { action: 'create' },
  resourceType: 'catalog-entity',
});

/**
 * Revoke and restore image versions.
 *
 * @public
 */
export const immutableInfraImageRevokePermission = createPermission({
  name: 'immutable-infra.image.revoke',
  attributes: { action: 'update' },
  resourceType: 'catalog-entity',
});

/**
 * Prune (deregister) old image versions.
 *
 * @public
 */
export const immutableInfraImagePrunePermission = createPermission({
  name: 'immutable-infra.image.prune',
  attributes: { action: 'delete' },
});

/**
 * Assign an image version to a channel, or roll a channel back.
 *
 * @public
 */
export const immutableInfraChannelAssignPermission = createPermission({
  name: 'immutable-infra.channel.assign',
  attributes: { action: 'update' },
  resourceType: 'catalog-entity',
});

/**
 * Start a rollout of an entity's fleet.
 *
 * @public
 */
export const immutableInfraRolloutCreatePermission = createPermission({
  name: 'immutable-infra.rollout.create',
  attributes: { action: 'create' },
  resourceType: 'catalog-entity',
});

/**
 * Pause, resume, promote or abort a rollout.
 *
 * @public
 */
export const immutableInfraRolloutControlPermission = createPermission({
  name: 'immutable-infra.rollout.control',
  attributes: { action: 'update' },
  resourceType: 'catalog-entity',
});

/**
 * Sync an entity's fleet inventory now (or every entity's).
 *
 * @public
 */
export const immutableInfraFleetSyncPermission = createPermission({
  name: 'immutable-infra.fleet.sync',
  attributes: { action: 'update' },
});

/**
 * Set, change and close adoption initiatives (a goal, a scope and a
 * deadline): for platform leads.
 *
 * @public
 */
export const immutableInfraInitiativeManagePermission = createPermission({
  name: 'immutable-infra.initiative.manage',
  attributes: { action: 'create' },
});

/**
 * Every permission of the Immutable Infra plugins.
 *
 * @public
 */
export const immutableInfraPermissions: Permission[] = [
  immutableInfraImageCreatePermission,
  immutableInfraImageRevokePermission,
  immutableInfraImagePrunePermission,
  immutableInfraChannelAssignPermission,
  immutableInfraRolloutCreatePermission,
  immutableInfraRolloutControlPermission,
  immutableInfraFleetSyncPermission,
  immutableInfraInitiativeManagePermission,
];
