import { mockErrorHandler, mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import express from 'express';
import Knex from 'knex';
import { createRouter } from '../http/router';
import { migrateForTests } from './migrate';
import { ConfigReader } from '@backstage/config';
import { ImageProvider } from '../providers/ImageProvider';
import { FleetProvider } from '../providers/FleetProvider';
import { RolloutProvider } from '../providers/RolloutProvider';
import { readSettings } from '../config/settings';
import { createServices } from '../services';
import { SendNotification } from '../adoption/AdoptionNotifier';
import {
  checkAnswersAgainstOpenApi,
  takeOpenApiMismatches,
} from './openApiResponses';

// Every answer of a test app is checked against the OpenAPI document: a
// test whose requests got an answer the document does not describe fails.
afterEach(() => {
  const mismatches = takeOpenApiMismatches();
  if (mismatches.length) {
    throw new Error(
      `Answers that do not match the OpenAPI document:\n${mismatches.join(
        '\n',
      )}`,
    );
  }
});

/** A fleet that cannot be reached: every call fails. */
const unreachableFleet: FleetProvider = {
  listInstances: async () => {
    throw new Error('no cloud in this test');
  },
  getLaunchTemplateDefault: async () => {
    throw new Error('no cloud in this test');
  },
  describeAutoScalingGroups: async () => {
    throw new Error('no cloud in this test');
  },
};

/** Rollouts without a cloud: every call fails. */
const unreachableRollouts = new Proxy({} as RolloutProvider, {
  get: () => async () => {
    throw new Error('no cloud in this test');
  },
});

/** A cloud that cannot be reached: every call fails. */
const unreachableCloud: ImageProvider = {
  listOwnedImages: async () => {
    throw new Error('no cloud in this test');
  },
  findOwnedImages: async () => {
    throw new Error('no cloud in this test');
  },
  findImageUses: async () => {
    throw new Error('no cloud in this test');
  },
  deleteImage: async () => {
    throw new Error('no cloud in this test');
  },
};

/**
 * The plugin's router over a real store (SQLite unless `knex` is given), with a fake catalog
 * holding `entities`, a permissions mock that allows unless told otherwise
 * (the catalog's read per entity unless `allowEveryEntity`),
 * and the auditor mocked.
 */
export async function createRouterTestApp(
  entities: Entity[],
  options: {
    provider?: ImageProvider;
    fleetProvider?: FleetProvider;
    rolloutProvider?: RolloutProvider;
    config?: object;
    /** A database to run on; SQLite in memory by default. */
    knex?: Knex.Knex;
    /** Where the adoption notices go. */
    sendNotification?: SendNotification;
  } = {},
) {
  const knex =
    options.knex ??
    Knex({
      client: 'better-sqlite3',
      connection: ':memory:',
      useNullAsDefault: true,
    });
  await migrateForTests(knex);
  const permissions = mockServices.permissions.mock({
    authorize: async requests =>
      requests.map(() => ({ result: AuthorizeResult.ALLOW })),
    // The catalog's read as a policy that decides per entity (the owner's,
    // say) answers it: each entity is then asked of `authorize`.
    authorizeConditional: async requests =>
      requests.map(() => ({
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'catalog',
        resourceType: 'catalog-entity',
        conditions: {
          rule: 'IS_ENTITY_OWNER',
          resourceType: 'catalog-entity',
          params: { claims: [] },
        },
      })),
  });
  const auditEvent = { success: jest.fn(), fail: jest.fn() };
  const auditor = mockServices.auditor.mock({
    createEvent: jest.fn(async () => auditEvent),
  });
  const fakeCatalog = catalogServiceMock({ entities });
  const catalog = catalogServiceMock.mock({
    getEntityByRef: jest.fn((ref, request) =>
      fakeCatalog.getEntityByRef(ref, request),
    ),
    getEntities: jest.fn((request, requestOptions) =>
      fakeCatalog.getEntities(request, requestOptions),
    ),
    queryEntities: jest.fn((request, requestOptions) =>
      fakeCatalog.queryEntities(request, requestOptions),
    ),
  });
  // Without a cloud to ask, registration cannot check AMIs: tests that do
  // not give one run as a portal with no AWS access, where the operator
  // turns the check off. Neither the emulator nor the tests' fleet providers
  // have Systems Manager's session list: it is not read.
  const settings = readSettings(
    new ConfigReader(
      options.config ?? {
        immutableInfra: {
          drift: { sessionHistory: false },
          ...(options.provider
            ? {}
            : { registration: { verifyArtifacts: false } }),
        },
      },
    ),
  );
  const services = createServices({
    knex,
    settings,
    logger: mockServices.logger.mock(),
    permissions,
    catalog,
    auth: mockServices.auth(),
    imageProvider: options.provider ?? unreachableCloud,
    fleetProviderFactory: () => options.fleetProvider ?? unreachableFleet,
    rolloutProvider: options.rolloutProvider ?? unreachableRollouts,
    sendNotification: options.sendNotification,
  });
  const router = await createRouter({
    httpAuth: mockServices.httpAuth(),
    auditor,
    ...services,
  });
  const app = express()
    .use(checkAnswersAgainstOpenApi())
    .use(router)
    .use(mockErrorHandler());
  const deny = () => {
    permissions.authorize.mockResolvedValue([{ result: AuthorizeResult.DENY }]);
    permissions.authorizeConditional.mockResolvedValue([
      { result: AuthorizeResult.DENY },
    ]);
  };
  /** The policy lets the caller read every entity, without conditions. */
  const allowEveryEntity = () =>
    permissions.authorizeConditional.mockResolvedValue([
      { result: AuthorizeResult.ALLOW },
    ]);
  return {
    app,
    knex,
    services,
    permissions,
    auditor,
    auditEvent,
    catalog,
    deny,
    allowEveryEntity,
  };
}

/** A catalog component, enrolled when `family` is given. */
export function component(
  name: string,
  annotations: Record<string, string> = {},
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, namespace: 'default', annotations },
    spec: { type: 'service', owner: 'group:default/team' },
  };
}
