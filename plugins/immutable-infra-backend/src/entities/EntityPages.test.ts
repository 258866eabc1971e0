import { mockCredentials } from '@backstage/backend-test-utils';
import { createTestDatabases } from '../__testUtils__/databases';
import { migrateForTests } from '../__testUtils__/migrate';
import { DatabaseAuditLog } from '../audit/AuditLog';
import { EntityAccess } from '../catalog/EntityAccess';
import { DatabaseEntitySnapshotStore } from '../catalog/EntitySnapshotStore';
import { FleetAnalyzer } from '../drift/FleetAnalyzer';
import { DatabaseFleetStore } from '../fleet/DatabaseFleetStore';
import { DatabaseFindingLifetimeStore } from '../fleet/FindingLifetimeStore';
import { createRegistryStores } from '../registry/RegistryStores';
import { ANALYSIS_REUSE_MS, EntityPages } from './EntityPages';
import { EntityReadCache } from './EntityReadCache';
import { EntityReadModel } from './EntityReadModel';

jest.setTimeout(60_000);

const databases = createTestDatabases();

const ACTOR = 'user:default/grace';
const WEB = { kind: 'component', namespace: 'default', name: 'web' };
const AMI = 'ami-0000000000000000a';
const DAY = 86_400_000;
const LAUNCHED = Date.parse('2026-12-01T00:00:00Z');

describe.each(databases.eachSupportedId())('EntityPages on %p', id => {
  async function setup() {
    const knex = await databases.init(id);
    await migrateForTests(knex);
    const stores = createRegistryStores(knex);
    const fleet = DatabaseFleetStore.create({ knex });
    await stores.families.enrollFamily({
      name: 'web',
      entityRef: 'component:default/web',
      actor: ACTOR,
    });
    await stores.versions.registerVersion({
      build: {
        family: 'web',
        gitCommit: 'aaa1',
        artifacts: [{ region: 'us-east-1', imageId: AMI }],
        buildInputs: {},
      },
      digest: AMI,
      source: 'registered',
      actor: ACTOR,
    });
    await DatabaseEntitySnapshotStore.create({ knex }).putSnapshot({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name: 'web',
        namespace: 'default',
        annotations: {
          'immutable-infra.io/image-family': 'web',
          'immutable-infra.io/environments': 'production',
        },
      },
      spec: { type: 'service', owner: 'group:default/team', lifecycle: 'x' },
    });
    const sync = (instanceIds: string[]) =>
      fleet.replaceInventory({
        entityRef: 'component:default/web',
        instances: instanceIds.map(instanceId => ({
          instanceId,
          region: 'us-east-1',
          imageId: AMI,
          environment: 'production',
          state: 'running',
          launchTime: new Date(LAUNCHED),
          sshExposure: 'none' as const,
          sshSources: [],
          tags: {},
        })),
        launchTemplates: [],
        autoscalingGroups: [],
      });
    const clock = { now: LAUNCHED };
    const analyzer = new FleetAnalyzer({
      policy: { maxImageAgeDays: 90, maxInstanceAgeDays: 1 },
      syncPeriodMs: undefined,
    });
    const analyze = jest.spyOn(analyzer, 'analyze');
    const access = {
      mayRead: async (refs: string[]) => refs.map(() => true),
    } as unknown as EntityAccess;
    const lifetimes = DatabaseFindingLifetimeStore.create({ knex });
    const pages = new EntityPages({
      access,
      readModel: new EntityReadCache(EntityReadModel.create({ knex })),
      stores,
      auditLog: DatabaseAuditLog.create({ knex }),
      analyzer,
      policy: { maxImageAgeDays: 90 },
      lifetimes,
      now: () => clock.now,
    });
    return { pages, sync, clock, analyze, lifetimes };
  }

  const credentials = mockCredentials.user();
  const tooOld = (drift: { groups: { rule: string; count: number }[] }) =>
    drift.groups.find(g => g.rule === 'instance-too-old')?.count ?? 0;

  it('analyses a read once for every page, and again for a new sync', async () => {
    const { pages, sync, analyze } = await setup();
    await sync(['i-1', 'i-2']);
    const summary = await pages.summary(WEB, credentials);
    expect(summary.fleet?.instances).toBe(2);
    const drift = await pages.drift(WEB, credentials);
    expect(drift.counts).toMatchObject({ critical: 0 });
    const page = await pages.instances(WEB, { limit: 1 }, credentials);
    expect(page).toMatchObject({ total: 2, nextCursor: '1' });
    await pages.imageAge(WEB, credentials);
    expect(analyze).toHaveBeenCalledTimes(1);

    await sync(['i-1', 'i-2', 'i-3']);
    await expect(
      pages.instances(WEB, { limit: 25 }, credentials),
    ).resolves.toMatchObject({ total: 3 });
    expect(analyze).toHaveBeenCalledTimes(2);
  });

  it('dates the findings a page shows, and each group by all its open findings', async () => {
    const { pages, sync, clock, lifetimes } = await setup();
    await sync(['i-1', 'i-2', 'i-3']);
    clock.now = LAUNCHED + 2 * DAY;
    const found = await pages.drift(WEB, credentials);
    const [group] = found.groups.filter(g => g.rule === 'instance-too-old');
    expect(group.count).toBe(3);
    // Found one by one, the last first.
    for (const [n, finding] of [...group.findings].reverse().entries()) {
      await lifetimes.record({
        entityRef: 'component:default/web',
        at: new Date(LAUNCHED + DAY + n * 60_000).toISOString(),
        open: [{ ...finding, seenBy: 'poll' }],
        close: [],
      });
    }
    const page = await pages.drift(WEB, credentials, { findingsPerGroup: 1 });
    const [shown] = page.groups.filter(g => g.rule === 'instance-too-old');
    expect(shown.count).toBe(3);
    expect(shown.findings).toEqual([
      expect.objectContaining({
        instanceId: group.findings[0].instanceId,
        firstSeenAt: new Date(LAUNCHED + DAY + 2 * 60_000).toISOString(),
      }),
    ]);
    expect(shown.firstSeenAt).toBe(new Date(LAUNCHED + DAY).toISOString());
    expect(page.lifetime).toMatchObject({
      open: 3,
      oldestOpenSince: new Date(LAUNCHED + DAY).toISOString(),
    });
  });

  it(`shows what time changes at most ${
    ANALYSIS_REUSE_MS / 1000
  } s late, and a sync at once`, async () => {
    const { pages, sync, clock } = await setup();
    await sync(['i-1']);
    // Ten seconds before the instance passes its age limit.
    clock.now = LAUNCHED + DAY - 10_000;
    expect(tooOld(await pages.drift(WEB, credentials))).toBe(0);
    // Past it, the analysis of ten seconds ago still answers...
    clock.now = LAUNCHED + DAY + 10_000;
    expect(tooOld(await pages.drift(WEB, credentials))).toBe(0);
    clock.now = LAUNCHED + DAY - 10_000 + ANALYSIS_REUSE_MS - 1;
    expect(tooOld(await pages.drift(WEB, credentials))).toBe(0);
    // ...until it is that old.
    clock.now = LAUNCHED + DAY - 10_000 + ANALYSIS_REUSE_MS;
    expect(tooOld(await pages.drift(WEB, credentials))).toBe(1);
    const imageAge = await pages.imageAge(WEB, credentials);
    expect(imageAge.environments[0]).toMatchObject({
      environment: 'production',
    });

    // A new sync is a new read: analysed at once.
    clock.now = LAUNCHED + DAY - 10_000;
    await sync(['i-1']);
    expect(tooOld(await pages.drift(WEB, credentials))).toBe(0);
    clock.now = LAUNCHED + DAY + 1;
    await sync(['i-1']);
    expect(tooOld(await pages.drift(WEB, credentials))).toBe(1);
  });
});
