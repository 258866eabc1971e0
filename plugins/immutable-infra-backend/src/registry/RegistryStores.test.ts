import { Knex } from 'knex';
import { createTestDatabases } from '../__testUtils__/databases';
import { migrateForTests } from '../__testUtils__/migrate';
import { digestOf, ImageBuild } from './manifest';
import { createRegistryStores, RegistryStores } from './RegistryStores';

jest.setTimeout(120_000);

const databases = createTestDatabases();

let amiCounter = 0;
function ami() {
  amiCounter += 1;
  return `ami-${amiCounter.toString(16).padStart(17, '0')}`;
}

function build(family: string, extra: Partial<ImageBuild> = {}): ImageBuild {
  return {
    family,
    artifacts: [{ region: 'us-east-1', imageId: ami() }],
    gitCommit: 'abc1234',
    buildInputs: {},
    ...extra,
  };
}

describe.each(databases.eachSupportedId())('image registry on %p', id => {
  let knex: Knex;
  let store: RegistryStores;

  beforeEach(async () => {
    knex = await databases.init(id);
    await migrateForTests(knex);
    store = createRegistryStores(knex);
    for (const name of ['base', 'app']) {
      await store.families.enrollFamily({
        name,
        entityRef: `component:default/${name}`,
        actor: 'user:default/ada',
      });
    }
  });

  async function register(b: ImageBuild) {
    const result = await store.versions.registerVersion({
      build: b,
      digest: digestOf(b),
      source: 'registered',
      actor: 'user:default/ada',
    });
    if (result.outcome !== 'created' && result.outcome !== 'existing') {
      throw new Error(`unexpected ${result.outcome}`);
    }
    return result.version;
  }

  it('numbers versions per family and is idempotent by digest', async () => {
    const first = build('app');
    const v1 = await register(first);
    const v2 = await register(build('app'));
    const b1 = await register(build('base'));
    expect([v1.id, v2.id, b1.id]).toEqual(['app@1', 'app@2', 'base@1']);
    expect(v1).toMatchObject({
      family: 'app',
      version: 1,
      fingerprint: 'abc1234',
      gitCommit: 'abc1234',
      digest: digestOf(first),
      source: 'registered',
      state: 'active',
      artifacts: [
        {
          provider: 'aws',
          region: 'us-east-1',
          imageId: first.artifacts[0].imageId,
        },
      ],
    });
    const again = await store.versions.registerVersion({
      build: first,
      digest: digestOf(first),
      source: 'registered',
      actor: 'user:default/ada',
    });
    expect(again).toMatchObject({
      outcome: 'existing',
      version: { id: 'app@1' },
    });
    const audits = await knex('audit_events').where({
      action: 'image.register',
    });
    expect(audits).toHaveLength(3);
  });

  it('refuses an AMI that another version holds, and an unknown family', async () => {
    const first = build('app');
    await register(first);
    const clash = build('app', {
      artifacts: first.artifacts,
      gitCommit: 'def5678',
    });
    await expect(
      store.versions.registerVersion({
        build: clash,
        digest: digestOf(clash),
        source: 'registered',
        actor: 'a',
      }),
    ).resolves.toEqual({
      outcome: 'artifact-taken',
      imageId: first.artifacts[0].imageId,
      version: 'app@1',
    });
    const unknown = build('nope');
    await expect(
      store.versions.registerVersion({
        build: unknown,
        digest: digestOf(unknown),
        source: 'registered',
        actor: 'a',
      }),
    ).resolves.toEqual({ outcome: 'unknown-family' });
  });

  it('hands out numbers without gaps or duplicates under concurrent registration', async () => {
    const builds = Array.from({ length: 20 }, () => build('app'));
    // Every build registered twice at once: 20 versions, numbered 1..20.
    const results = await Promise.all(
      [...builds, ...builds].map(b =>
        store.versions.registerVersion({
          build: b,
          digest: digestOf(b),
          source: 'registered',
          actor: 'a',
        }),
      ),
    );
    expect(results.filter(r => r.outcome === 'created')).toHaveLength(20);
    const rows = await knex('image_versions')
      .where({ family: 'app' })
      .orderBy('version');
    expect(rows.map(r => r.version)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
  });

  it('answers artifact-taken, not an error, when two families race for one AMI', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, () => ami()).flatMap(imageId =>
        ['app', 'base'].map(family => {
          const b = build(family, {
            artifacts: [{ region: 'us-east-1', imageId }],
          });
          return store.versions.registerVersion({
            build: b,
            digest: digestOf(b),
            source: 'registered',
            actor: 'a',
          });
        }),
      ),
    );
    expect(results.filter(r => r.outcome === 'created')).toHaveLength(10);
    expect(results.filter(r => r.outcome === 'artifact-taken')).toHaveLength(
      10,
    );
  });

  it('assigns a brand-new channel from concurrent callers without an error', async () => {
    await register(build('app'));
    await register(build('app'));
    const results = await Promise.all(
      [1, 2, 1, 2].map(version =>
        store.channels.assignChannel({
          family: 'app',
          channel: 'canary',
          version,
          actor: 'a',
        }),
      ),
    );
    expect(
      results.every(r => r.outcome === 'changed' || r.outcome === 'unchanged'),
    ).toBe(true);
    const history = await store.channels.listAssignments({
      family: 'app',
      channel: 'canary',
      limit: 10,
    });
    expect(history.items.length).toBeGreaterThan(0);
  });

  it('keeps latest on the version built last when discovery numbers an older AMI after it', async () => {
    const DAY = 86_400_000;
    const registered = await register(
      build('app', { builtAt: new Date(Date.now() - DAY) }),
    );
    const old = build('app', { builtAt: new Date(Date.now() - 30 * DAY) });
    const discovered = await store.versions.registerVersion({
      build: old,
      digest: digestOf(old),
      source: 'discovered',
      actor: 'immutable-infra:discovery',
    });
    expect(discovered.outcome).toBe('created');
    expect(registered.version).toBe(1);
    const channels = await store.channels.listChannels('app');
    expect(channels[0]).toEqual({
      name: 'latest',
      managed: true,
      version: 'app@1',
    });
    expect(
      (await store.versions.getVersion({ family: 'app', version: 1 }))
        ?.channels,
    ).toEqual(['latest']);
    expect(
      (await store.versions.getVersion({ family: 'app', version: 2 }))
        ?.channels,
    ).toEqual([]);
  });

  it('pages versions newest first with a cursor', async () => {
    for (let i = 0; i < 7; i++) {
      await register(build('app'));
    }
    const first = await store.versions.listVersions({
      family: 'app',
      limit: 3,
    });
    expect(first.items.map(v => v.version)).toEqual([7, 6, 5]);
    expect(first.items[0].channels).toEqual(['latest']);
    const second = await store.versions.listVersions({
      family: 'app',
      limit: 3,
      cursor: first.nextCursor,
    });
    expect(second.items.map(v => v.version)).toEqual([4, 3, 2]);
    const last = await store.versions.listVersions({
      family: 'app',
      limit: 3,
      cursor: second.nextCursor,
    });
    expect(last.items.map(v => v.version)).toEqual([1]);
    expect(last.nextCursor).toBeUndefined();
  });

  it('finds a version by AMI id and reports ancestry', async () => {
    const base1 = await register(build('base'));
    const app1 = await register(
      build('app', { parent: base1.artifacts[0].imageId }),
    );
    const orphan = await register(
      build('app', { parent: 'ami-0000000000000ffff' }),
    );
    const plain = await register(build('app'));
    expect(app1.parentVersion).toBe('base@1');
    expect(app1.ancestry).toEqual({
      status: 'up-to-date',
      detail: 'built on base@1, the newest base',
    });
    expect(orphan.ancestry?.status).toBe('undetermined');
    expect(plain.ancestry).toBeUndefined();

    await register(build('base'));
    const after = await store.versions.getVersion({
      imageId: app1.artifacts[0].imageId,
    });
    expect(after?.id).toBe('app@1');
    expect(after?.ancestry).toEqual({
      status: 'out-of-date',
      detail: 'built on base@1; base@2 is newer',
    });
  });

  it('revokes with descendants and restores, recording who and why', async () => {
    const base = await register(build('base'));
    const child = await register(build('app', { parent: 'base@1' }));
    const grandchild = await register(
      build('app', { parent: child.artifacts[0].imageId }),
    );
    const unrelated = await register(build('app'));

    const alone = await store.lifecycle.setRevoked({
      version: base,
      revoked: true,
      descendants: false,
      reason: 'CVE-2026-0001',
      actor: 'user:default/ada',
    });
    expect(alone.map(v => v.id)).toEqual(['base@1']);
    expect(alone[0]).toMatchObject({
      state: 'revoked',
      revokeReason: 'CVE-2026-0001',
      revokedBy: 'user:default/ada',
    });
    expect(alone[0].revokedAt).toBeDefined();
    // A child of a revoked parent is out of date.
    expect(
      (await store.versions.getVersion({ family: 'app', version: 1 }))?.ancestry
        ?.status,
    ).toBe('out-of-date');

    const cascade = await store.lifecycle.setRevoked({
      version: base,
      revoked: true,
      descendants: true,
      reason: 'CVE-2026-0001',
      actor: 'user:default/ada',
    });
    expect(cascade.map(v => v.id).sort()).toEqual(
      [child.id, grandchild.id].sort(),
    );
    expect(
      (
        await store.versions.getVersion({
          family: 'app',
          version: unrelated.version,
        })
      )?.state,
    ).toBe('active');

    const restored = await store.lifecycle.setRevoked({
      version: base,
      revoked: false,
      descendants: true,
      actor: 'user:default/grace',
    });
    expect(restored.map(v => v.id).sort()).toEqual([
      'app@1',
      'app@2',
      'base@1',
    ]);
    expect(restored.every(v => v.state === 'active' && !v.revokeReason)).toBe(
      true,
    );
    const audits = await knex('audit_events').whereIn('action', [
      'image.revoke',
      'image.restore',
    ]);
    expect(audits).toHaveLength(6);
  });

  it('assigns channels with history, keeps latest managed, and rolls back', async () => {
    const v1 = await register(build('app'));
    const v2 = await register(build('app'));
    const v3 = await register(build('app'));

    let channels = await store.channels.listChannels('app');
    expect(channels).toEqual([
      { name: 'latest', managed: true, version: 'app@3' },
    ]);

    await store.channels.assignChannel({
      family: 'app',
      channel: 'production',
      version: 1,
      actor: 'user:default/ada',
    });
    await store.channels.assignChannel({
      family: 'app',
      channel: 'production',
      version: 2,
      actor: 'user:default/ada',
      reason: 'promote',
    });
    const same = await store.channels.assignChannel({
      family: 'app',
      channel: 'production',
      version: 2,
      actor: 'user:default/ada',
    });
    expect(same.outcome).toBe('unchanged');
    await store.channels.assignChannel({
      family: 'app',
      channel: 'staging',
      version: 3,
      actor: 'user:default/ada',
    });

    channels = await store.channels.listChannels('app');
    expect(channels.map(c => [c.name, c.version])).toEqual([
      ['latest', 'app@3'],
      ['production', 'app@2'],
      ['staging', 'app@3'],
    ]);
    expect(
      (await store.versions.getVersion({ family: 'app', version: 3 }))
        ?.channels,
    ).toEqual(['latest', 'staging']);

    const history = await store.channels.listAssignments({
      family: 'app',
      channel: 'production',
      limit: 10,
    });
    expect(history.items.map(a => [a.kind, a.from, a.to, a.reason])).toEqual([
      ['assign', 'app@1', 'app@2', 'promote'],
      ['assign', undefined, 'app@1', undefined],
    ]);

    const rolled = await store.channels.rollbackChannel({
      family: 'app',
      channel: 'production',
      actor: 'user:default/grace',
    });
    expect(rolled).toMatchObject({
      outcome: 'changed',
      channel: { version: 'app@1' },
    });
    const back = await store.channels.rollbackChannel({
      family: 'app',
      channel: 'production',
      assignmentId: history.items[0].id,
      actor: 'user:default/grace',
    });
    expect(back).toMatchObject({
      outcome: 'changed',
      channel: { version: 'app@2' },
    });
    const full = await store.channels.listAssignments({
      family: 'app',
      limit: 10,
    });
    expect(full.items[0]).toMatchObject({
      kind: 'rollback',
      from: 'app@1',
      to: 'app@2',
      actor: 'user:default/grace',
    });

    // A revoked version cannot be assigned, and latest skips it.
    await store.lifecycle.setRevoked({
      version: v3,
      revoked: true,
      descendants: false,
      reason: 'bad',
      actor: 'a',
    });
    const refused = await store.channels.assignChannel({
      family: 'app',
      channel: 'production',
      version: 3,
      actor: 'a',
    });
    expect(refused.outcome).toBe('unusable');
    expect((await store.channels.listChannels('app'))[0].version).toBe('app@2');
    expect(v1.id).toBe('app@1');
    expect(v2.id).toBe('app@2');

    const nothing = await store.channels.rollbackChannel({
      family: 'app',
      channel: 'dev',
      actor: 'a',
    });
    expect(nothing.outcome).toBe('no-target');
  });
});
