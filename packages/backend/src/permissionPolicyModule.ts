import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { ConfigurablePermissionPolicy } from './ConfigurablePermissionPolicy';

/**
 * Installs the demo's permission policy: everything is allowed except the
 * permissions listed under `permissionPolicy.deny`.
 */
export default createBackendModule({
  pluginId: 'permission',
  moduleId: 'configurable-policy',
  register(reg) {
    reg.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        policy: policyExtensionPoint,
      },
      async init({ config, logger, policy }) {
        const deny =
          config.getOptionalStringArray('permissionPolicy.deny') ?? [];
        if (deny.length > 0) {
          logger.info(`Denying permissions to everyone: ${deny.join(', ')}`);
        }
        policy.setPolicy(new ConfigurablePermissionPolicy({ deny }));
      },
    });
  },
});
