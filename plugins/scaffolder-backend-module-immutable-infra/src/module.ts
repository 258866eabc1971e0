import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { ScmIntegrations } from '@backstage/integration';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { ImmutableInfraClient } from '@immutable-infra/backstage-plugin-common';
import {
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
        config: coreServices.rootConfig,
        catalog: catalogServiceRef,
        reader: coreServices.urlReader,
      },
      async init({
        scaffolderActions,
        discovery,
        auth,
        config,
        catalog,
        reader,
      }) {
        const client = new ImmutableInfraClient({ discoveryApi: discovery });
        const deps = { client, auth };
        scaffolderActions.addActions(
          createEnrollAction(deps),
          createRegisterImageAction(deps),
          createAssignChannelAction(deps),
          createRevokeImageAction(deps),
          createPruneImagesAction(deps),
          createStartRolloutAction({ ...deps, discovery }),
          createCheckOnboardingAction(deps),
        );
        const localRoot = config.getOptionalString(
          'immutableInfra.scaffolder.localRepositories.root',
        );
        scaffolderActions.addActions(
          createAnnotateCatalogInfoAction({
            catalog,
            reader,
            integrations: ScmIntegrations.fromConfig(config),
            localRoot,
          }),
        );
        if (localRoot) {
          scaffolderActions.addActions(
            createPublishLocalAction({ root: localRoot }),
          );
        }
      },
    });
  },
});
