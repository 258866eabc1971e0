import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { immutableInfraImageCreatePermission } from '@immutable-infra/backstage-plugin-common';
import { catalogEntityReadPermission } from '@backstage/plugin-catalog-common/alpha';
import { ConfigurablePermissionPolicy } from './ConfigurablePermissionPolicy';

describe('ConfigurablePermissionPolicy', () => {
  it('allows permissions that are not listed', async () => {
    const policy = new ConfigurablePermissionPolicy({ deny: [] });
    await expect(
      policy.handle({ permission: immutableInfraImageCreatePermission }),
    ).resolves.toEqual({ result: AuthorizeResult.ALLOW });
  });

  it('denies the listed permissions and only those', async () => {
    const policy = new ConfigurablePermissionPolicy({
      deny: ['immutable-infra.image.create'],
    });
    await expect(
      policy.handle({ permission: immutableInfraImageCreatePermission }),
    ).resolves.toEqual({ result: AuthorizeResult.DENY });
    await expect(
      policy.handle({ permission: catalogEntityReadPermission }),
    ).resolves.toEqual({ result: AuthorizeResult.ALLOW });
  });
});
