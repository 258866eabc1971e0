import {
  BackstageCredentials,
  BackstagePrincipalTypes,
} from '@backstage/backend-plugin-api';

/**
 * Who made a change, for the audit log: the user's entity ref, or the
 * calling service's subject.
 *
 * @internal
 */
export function principalRef(
  credentials: BackstageCredentials<
    BackstagePrincipalTypes['user'] | BackstagePrincipalTypes['service']
  >,
): string {
  const principal = credentials.principal;
  return principal.type === 'user'
    ? principal.userEntityRef
    : `service:${principal.subject}`;
}
