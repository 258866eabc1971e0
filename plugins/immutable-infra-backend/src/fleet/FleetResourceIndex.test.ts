import { createTestDatabases } from '../__testUtils__/databases';
import { migrateForTests } from '../__testUtils__/migrate';
import { DatabaseFleetStore } from './DatabaseFleetStore';
import { DatabaseFleetResourceIndex } from './FleetResourceIndex';
import { InventoryUpdate } from './FleetStore';

jest.setTimeout(60_000);

const databases = createTestDatabases();

const WEB = 'component:default/web';
const API = 'component:default/api';

function instance(
  instanceId: string,
  options: { region?: string; asg?: string; launchTemplateId?: string } = {},
): InventoryUpdate['instances'][number] {
  return {
    instanceId,
    region: options.region ?? 'us-east-1',
    imageId: 'ami-1',
    state: 'running',
    asg: options.asg,
    launchTemplateId: options.launchTemplateId,
    sshExposure: 'none',
    sshSources: [],
    tags: {},
  };
}

function inventory(
  entityRef: string,
  instances: InventoryUpdate['instances'],
): InventoryUpdate {
  return { entityRef, instances, launchTemplates: [], autoscalingGroups: [] };
}

describe.each(databases.eachSupportedId())(
  'DatabaseFleetResourceIndex on %p',
  id => {
    async function setup() {
      const knex = await databases.init(id);
      await migrateForTests(knex);
      const fleet = DatabaseFleetStore.create({ knex });
      await fleet.replaceInventories([
        inventory(WEB, [
          instance('i-1', { asg: 'web-prod', launchTemplateId: 'lt-web' }),
          instance('i-2', { asg: 'web-prod', launchTemplateId: 'lt-web' }),
          instance('i-3', { region: 'eu-west-1', asg: 'web-prod' }),
        ]),
        inventory(API, [
          instance('i-9', { launchTemplateId: 'lt-web' }),
          // The same id in another region is another instance.
          instance('i-1', { region: 'eu-west-1' }),
        ]),
      ]);
      return DatabaseFleetResourceIndex.create({ knex });
    }

    it('finds the entity of each instance the inventory holds, in its region', async () => {
      const index = await setup();
      expect(
        await index.entitiesOfInstances({
          region: 'us-east-1',
          instanceIds: ['i-1', 'i-9', 'i-404', 'i-3'],
        }),
      ).toEqual([
        { entityRef: API, instanceId: 'i-9' },
        { entityRef: WEB, instanceId: 'i-1' },
      ]);
      expect(
        await index.entitiesOfInstances({
          region: 'eu-west-1',
          instanceIds: ['i-1'],
        }),
      ).toEqual([{ entityRef: API, instanceId: 'i-1' }]);
      expect(
        await index.entitiesOfInstances({
          region: 'us-east-1',
          instanceIds: [],
        }),
      ).toEqual([]);
    });

    it('finds the entities of a group and of a launch template, each once', async () => {
      const index = await setup();
      expect(
        await index.entitiesOfAutoScalingGroup({
          region: 'us-east-1',
          name: 'web-prod',
        }),
      ).toEqual([WEB]);
      expect(
        await index.entitiesOfAutoScalingGroup({
          region: 'us-west-2',
          name: 'web-prod',
        }),
      ).toEqual([]);
      expect(
        await index.entitiesOfLaunchTemplate({
          region: 'us-east-1',
          launchTemplateId: 'lt-web',
        }),
      ).toEqual([API, WEB]);
    });

    it('reads many instances in batches', async () => {
      const index = await setup();
      const ids = Array.from({ length: 1_200 }, (_, i) => `i-x${i}`);
      expect(
        await index.entitiesOfInstances({
          region: 'us-east-1',
          instanceIds: [...ids, 'i-2'],
        }),
      ).toEqual([{ entityRef: WEB, instanceId: 'i-2' }]);
    });
  },
);
