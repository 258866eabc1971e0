import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { ImmutableInfraClient } from '@immutable-infra/backstage-plugin-common';
import { createEnrollAction } from './actions/enroll';

/**
 * Registers the Immutable Infra actions with the scaffolder.
 *
 * @public
 */
export const immutableInfraScaffolderModule = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'immutable-infra',
  register({ registerInit }) {
    registerInit({
      deps: {
        scaffolderActions: scaffolderActionsExtensionPoint,
        discovery: coreServices.discovery,
        auth: coreServices.auth,
      },
      async init({ scaffolderActions, discovery, auth }) {
        const client = new ImmutableInfraClient({ discoveryApi: discovery });
        scaffolderActions.addActions(createEnrollAction({ client, auth }));
      },
    });
  },
});
