import {
  AuthorizeResult,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
} from '@backstage/plugin-permission-node';

/**
 * Allows every permission except those named in `deny`, which are denied to
 * everyone.
 *
 * This is the local and demo policy. A production deployment replaces it with
 * its own policy (see docs/configuration.md).
 */
export class ConfigurablePermissionPolicy implements PermissionPolicy {
  private readonly deny: Set<string>;

  constructor(options: { deny: string[] }) {
    this.deny = new Set(options.deny);
  }

  async handle(request: PolicyQuery): Promise<PolicyDecision> {
    return {
      result: this.deny.has(request.permission.name)
        ? AuthorizeResult.DENY
        : AuthorizeResult.ALLOW,
    };
  }
}
