import {
  BackstageCredentials,
  BackstagePrincipalTypes,
} from '@backstage/backend-plugin-api';

/**
 * Credentials of whoever calls the plugin: a user or another service.
 *
 * @internal
 */
export type Caller = BackstageCredentials<
  BackstagePrincipalTypes['user'] | BackstagePrincipalTypes['service']
>;

/**
 * Who made a change, for the audit log: the user's entity ref, or the
 * calling service's subject.
 *
 * @internal
 */
export function principalRef(credentials: Caller): string {
  const principal = credentials.principal;
  return principal.type === 'user'
    ? principal.userEntityRef
    : `service:${principal.subject}`;
}
