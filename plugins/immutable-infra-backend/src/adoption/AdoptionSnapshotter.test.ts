import { Entity } from '@backstage/catalog-model';
import request from 'supertest';
import { createTestDatabases } from '../__testUtils__/databases';
import { createRouterTestApp } from '../__testUtils__/routerTestApp';
import { FleetProvider } from '../providers/FleetProvider';
import { snapshot } from './testSnapshots.testUtil';
import { driftFigures, lifetimeStep } from './AdoptionSnapshotter';

jest.setTimeout(60_000);

const databases = createTestDatabases();

const relation = (type: string, targetRef: string) => ({ type, targetRef });

const ENTITIES: Entity[] = [
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'System',
    metadata: { name: 'shop', namespace: 'default' },
    spec: { owner: 'group:default/team-a', domain: 'commerce' },
    relations: [relation('partOf', 'domain:default/commerce')],
  },
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: 'web',
      namespace: 'default',
      annotations: {
        'immutable-infra.io/image-family': 'web',
        'immutable-infra.io/environments': 'staging,production',
        'immutable-infra.io/max-image-age-days': '20',
      },
    },
    spec: { type: 'website', lifecycle: 'production', owner: 'team-a' },
    relations: [
      relation('ownedBy', 'group:default/team-a'),
      relation('partOf', 'system:default/shop'),
    ],
  },
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'legacy', namespace: 'default' },
    spec: { type: 'service', lifecycle: 'deprecated', owner: 'team-b' },
    relations: [relation('ownedBy', 'group:default/team-b')],
  },
];

/** web's fleet: two instances on the production channel's AMI, one on the old one. */
const fleet: FleetProvider = {
  listInstances: async location =>
    [
      ['i-1', 'ami-0b0b0b0b0b0b0b0b0', 'production'],
      ['i-2', 'ami-0b0b0b0b0b0b0b0b0', 'production'],
      ['i-3', 'ami-0a0a0a0a0a0a0a0a0', 'staging'],
    ].map(([instanceId, imageId, environment]) => ({
      instanceId,
      region: location.region,
      imageId,
      state: 'running',
      sshExposure: 'none' as const,
      sshSources: [],
      tags: { environment, 'immutable-infra:service': 'web' },
    })),
  getLaunchTemplateDefault: async () => undefined,
  describeAutoScalingGroups: async () => [],
};

describe.each(databases.eachSupportedId())('AdoptionSnapshotter on %p', id => {
  it("writes a row per component: owner, system and domain from its relations; an enrolled one's level, findings, channel share and image age", async () => {
    const knex = await databases.init(id);
    const { app, services } = await createRouterTestApp(ENTITIES, {
      knex,
      fleetProvider: fleet,
    });
    await request(app)
      .post('/families')
      .send({ name: 'web', entityRef: 'component:default/web' })
      .expect(201);
    for (const imageId of ['ami-0a0a0a0a0a0a0a0a0', 'ami-0b0b0b0b0b0b0b0b0']) {
      await request(app)
        .post('/images')
        .send({ family: 'web', artifacts: [{ region: 'us-east-1', imageId }] })
        .expect(201);
    }
    await request(app)
      .put('/families/web/channels/production')
      .send({ version: 2 })
      .expect(200);
    await request(app)
      .post('/sync')
      .send({ entityRef: 'component:default/web' })
      .expect(200);

    // Thirty days after the images were registered.
    const now = new Date(Date.now() + 30 * 86_400_000);
    const result = await services.adoptionSnapshotter.run(now);
    const day = now.toISOString().slice(0, 10);
    expect(result).toEqual({ day, components: 2, enrolled: 1, backfilled: 0 });

    const rows = await services.adoptionStore.listDay(day, {
      entityRefs: 'all',
    });
    expect(rows.map(r => r.entityRef)).toEqual([
      'component:default/legacy',
      'component:default/web',
    ]);
    const [legacy, web] = rows;
    expect(legacy).toMatchObject({
      owner: 'group:default/team-b',
      system: undefined,
      lifecycle: 'deprecated',
      enrolled: false,
      level: undefined,
      instances: 0,
    });
    expect(web).toMatchObject({
      owner: 'group:default/team-a',
      system: 'system:default/shop',
      domain: 'domain:default/commerce',
      type: 'website',
      lifecycle: 'production',
      enrolled: true,
      instances: 3,
      // Only production has a channel; both its instances run it.
      instancesOnChannel: 2,
      imageAgeDays: 30,
      imageAgePolicyDays: 20,
    });
    // Today, its summary says what its snapshot says.
    const today = await services.adoptionSnapshotter.run(new Date());
    const [, webToday] = await services.adoptionStore.listDay(today.day, {
      entityRefs: 'all',
    });
    const summary = await request(app).get(
      '/entities/component/default/web/summary',
    );
    expect(webToday.level).toBe(summary.body.fleet.score.level);
    expect(webToday.score).toBe(summary.body.fleet.score.score);
    expect(webToday.findings).toEqual(summary.body.fleet.counts);
    expect(webToday.passingChecks).toEqual(
      summary.body.fleet.score.checks
        .filter((c: { status: string }) => c.status === 'pass')
        .map((c: { id: string }) => c.id),
    );
    expect(webToday.imageAgeDays).toBe(0);

    // Rebuilt from the records: before the family was registered web was
    // not enrolled yet; from that day on, it was, on the versions built by then.
    const rebuilt = await services.adoptionSnapshotter.run(now, {
      backfillDays: 31,
    });
    expect(rebuilt.backfilled).toBe(31);
    const dayBefore = new Date(Date.now() - 86_400_000)
      .toISOString()
      .slice(0, 10);
    const [, webBefore] = await services.adoptionStore.listDay(dayBefore, {
      entityRefs: 'all',
    });
    expect(webBefore).toMatchObject({ enrolled: false, instances: 0 });
    const [, webThen] = await services.adoptionStore.listDay(today.day, {
      entityRefs: 'all',
    });
    expect(webThen).toMatchObject({
      enrolled: true,
      instances: 3,
      instancesOnChannel: 2,
      imageAgeDays: 0,
    });

    // A second run the same day replaces the day's rows.
    await services.adoptionSnapshotter.run(now);
    expect(
      await services.adoptionStore.listDay(day, { entityRefs: 'all' }),
    ).toHaveLength(2);
  });

  it('fills in, on its first run, the figures of days written before they were kept', async () => {
    const knex = await databases.init(id);
    const { services } = await createRouterTestApp(ENTITIES, {
      knex,
      fleetProvider: fleet,
    });
    await services.adoptionStore.writeDay('2026-10-01', [
      snapshot('component:default/web', { day: '2026-10-01' }),
    ]);
    await knex('adoption_daily_figures').delete();
    await services.adoptionSnapshotter.run(new Date());
    const range = { from: '2026-10-01', to: '2026-10-01' };
    expect(await services.adoptionStore.dailyFigures(range)).toEqual(
      await services.adoptionStore.historyFigures({
        ...range,
        filter: { entityRefs: 'all' },
      }),
    );
  });
});

describe('driftFigures', () => {
  const at = Date.parse('2026-12-31T23:59:59.999Z');
  const life = (
    goneAt: string,
    minutes: number,
    gone: {
      goneBy: 'replaced' | 'terminated' | 'resolved';
      automatic?: boolean;
    },
  ) => ({
    id: goneAt,
    entityRef: 'component:default/web',
    rule: 'ssh-open',
    rootCause: 'ssh-open:world',
    instanceId: 'i-1',
    firstSeenAt: new Date(Date.parse(goneAt) - minutes * 60_000).toISOString(),
    seenBy: 'poll' as const,
    goneAt,
    ...gone,
  });

  it('takes the lives gone in the 30 days before, rounded up to the ladder, and counts those an automatic rollout erased', () => {
    const figures = driftFigures(
      [
        life('2026-12-30T10:00:00.000Z', 0.1, {
          goneBy: 'replaced',
          automatic: true,
        }),
        life('2026-12-20T10:00:00.000Z', 7, {
          goneBy: 'replaced',
          automatic: false,
        }),
        life('2026-12-10T10:00:00.000Z', 3 * 60 + 1, { goneBy: 'resolved' }),
        // Exactly 30 days before: out of the window.
        life('2026-12-01T23:59:59.999Z', 1, { goneBy: 'terminated' }),
        // After the moment of the snapshot (a rebuilt day): not yet gone.
        life('2027-01-01T00:00:00.000Z', 1, { goneBy: 'terminated' }),
      ],
      at,
    );
    expect(figures).toEqual({
      // 1 (a few seconds), 10 (7 min), 240 (3 h 1 min).
      lifetimeP50Minutes: 10,
      lifetimeP95Minutes: 240,
      gone: 3,
      erasedAutomatically: 1,
    });
    expect(driftFigures([], at)).toEqual({
      lifetimeP50Minutes: undefined,
      lifetimeP95Minutes: undefined,
      gone: 0,
      erasedAutomatically: 0,
    });
  });

  it('rounds a lifetime up to its step, whole days beyond one', () => {
    expect([0, 1, 1.01, 44, 61, 1440, 1441, 4000].map(lifetimeStep)).toEqual([
      1, 1, 2, 45, 90, 1440, 2880, 4320,
    ]);
  });
});
