import { mockErrorHandler, mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import express from 'express';
import Knex from 'knex';
import { DatabaseImageStore } from '../registry/DatabaseImageStore';
import { createRouter } from '../http/router';
import { migrateForTests } from './migrate';
import { ConfigReader } from '@backstage/config';
import { ImageProvider } from '../providers/ImageProvider';
import { ImagePruner } from '../registry/ImagePruner';
import { DatabaseFleetStore } from '../fleet/DatabaseFleetStore';
import { FleetAnalyzer } from '../drift/FleetAnalyzer';
import { FleetProvider } from '../providers/FleetProvider';
import { FleetSync } from '../fleet/FleetSync';
import { EntityReadModel } from '../entities/EntityReadModel';
import { readSettings } from '../config/settings';

/** A fleet that cannot be reached: every call fails. */
const unreachableFleet: FleetProvider = {
  listInstances: async () => {
    throw new Error('no cloud in this test');
  },
  getLaunchTemplateDefault: async () => {
    throw new Error('no cloud in this test');
  },
};

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
 * The plugin's router over a real store in SQLite, with a fake catalog
 * holding `entities`, a permissions mock that allows unless told otherwise,
 * and the auditor mocked.
 */
export async function createRouterTestApp(
  entities: Entity[],
  options: {
    provider?: ImageProvider;
    fleetProvider?: FleetProvider;
    config?: object;
  } = {},
) {
  const knex = Knex({
    client: 'better-sqlite3',
    connection: ':memory:',
    useNullAsDefault: true,
  });
  await migrateForTests(knex);
  const permissions = mockServices.permissions.mock({
    authorize: async requests =>
      requests.map(() => ({ result: AuthorizeResult.ALLOW })),
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
  });
  const store = DatabaseImageStore.create({ knex });
  const fleet = DatabaseFleetStore.create({ knex });
  const readModel = EntityReadModel.create({ knex });
  const settings = readSettings(new ConfigReader(options.config ?? {}));
  const router = await createRouter({
    logger: mockServices.logger.mock(),
    httpAuth: mockServices.httpAuth(),
    permissions,
    auditor,
    catalog,
    images: store,
    pruner: new ImagePruner({
      images: store,
      provider: options.provider ?? unreachableCloud,
      logger: mockServices.logger.mock(),
    }),
    provider: options.provider ?? unreachableCloud,
    settings,
    fleet,
    readModel,
    analyzer: new FleetAnalyzer({ settings }),
    fleetSync: new FleetSync({
      catalog,
      auth: mockServices.auth(),
      fleet,
      readModel,
      providerFactory: () => options.fleetProvider ?? unreachableFleet,
      logger: mockServices.logger.mock(),
      regions: settings.regions,
      environmentTag: settings.environmentTag,
    }),
  });
  const app = express().use(router).use(mockErrorHandler());
  const deny = () =>
    permissions.authorize.mockResolvedValue([{ result: AuthorizeResult.DENY }]);
  return {
    app,
    knex,
    store,
    fleet,
    readModel,
    permissions,
    auditor,
    auditEvent,
    catalog,
    deny,
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
