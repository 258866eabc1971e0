import {
  ApiBlueprint,
  createFrontendPlugin,
  createRouteRef,
  PageBlueprint,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/frontend-plugin-api';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import {
  ImmutableInfraClient,
  isImmutableInfraAvailable,
} from '@immutable-infra/backstage-plugin-common';
import { FormFieldBlueprint } from '@backstage/plugin-scaffolder-react/alpha';
import DashboardIcon from '@material-ui/icons/Dashboard';
import { immutableInfraApiRef } from './api';

/** The adoption dashboard. */
const adoptionRouteRef = createRouteRef();

const adoptionPage = PageBlueprint.make({
  params: {
    path: '/immutability',
    title: 'Immutability',
    icon: <DashboardIcon />,
    routeRef: adoptionRouteRef,
    loader: () => import('./components/adoption').then(m => <m.AdoptionPage />),
  },
});

const immutableInfraApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: immutableInfraApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new ImmutableInfraClient({ discoveryApi, fetchApi }),
    }),
});

const immutabilityEntityContent = EntityContentBlueprint.make({
  name: 'immutability',
  params: {
    path: '/immutability',
    title: 'Immutability',
    filter: isImmutableInfraAvailable,
    loader: () =>
      import('./components/immutability').then(m => <m.ImmutabilityContent />),
  },
});

const imageAgeEntityContent = EntityContentBlueprint.make({
  name: 'image-age',
  params: {
    path: '/image-age',
    title: 'Image age',
    filter: isImmutableInfraAvailable,
    loader: () =>
      import('./components/imageAge').then(m => <m.ImageAgeContent />),
  },
});

const driftEntityContent = EntityContentBlueprint.make({
  name: 'drift',
  params: {
    path: '/drift',
    title: 'Drift',
    filter: isImmutableInfraAvailable,
    loader: () => import('./components/drift').then(m => <m.DriftContent />),
  },
});

const immutabilityEntityCard = EntityCardBlueprint.make({
  name: 'immutability',
  params: {
    filter: isImmutableInfraAvailable,
    loader: () =>
      import('./components/immutability').then(m => <m.ImmutabilityCard />),
  },
});

/** The onboarding templates' base image family field. */
const imageFamilyPickerFormField = FormFieldBlueprint.make({
  name: 'image-family-picker',
  params: {
    field: () =>
      import('./components/onboarding').then(m => m.imageFamilyPickerField),
  },
});

/**
 * The Immutable Infra plugin for the new frontend system: the Immutability,
 * Drift and Image age tabs and the card on every enrolled entity, the
 * adoption dashboard (the "Immutability" page, at `/immutability`), and the
 * onboarding templates' `ImageFamilyPicker` field.
 *
 * @public
 */
export const immutableInfraFrontendPlugin = createFrontendPlugin({
  pluginId: 'immutable-infra',
  info: { packageJson: () => import('../package.json') },
  routes: { adoption: adoptionRouteRef },
  extensions: [
    immutableInfraApi,
    adoptionPage,
    immutabilityEntityContent,
    driftEntityContent,
    imageAgeEntityContent,
    immutabilityEntityCard,
    imageFamilyPickerFormField,
  ],
});
