import {
  DriftFinding,
  DriftResponse,
} from '@immutable-infra/backstage-plugin-common';
import { withDriftLifetime } from './driftLifetime';
import { FindingLifetime } from './FindingLifetimeStore';

const NOW = Date.parse('2026-12-06T12:00:00.000Z');
const at = (hoursAgo: number) =>
  new Date(NOW - hoursAgo * 3_600_000).toISOString();

function finding(instanceId: string): DriftFinding {
  return {
    rule: 'ssh-open',
    rootCause: 'ssh-open:world',
    severity: 'critical',
    instanceId,
    environment: 'production',
    detail: `${instanceId} accepts ssh from anywhere`,
    fix: 'close port 22',
  } as DriftFinding;
}

function view(instanceIds: string[]): DriftResponse {
  const findings = instanceIds.map(finding);
  return {
    entityRef: 'component:default/web',
    counts: { critical: findings.length, high: 0, medium: 0, low: 0 },
    groups: [
      {
        rootCause: 'ssh-open:world',
        rule: 'ssh-open',
        severity: 'critical',
        summary: `${findings.length} instances accept ssh from anywhere`,
        fix: 'close port 22',
        count: findings.length,
        instanceIds,
        findings,
        environments: ['production'],
      },
    ],
    sync: { status: 'ok', stale: false },
  } as DriftResponse;
}

const open = (instanceId: string, hoursAgo: number) => ({
  rule: 'ssh-open',
  rootCause: 'ssh-open:world',
  instanceId,
  firstSeenAt: at(hoursAgo),
});

function gone(hoursAgo: number, livedSeconds: number, automatic: boolean) {
  const goneAt = NOW - hoursAgo * 3_600_000;
  return {
    id: `${hoursAgo}`,
    entityRef: 'component:default/web',
    rule: 'ssh-open',
    rootCause: 'ssh-open:world',
    instanceId: 'i-old',
    firstSeenAt: new Date(goneAt - livedSeconds * 1000).toISOString(),
    seenBy: 'event',
    goneAt: new Date(goneAt).toISOString(),
    goneBy: 'replaced',
    automatic,
  } satisfies FindingLifetime;
}

describe('withDriftLifetime', () => {
  const ids = ['i-1', 'i-2', 'i-3', 'i-4'];
  const lives = [open('i-1', 1), open('i-2', 2), open('i-4', 30)];
  const openGroups = [
    {
      rule: 'ssh-open',
      rootCause: 'ssh-open:world',
      count: 3,
      firstSeenAt: at(30),
    },
    // A group no longer found (the next sync closes it) counts as open.
    {
      rule: 'key-pair',
      rootCause: 'key-pair:ops',
      count: 2,
      firstSeenAt: at(40),
    },
  ];

  it('dates each finding and its group, and counts the open ones', () => {
    const answer = withDriftLifetime({
      view: view(ids),
      openGroups,
      open: lives,
      gone: [],
      now: NOW,
    });
    const [group] = answer.groups;
    expect(group.findings.map(f => [f.instanceId, f.firstSeenAt])).toEqual([
      ['i-1', at(1)],
      ['i-2', at(2)],
      ['i-3', undefined],
      ['i-4', at(30)],
    ]);
    expect(group.firstSeenAt).toBe(at(30));
    expect(answer.lifetime).toMatchObject({
      open: 5,
      oldestOpenSince: at(40),
    });
  });

  it('keeps a few findings a group, and the group dated by all its open ones', () => {
    const whole = view(ids);
    const answer = withDriftLifetime({
      view: whole,
      openGroups,
      // The lives of the findings shown, as looked up.
      open: lives.slice(0, 2),
      gone: [],
      now: NOW,
      findingsPerGroup: 2,
    });
    const [group] = answer.groups;
    expect(group.findings.map(f => f.instanceId)).toEqual(['i-1', 'i-2']);
    expect(group.instanceIds).toEqual(['i-1', 'i-2']);
    // The oldest finding is not among those shown: the group still says it.
    expect(group.firstSeenAt).toBe(at(30));
    expect(group.count).toBe(4);
    expect(answer.lifetime?.open).toBe(5);
    // The view it was made from is left whole (it serves other requests).
    expect(whole.groups[0].findings).toHaveLength(4);
    expect(whole.groups[0].findings[0].firstSeenAt).toBeUndefined();
  });

  it('gives the lives of findings gone per window', () => {
    const answer = withDriftLifetime({
      view: view([]),
      openGroups: [],
      open: [],
      gone: [
        gone(24, 60, true),
        gone(48, 120, true),
        gone(72, 600, false),
        gone(24 * 60, 3600, false),
      ],
      now: NOW,
    });
    expect(answer.lifetime).toEqual({
      open: 0,
      oldestOpenSince: undefined,
      windows: [
        expect.objectContaining({
          days: 30,
          gone: 3,
          p50Seconds: 120,
          erasedAutomatically: 2,
        }),
        expect.objectContaining({
          days: 90,
          gone: 4,
          erasedAutomatically: 2,
        }),
      ],
    });
  });
});
