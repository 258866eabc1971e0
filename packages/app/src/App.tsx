import { createApp } from '@backstage/frontend-defaults';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import immutableInfraPlugin from '@immutable-infra/backstage-plugin';
import { navModule } from './modules/nav';

export default createApp({
  features: [catalogPlugin, immutableInfraPlugin, navModule],
});
