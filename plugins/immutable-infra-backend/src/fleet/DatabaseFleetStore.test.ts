import { createTestDatabases } from '../__testUtils__/databases';
import { migrateForTests } from '../__testUtils__/migrate';
import { isUniqueViolation } from '../database/timestamps';
import { DatabaseFleetStore } from './DatabaseFleetStore';
import { InventoryUpdate } from './FleetStore';

jest.setTimeout(60_000);

const databases = createTestDatabases();

const WEB = 'component:default/web';
const API = 'component:default/api';

function instance(
  instanceId: string,
  options: { region?: string; environment?: string; imageId?: string } = {},
): InventoryUpdate['instances'][number] {
  const environment = options.environment;
  return {
    instanceId,
    region: options.region ?? 'us-east-1',
    imageId: options.imageId ?? 'ami-1',
    environment,
    launchTime: new Date('2026-11-20T10:00:00.000Z'),
    state: 'running',
    asg: 'web-asg',
    sshExposure: 'restricted',
    sshSources: ['10.0.0.0/8'],
    tags: {
      ...(environment ? { environment } : {}),
      'aws:autoscaling:groupName': 'web-asg',
    },
  };
}

const tick = () => new Promise(resolve => setTimeout(resolve, 5));

describe.each(databases.eachSupportedId())('DatabaseFleetStore on %p', id => {
  async function setup() {
    const knex = await databases.init(id);
    await migrateForTests(knex);
    return { knex, fleet: DatabaseFleetStore.create({ knex }) };
  }

  const web: InventoryUpdate = {
    entityRef: WEB,
    instances: [
      instance('i-3', { environment: 'production', region: 'us-west-2' }),
      instance('i-2'),
      instance('i-1', { environment: 'production' }),
      instance('i-4', { environment: 'staging' }),
    ],
    launchTemplates: [],
    autoscalingGroups: [],
  };
  const api: InventoryUpdate = {
    entityRef: API,
    instances: [instance('i-9', { environment: 'production' })],
    launchTemplates: [
      { id: 'lt-1', name: 'api', region: 'us-east-1', defaultVersion: 3 },
    ],
    autoscalingGroups: [
      {
        environment: 'production',
        name: 'api-prod',
        region: 'us-east-1',
        group: {
          name: 'api-prod',
          region: 'us-east-1',
          minSize: 1,
          maxSize: 4,
          desiredCapacity: 1,
          launchTemplate: {
            id: 'lt-1',
            name: 'api',
            version: '3',
            resolvedVersion: 3,
            imageId: 'ami-1',
          },
          instances: [{ instanceId: 'i-9', lifecycleState: 'InService' }],
          targetGroupArns: [],
        },
      },
      { environment: 'staging', name: 'api-staging', region: 'us-east-1' },
    ],
  };

  it('writes several inventories at once: documents in page order without tags, rows with them', async () => {
    const { fleet } = await setup();
    await fleet.replaceInventories([web, api]);

    const inventory = await fleet.getInventory(WEB);
    expect(inventory.instances.map(i => i.instanceId)).toEqual([
      'i-1',
      'i-3',
      'i-4',
      'i-2',
    ]);
    expect(inventory.instances.every(i => !('tags' in i))).toBe(true);
    expect(inventory.sync).toMatchObject({ status: 'ok' });
    expect((await fleet.getInventory(API)).launchTemplates).toEqual(
      api.launchTemplates,
    );
    expect((await fleet.getInventory(API)).autoscalingGroups).toEqual(
      api.autoscalingGroups,
    );

    // The document says what the rows say, but for their tags.
    const rows = await fleet.findInstancesByImage(['ami-1']);
    expect(rows.map(r => r.entityRef)).toEqual([API, WEB, WEB, WEB, WEB]);
    const byId = new Map(
      rows.map(({ tags, ...rest }) => [rest.instanceId, rest]),
    );
    for (const record of inventory.instances) {
      expect(record).toEqual(byId.get(record.instanceId));
    }
    expect(rows.find(r => r.instanceId === 'i-4')!.tags).toEqual({
      environment: 'staging',
      'aws:autoscaling:groupName': 'web-asg',
    });
    expect(inventory.instances[0]).toEqual({
      entityRef: WEB,
      instanceId: 'i-1',
      environment: 'production',
      region: 'us-east-1',
      imageId: 'ami-1',
      launchTime: '2026-11-20T10:00:00.000Z',
      state: 'running',
      asg: 'web-asg',
      sshExposure: 'restricted',
      sshSources: ['10.0.0.0/8'],
      firstSeenAt: inventory.sync!.lastSuccessAt,
      lastSeenAt: inventory.sync!.lastSuccessAt,
    });
  });

  it('keeps the rows of an unchanged fleet and moves when they were last seen', async () => {
    const { knex, fleet } = await setup();
    await fleet.replaceInventory(web);
    const before = await fleet.getInventory(WEB);
    const ids = await knex('instances').select('id').orderBy('id');
    await tick();

    await fleet.replaceInventory(web);
    const after = await fleet.getInventory(WEB);
    expect(await knex('instances').select('id').orderBy('id')).toEqual(ids);
    expect(after.sync!.lastSuccessAt! > before.sync!.lastSuccessAt!).toBe(true);
    expect(after.sync!.lastAttemptAt).toBe(after.sync!.lastSuccessAt);
    expect(after.instances).toEqual(
      before.instances.map(i => ({
        ...i,
        lastSeenAt: after.sync!.lastSuccessAt,
      })),
    );
    const rows = await fleet.findInstancesByImage(['ami-1']);
    expect(rows.map(r => [r.firstSeenAt, r.lastSeenAt])).toEqual(
      rows.map(() => [before.sync!.lastSuccessAt, after.sync!.lastSuccessAt]),
    );
  });

  it('replaces a changed fleet, keeping when each instance still there was first seen', async () => {
    const { fleet } = await setup();
    await fleet.replaceInventories([web, api]);
    const first = (await fleet.getInventory(WEB)).sync!.lastSuccessAt;
    await tick();

    await fleet.replaceInventories([
      {
        ...web,
        instances: [
          instance('i-1', { environment: 'production', imageId: 'ami-2' }),
          instance('i-5', { environment: 'production' }),
        ],
      },
      api,
    ]);
    const inventory = await fleet.getInventory(WEB);
    const now = inventory.sync!.lastSuccessAt;
    expect(
      inventory.instances.map(i => [i.instanceId, i.imageId, i.firstSeenAt]),
    ).toEqual([
      ['i-1', 'ami-2', first],
      ['i-5', 'ami-1', now],
    ]);
    expect(
      (await fleet.findInstancesByImage(['ami-1', 'ami-2'])).map(r => [
        r.instanceId,
        r.imageId,
        r.lastSeenAt,
      ]),
    ).toEqual([
      ['i-9', 'ami-1', now],
      ['i-1', 'ami-2', now],
      ['i-5', 'ami-1', now],
    ]);
  });

  it('keeps the facts read beyond EC2, an unknown one with why, in the document as in the rows', async () => {
    const { fleet } = await setup();
    const denied = `AccessDeniedException: ${'x'.repeat(400)}`;
    await fleet.replaceInventory({
      ...web,
      instances: [
        {
          ...instance('i-1', { environment: 'production' }),
          metadataHttpTokens: 'optional',
          systemsManager: { status: 'unmanaged' },
          logs: {
            group: '/aws/ec2/web',
            status: 'read',
            lastEventAt: '2026-11-26T11:00:00.000Z',
          },
          session: {
            status: 'read',
            id: 'alice-0a1b',
            owner: 'arn:aws:iam::123456789012:user/alice',
            startedAt: '2026-11-26T09:30:00.000Z',
          },
        },
        {
          ...instance('i-2', { environment: 'production' }),
          metadataHttpTokens: 'required',
          systemsManager: { status: 'unknown', error: denied },
          logs: {
            group: '/aws/ec2/web',
            status: 'unknown',
            error: 'Throttled',
          },
          session: { status: 'read' },
        },
      ],
    });
    const inventory = await fleet.getInventory(WEB);
    const byId = new Map(inventory.instances.map(i => [i.instanceId, i]));
    expect(byId.get('i-1')).toMatchObject({
      metadataHttpTokens: 'optional',
      systemsManager: { status: 'unmanaged' },
      logs: {
        group: '/aws/ec2/web',
        status: 'read',
        lastEventAt: '2026-11-26T11:00:00.000Z',
      },
      session: {
        status: 'read',
        id: 'alice-0a1b',
        owner: 'arn:aws:iam::123456789012:user/alice',
        startedAt: '2026-11-26T09:30:00.000Z',
      },
    });
    // The reason is kept, bounded.
    expect(byId.get('i-2')).toMatchObject({
      metadataHttpTokens: 'required',
      systemsManager: { status: 'unknown', error: denied.slice(0, 300) },
      logs: { group: '/aws/ec2/web', status: 'unknown', error: 'Throttled' },
      session: { status: 'read' },
    });
    const rows = await fleet.findInstancesByImage(['ami-1']);
    for (const { tags, ...row } of rows) {
      expect(row).toEqual(byId.get(row.instanceId));
    }
  });

  it('keeps a session once seen on an instance, when it is no longer listed or the list cannot be read', async () => {
    const { fleet } = await setup();
    const seen = {
      status: 'read' as const,
      id: 'alice-0a1b',
      owner: 'arn:aws:iam::123456789012:user/alice',
      startedAt: '2026-11-26T09:30:00.000Z',
    };
    const withSessions = (
      one: InventoryUpdate['instances'][number]['session'],
      two: InventoryUpdate['instances'][number]['session'],
    ): InventoryUpdate => ({
      ...web,
      instances: [
        { ...instance('i-1'), session: one },
        { ...instance('i-2'), session: two },
      ],
    });
    await fleet.replaceInventory(withSessions(seen, { status: 'read' }));
    await fleet.replaceInventory(
      withSessions({ status: 'read' }, { status: 'unknown', error: 'denied' }),
    );
    let sessions = (await fleet.getInventory(WEB)).instances.map(i => [
      i.instanceId,
      i.session,
    ]);
    expect(sessions).toEqual([
      ['i-1', seen],
      ['i-2', { status: 'unknown', error: 'denied' }],
    ]);
    await fleet.replaceInventory(
      withSessions({ status: 'unknown', error: 'denied' }, { status: 'read' }),
    );
    sessions = (await fleet.getInventory(WEB)).instances.map(i => [
      i.instanceId,
      i.session,
    ]);
    expect(sessions).toEqual([
      ['i-1', seen],
      ['i-2', { status: 'read' }],
    ]);
    // A later session replaces it.
    const later = {
      ...seen,
      id: 'bob-9z',
      startedAt: '2026-11-27T08:00:00.000Z',
    };
    await fleet.replaceInventory(withSessions(later, { status: 'read' }));
    expect((await fleet.getInventory(WEB)).instances[0].session).toEqual(later);
  });

  it('writes all the inventories of a call or none', async () => {
    const { fleet } = await setup();
    await fleet.replaceInventory(web);
    const before = await fleet.getInventory(WEB);
    const error = await fleet
      .replaceInventories([
        { ...web, instances: [instance('i-7')] },
        // The same instance twice: its rows cannot be written.
        { ...api, instances: [instance('i-8'), instance('i-8')] },
      ])
      .then(
        () => undefined,
        // Not toThrow: a driver's error may come from another realm of the
        // test runner, and is then not recognised as an Error.
        (e: unknown) => e,
      );
    expect(isUniqueViolation(error)).toBe(true);
    expect(await fleet.getInventory(WEB)).toEqual(before);
    expect(await fleet.getInventory(API)).toEqual({
      instances: [],
      launchTemplates: [],
      autoscalingGroups: [],
    });
  });
});
