import { createRouteRef } from '@backstage/core-plugin-api';

/** @public */
export const rootRouteRef = createRouteRef({ id: 'immutable-infra' });

/** The adoption dashboard (legacy frontend system). @public */
export const adoptionRouteRef = createRouteRef({
  id: 'immutable-infra-adoption',
});
