import {
  createApiFactory,
  createPlugin,
  createComponentExtension,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { ImmutableInfraClient } from '@immutable-infra/backstage-plugin-common';
import { immutableInfraApiRef } from './api';
import { adoptionRouteRef, rootRouteRef } from './routes';

/**
 * The Immutable Infra plugin for apps on the legacy frontend system.
 *
 * @public
 */
export const immutableInfraPlugin = createPlugin({
  id: 'immutable-infra',
  apis: [
    createApiFactory({
      api: immutableInfraApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new ImmutableInfraClient({ discoveryApi, fetchApi }),
    }),
  ],
  routes: { root: rootRouteRef, adoption: adoptionRouteRef },
});

/**
 * The Immutability tab content for the legacy frontend system; mount it under
 * an `EntityLayout.Route` with `if={isImmutableInfraAvailable}`.
 *
 * @public
 */
export const EntityImmutabilityContent = immutableInfraPlugin.provide(
  createRoutableExtension({
    name: 'EntityImmutabilityContent',
    component: () =>
      import('./components/immutability').then(m => m.ImmutabilityContent),
    mountPoint: rootRouteRef,
  }),
);

/**
 * The Image age tab content for the legacy frontend system.
 *
 * @public
 */
export const EntityImageAgeContent = immutableInfraPlugin.provide(
  createRoutableExtension({
    name: 'EntityImageAgeContent',
    component: () =>
      import('./components/imageAge').then(m => m.ImageAgeContent),
    mountPoint: rootRouteRef,
  }),
);

/**
 * The Drift tab content for the legacy frontend system.
 *
 * @public
 */
export const EntityDriftContent = immutableInfraPlugin.provide(
  createRoutableExtension({
    name: 'EntityDriftContent',
    component: () => import('./components/drift').then(m => m.DriftContent),
    mountPoint: rootRouteRef,
  }),
);

/**
 * The overview card for the legacy frontend system: level, critical
 * findings, oldest running image.
 *
 * @public
 */
export const EntityImmutabilityCard = immutableInfraPlugin.provide(
  createComponentExtension({
    name: 'EntityImmutabilityCard',
    component: {
      lazy: () =>
        import('./components/immutability').then(m => m.ImmutabilityCard),
    },
  }),
);

/**
 * The adoption dashboard for the legacy frontend system: mount it on a route
 * of the app (e.g. `<Route path="/immutability" element={<ImmutabilityAdoptionPage />} />`)
 * and link it from the sidebar.
 *
 * @public
 */
export const ImmutabilityAdoptionPage = immutableInfraPlugin.provide(
  createRoutableExtension({
    name: 'ImmutabilityAdoptionPage',
    component: () => import('./components/adoption').then(m => m.AdoptionPage),
    mountPoint: adoptionRouteRef,
  }),
);
