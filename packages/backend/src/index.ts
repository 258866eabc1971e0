import { createBackend } from '@backstage/backend-defaults';

const backend = createBackend();

backend.add(import('@backstage/plugin-app-backend'));

// Sign-in: the guest provider is for local use; see docs/configuration.md
backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));

backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(
  import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'),
);

// Logs catalog processing errors, e.g. a malformed entity in examples/
backend.add(import('@backstage/plugin-catalog-backend-module-logs'));

backend.add(import('@backstage/plugin-permission-backend'));
backend.add(import('./permissionPolicyModule'));

backend.add(import('@backstage/plugin-scaffolder-backend'));
// publish:github for the onboarding templates (with a GitHub integration).
backend.add(import('@backstage/plugin-scaffolder-backend-module-github'));

// Notifications to entity owners (rollouts waiting for a promote, failed or
// aborted); signals bring them to the open page at once.
backend.add(import('@backstage/plugin-notifications-backend'));
backend.add(import('@backstage/plugin-signals-backend'));

backend.add(import('@immutable-infra/backstage-plugin-backend'));
// The demo's past rollouts and drift for the dashboard (demo.history).
backend.add(import('./demoHistoryModule'));
backend.add(
  import('@immutable-infra/backstage-plugin-scaffolder-backend-module'),
);

// A backend whose startup failed goes on running with some of its plugins
// and never becomes ready (/.backstage/health/v1/readiness answers 503):
// exit instead, so that the container is restarted. This happens, for
// example, to a replica that loses the race for a migration lock to another
// one starting on the same empty database (docs/operations.md).
backend.start().catch(error => {
  // eslint-disable-next-line no-console
  console.error('Backend startup failed, exiting', error);
  process.exit(1);
});
