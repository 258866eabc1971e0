import { mockServices } from '@backstage/backend-test-utils';
import {
  DriftFinding,
  DriftResponse,
  parseRemediationPolicy,
} from '@immutable-infra/backstage-plugin-common';
import { createTestDatabases } from '../__testUtils__/databases';
import { migrateForTests } from '../__testUtils__/migrate';
import { groupFindings } from '../drift/grouping';
import { DatabaseRolloutStore } from '../rollouts/DatabaseRolloutStore';
import { REMEDIATION_ACTOR } from '../rollouts/RolloutReplacements';
import { NewRollout } from '../rollouts/RolloutStore';
import { DatabaseRemediationStore } from './RemediationStore';
import { Remediator, RemediatorOptions } from './Remediator';

jest.setTimeout(60_000);

const databases = createTestDatabases();

const WEB = 'component:default/web';
// Wednesday 2026-06-10 12:00 in Paris.
const NOON = new Date('2026-06-10T10:00:00.000Z');
const later = (minutes: number) => new Date(NOON.getTime() + minutes * 60_000);

function sshOpen(instanceId: string, environment = 'production'): DriftFinding {
  return {
    rule: 'ssh-open',
    severity: 'critical',
    instanceId,
    region: 'us-east-1',
    environment,
    detail: `${instanceId} allows SSH (port 22) from 0.0.0.0/0: the whole internet.`,
    fix: 'Remove the port 22 rule.',
    rootCause: 'ssh-open:world',
  };
}

function sshKey(instanceId: string): DriftFinding {
  return {
    ...sshOpen(instanceId),
    rule: 'ssh-key',
    severity: 'medium',
    rootCause: 'ssh-key:ops',
  };
}

describe.each(databases.eachSupportedId())('Remediator on %p', id => {
  async function setup(options: {
    policy: string;
    alarms?: string;
    defaultPolicy?: string;
    maxConcurrent?: number;
  }) {
    const knex = await databases.init(id);
    await migrateForTests(knex);
    const rolloutStore = DatabaseRolloutStore.create({ knex });
    const store = DatabaseRemediationStore.create({ knex });
    let findings: DriftFinding[] = [];
    const alarms = new Map<string, { state: string }>();
    const notices: { title: string; scope?: string }[] = [];
    const starts: { environment: string; rootCause: string; reason: string }[] =
      [];
    let counter = 0;
    const annotations: Record<string, string> = {
      'immutable-infra.io/image-family': 'web',
      'immutable-infra.io/launch-template': 'lt-web',
      ...(options.policy
        ? { 'immutable-infra.io/remediation': options.policy }
        : {}),
      ...(options.alarms
        ? { 'immutable-infra.io/rollout-alarms': options.alarms }
        : {}),
    };
    const drift = async (entityRef: string): Promise<DriftResponse> => ({
      entityRef,
      counts: { critical: 0, high: 0, medium: 0, low: 0 },
      groups: groupFindings(findings),
      sync: { status: 'ok', stale: false },
    });
    const remediatorOptions: RemediatorOptions = {
      store,
      entities: async () => [{ entityRef: WEB, name: 'web', annotations }],
      drift,
      activeRollout: async (entityRef, environment) =>
        Boolean(await rolloutStore.findActive(entityRef, environment)),
      startRollout: async start => {
        counter += 1;
        const rolloutId = `00000000-0000-4000-8000-${String(counter).padStart(
          12,
          '0',
        )}`;
        await rolloutStore.create({
          rollout: {
            id: rolloutId,
            entityRef: start.entityRef,
            environment: start.environment,
            family: 'web',
            toVersion: 'web@2',
            movesChannel: false,
            strategy: 'replaceDrifted',
            state: 'pending',
            currentStep: 0,
            promoted: false,
            createdBy: REMEDIATION_ACTOR,
            plan: { fleets: [], steps: [] },
          } as unknown as NewRollout,
          events: [],
          audit: [],
        });
        starts.push(start);
        return { id: rolloutId, toVersion: 'web@2' };
      },
      alarmStates: async ({ names }) =>
        new Map(
          names
            .filter(n => alarms.has(n))
            .map(n => [n, alarms.get(n)!] as const),
        ),
      defaultPolicy: parseRemediationPolicy(options.defaultPolicy ?? 'off'),
      maxConcurrent: options.maxConcurrent ?? 2,
      notify: async n => {
        notices.push({ title: n.payload.title, scope: n.payload.scope });
      },
      logger: mockServices.logger.mock(),
    };
    const remediator = new Remediator(remediatorOptions);
    /** The rollout ends as the engine would end it. */
    const end = async (rolloutId: string, state = 'succeeded') => {
      const r = (await rolloutStore.get(rolloutId))!;
      await rolloutStore.update(rolloutId, r.revision, {
        state: state as 'succeeded',
        release: true,
      });
    };
    return {
      knex,
      store,
      remediator,
      rolloutStore,
      starts,
      notices,
      alarms,
      end,
      setFindings: (f: DriftFinding[]) => {
        findings = f;
      },
      view: async (now: Date) =>
        remediator.describe({
          view: await drift(WEB),
          annotations: {
            fleetSelector: [],
            environments: ['production'],
            stateful: false,
            ...(options.policy
              ? { remediation: parseRemediationPolicy(options.policy) }
              : {}),
          },
          now,
        }),
    };
  }

  it('starts a replace-drifted rollout of a root cause the policy names, as the remediation, once, and tells the owner', async () => {
    const t = await setup({ policy: 'auto:ssh-open' });
    t.setFindings([sshOpen('i-1'), sshOpen('i-2', 'staging'), sshKey('i-3')]);
    const first = await t.remediator.tick(NOON);
    expect(t.starts).toEqual([
      {
        entityRef: WEB,
        environment: 'production',
        rootCause: 'ssh-open:world',
        reason:
          'auto-remediation of ssh-open (ssh-open:world) by policy "auto:ssh-open"',
        payload: {
          autoRemediation: {
            rule: 'ssh-open',
            rootCause: 'ssh-open:world',
            policy: 'auto:ssh-open',
            policySource: 'annotation',
          },
        },
      },
      expect.objectContaining({ environment: 'staging' }),
    ]);
    expect(first.started).toHaveLength(2);
    // ssh-key is not named: it stays for a person.
    expect(t.starts.some(s => s.rootCause === 'ssh-key:ops')).toBe(false);
    expect(t.notices[0].title).toBe(
      'web: automatic replacement of ssh-open:world in production',
    );
    const audit = await t.knex('audit_events').where({
      action: 'remediation.start',
    });
    expect(audit).toHaveLength(2);
    expect(audit[0].actor).toBe(REMEDIATION_ACTOR);

    // While they run, nothing more starts.
    await t.remediator.tick(later(1));
    expect(t.starts).toHaveLength(2);

    const view = await t.view(later(1));
    expect(view.remediation).toMatchObject({
      source: 'annotation',
      summary: 'automatic (ssh-open), at most 5 a day',
      startedToday: 2,
    });
    const byCause = new Map(view.groups.map(g => [g.rootCause, g]));
    expect(byCause.get('ssh-open:world')!.remediation).toMatchObject({
      mode: 'automatic',
      rollout: { state: 'pending', environment: expect.any(String) },
    });
    expect(byCause.get('ssh-key:ops')!.remediation).toEqual({
      mode: 'manual',
    });
  });

  it('never starts while a rollout alarm of the entity is in ALARM, or cannot be read', async () => {
    const t = await setup({ policy: 'auto:ssh-open', alarms: 'web-5xx' });
    t.setFindings([sshOpen('i-1')]);
    const missing = await t.remediator.tick(NOON);
    expect(t.starts).toEqual([]);
    expect(missing.waiting.get(`${WEB} ssh-open:world production`)).toBe(
      'alarm web-5xx cannot be read',
    );
    t.alarms.set('web-5xx', { state: 'ALARM' });
    const alarmed = await t.remediator.tick(later(1));
    expect(t.starts).toEqual([]);
    expect(alarmed.waiting.get(`${WEB} ssh-open:world production`)).toBe(
      'alarm web-5xx is in ALARM',
    );
    t.alarms.set('web-5xx', { state: 'OK' });
    await t.remediator.tick(later(2));
    expect(t.starts).toHaveLength(1);
  });

  it('never starts while another rollout of the environment is active', async () => {
    const t = await setup({ policy: 'auto:ssh-open' });
    await t.rolloutStore.create({
      rollout: {
        id: '00000000-0000-4000-8000-00000000ffff',
        entityRef: WEB,
        environment: 'production',
        family: 'web',
        toVersion: 'web@3',
        movesChannel: true,
        strategy: 'canary',
        state: 'running',
        currentStep: 0,
        promoted: false,
        createdBy: 'user:default/ada',
        plan: { fleets: [], steps: [] },
      } as unknown as NewRollout,
      events: [],
      audit: [],
    });
    t.setFindings([sshOpen('i-1')]);
    const result = await t.remediator.tick(NOON);
    expect(t.starts).toEqual([]);
    expect(result.waiting.get(`${WEB} ssh-open:world production`)).toBe(
      'another rollout of production is active',
    );
  });

  it('starts only inside its window, read in its time zone', async () => {
    const t = await setup({
      policy: 'auto:ssh-open; window=mon-fri 13:00-14:00 Europe/Paris',
    });
    t.setFindings([sshOpen('i-1')]);
    // 12:00 in Paris.
    const before = await t.remediator.tick(NOON);
    expect(before.waiting.get(`${WEB} ssh-open:world production`)).toBe(
      'outside the window',
    );
    expect((await t.view(NOON)).remediation?.windowOpen).toBe(false);
    expect((await t.view(NOON)).groups[0].remediation?.waiting).toBe(
      'outside the window',
    );
    // 13:00 in Paris.
    await t.remediator.tick(later(60));
    expect(t.starts).toHaveLength(1);
  });

  it('starts at most max-per-day automatic rollouts of an entity in a day', async () => {
    const t = await setup({ policy: 'auto:ssh-open,ssh-key; max-per-day=1' });
    t.setFindings([sshOpen('i-1'), sshKey('i-2')]);
    const result = await t.remediator.tick(NOON);
    expect(t.starts.map(s => s.rootCause)).toEqual(['ssh-open:world']);
    await t.end(result.started[0].rolloutId);
    // The replacement erased i-1's drift; ssh-key waits: one a day.
    t.setFindings([sshKey('i-2')]);
    const next = await t.remediator.tick(later(10));
    expect(t.starts).toHaveLength(1);
    expect(next.waiting.get(`${WEB} ssh-key:ops production`)).toBe(
      '1 automatic rollouts in the last day',
    );
    // A day after the first, it may start.
    await t.remediator.tick(later(24 * 60 + 1));
    expect(t.starts.map(s => s.rootCause)).toEqual([
      'ssh-open:world',
      'ssh-key:ops',
    ]);
  });

  it('runs at most maxConcurrent automatic rollouts at once per account and region', async () => {
    const t = await setup({
      policy: 'auto:ssh-open,ssh-key',
      maxConcurrent: 1,
    });
    t.setFindings([sshOpen('i-1'), sshKey('i-2')]);
    const result = await t.remediator.tick(NOON);
    // Both are production in us-east-1: one rollout, and the environment is
    // held too.
    expect(t.starts).toHaveLength(1);
    await t.end(result.started[0].rolloutId);
    await t.remediator.tick(later(1));
    expect(t.starts).toHaveLength(2);
  });

  it('stops automation for a root cause that comes back twice within a day, naming the likely source', async () => {
    const t = await setup({ policy: 'auto:ssh-open' });
    t.setFindings([sshOpen('i-1')]);
    const first = await t.remediator.tick(NOON);
    await t.end(first.started[0].rolloutId);
    // The inventory still shows i-1 until the next sync: nothing new.
    await t.remediator.tick(later(1));
    expect(t.starts).toHaveLength(1);
    // The twin drifts the same way: a first recurrence is replaced again.
    t.setFindings([sshOpen('i-2')]);
    const second = await t.remediator.tick(later(5));
    expect(second.started).toHaveLength(1);
    await t.end(second.started[0].rolloutId);
    // The second recurrence stops automation.
    t.setFindings([sshOpen('i-3')]);
    const third = await t.remediator.tick(later(10));
    expect(third.started).toEqual([]);
    expect(third.stopped).toEqual([
      { entityRef: WEB, rootCause: 'ssh-open:world' },
    ]);
    await t.remediator.tick(later(11));
    expect(t.starts).toHaveLength(2);
    const group = (await t.view(later(11))).groups[0];
    expect(group.remediation).toMatchObject({
      mode: 'stopped',
      stopped: {
        reason: `ssh-open:world came back after 2 automatic replacements within a day (${first.started[0].rolloutId}, ${second.started[0].rolloutId}): drift that replacement cannot fix`,
        likelySource: expect.stringContaining(
          'a security group the fleet shares (attached by the launch template lt-web)',
        ),
      },
    });
    expect(t.notices.at(-1)!.title).toBe(
      'web: ssh-open:world is drift that replacement cannot fix',
    );
    // Once the drift is gone, automation resumes.
    t.setFindings([]);
    await t.remediator.tick(later(20));
    t.setFindings([sshOpen('i-4')]);
    expect((await t.remediator.tick(later(21))).stopped).toHaveLength(1);
  });

  it('does not start again after its automatic rollout failed', async () => {
    const t = await setup({ policy: 'auto:ssh-open' });
    t.setFindings([sshOpen('i-1')]);
    const first = await t.remediator.tick(NOON);
    await t.end(first.started[0].rolloutId, 'failed');
    const next = await t.remediator.tick(later(1));
    expect(t.starts).toHaveLength(1);
    expect(next.waiting.get(`${WEB} ssh-open:world *`)).toBe(
      `the automatic rollout ${first.started[0].rolloutId} failed`,
    );
  });

  it('in observe mode records what it would replace, once per set of instances, and replaces nothing', async () => {
    const t = await setup({ policy: 'observe' });
    t.setFindings([sshOpen('i-1'), sshKey('i-2')]);
    const first = await t.remediator.tick(NOON);
    expect(t.starts).toEqual([]);
    expect(first.observed.map(o => o.rootCause).sort()).toEqual([
      'ssh-key:ops',
      'ssh-open:world',
    ]);
    expect((await t.remediator.tick(later(1))).observed).toEqual([]);
    t.setFindings([sshOpen('i-1'), sshOpen('i-5'), sshKey('i-2')]);
    expect((await t.remediator.tick(later(2))).observed).toEqual([
      { entityRef: WEB, rootCause: 'ssh-open:world' },
    ]);
    const audit = await t.knex('audit_events').where({
      action: 'remediation.observe',
    });
    expect(audit).toHaveLength(3);
    expect(JSON.parse(audit[2].payload)).toMatchObject({
      rootCause: 'ssh-open:world',
      instanceIds: ['i-1', 'i-5'],
      policy: 'observe',
    });
    const group = (await t.view(later(3))).groups.find(
      g => g.rootCause === 'ssh-open:world',
    )!;
    expect(group.remediation).toMatchObject({
      mode: 'observe',
      observed: { instanceIds: ['i-1', 'i-5'] },
    });
  });

  it('follows the organisation default where the entity has no policy, off by default', async () => {
    const off = await setup({ policy: '' });
    off.setFindings([sshOpen('i-1')]);
    await off.remediator.tick(NOON);
    expect(off.starts).toEqual([]);
    const on = await setup({ policy: '', defaultPolicy: 'auto:ssh-open' });
    on.setFindings([sshOpen('i-1')]);
    await on.remediator.tick(NOON);
    expect(on.starts).toHaveLength(1);
  });
});
