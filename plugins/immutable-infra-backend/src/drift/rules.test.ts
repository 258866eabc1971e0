import { ImageVersion } from '@immutable-infra/backstage-plugin-common';
import { groupFindings } from './grouping';
import { DriftInput, evaluateDrift } from './rules';
import { scoreEntity } from './score';
import { ActiveRollout, InstanceRecord } from './types';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-26T12:00:00Z');
const iso = (daysAgo: number) => new Date(NOW - daysAgo * DAY).toISOString();

function version(n: number, extra: Partial<ImageVersion> = {}): ImageVersion {
  return {
    id: `app@${n}`,
    family: 'app',
    version: n,
    fingerprint: `c${n}`,
    digest: 'd',
    gitCommit: `c${n}`,
    source: 'registered',
    state: 'active',
    createdAt: iso(5),
    artifacts: [{ provider: 'aws', region: 'us-east-1', imageId: `ami-${n}` }],
    channels: [],
    ...extra,
  };
}

function instance(
  id: string,
  extra: Partial<InstanceRecord> = {},
): InstanceRecord {
  return {
    entityRef: 'component:default/app',
    instanceId: id,
    environment: 'production',
    region: 'us-east-1',
    imageId: 'ami-2',
    launchTime: iso(1),
    state: 'running',
    sshExposure: 'none',
    sshSources: [],
    metadataHttpTokens: 'required',
    tags: {},
    firstSeenAt: iso(1),
    lastSeenAt: iso(0),
    ...extra,
  };
}

function input(extra: Partial<DriftInput> = {}): DriftInput {
  const versions = [version(1), version(2), version(3)];
  return {
    annotations: {
      imageFamily: 'app',
      fleetSelector: [],
      environments: ['staging', 'production'],
      stateful: false,
    },
    policy: { maxImageAgeDays: 30, maxInstanceAgeDays: 14 },
    instances: [instance('i-1')],
    versionsByImage: new Map(versions.map(v => [v.artifacts[0].imageId, v])),
    channels: [
      { name: 'latest', managed: true, version: 'app@3' },
      { name: 'production', managed: false, version: 'app@2' },
      { name: 'staging', managed: false, version: 'app@3' },
    ],
    channelVersions: new Map(versions.map(v => [v.id, v])),
    launchTemplates: [],
    autoscalingGroups: [],
    syncPeriodMs: 5 * 60_000,
    now: NOW,
    ...extra,
  };
}

const rules = (i: DriftInput) => evaluateDrift(i).map(f => f.rule);

describe('drift rules', () => {
  it('finds nothing for a clean fleet on its channel image', () => {
    expect(evaluateDrift(input())).toEqual([]);
  });

  it('revoked-image: critical, with version, age of revocation, reason and the channel', () => {
    const revoked = version(1, {
      state: 'revoked',
      revokedAt: iso(3),
      revokeReason: 'CVE-2026-1',
    });
    const findings = evaluateDrift(
      input({
        instances: [instance('i-0abc', { imageId: 'ami-1' })],
        versionsByImage: new Map([['ami-1', revoked]]),
      }),
    );
    expect(findings).toEqual([
      expect.objectContaining({
        rule: 'revoked-image',
        severity: 'critical',
        rootCause: 'revoked-image:app@1',
        detail:
          'i-0abc runs ami-1 (app@1, revoked 3 days ago: CVE-2026-1); the production channel is app@2.',
      }),
    ]);
  });

  it('unregistered-image: an AMI no version of the family has, even if another family registered it', () => {
    expect(
      rules(
        input({ instances: [instance('i-1', { imageId: 'ami-handmade' })] }),
      ),
    ).toEqual(['unregistered-image']);
    const foreign = version(7, { family: 'other', id: 'other@7' });
    expect(
      rules(
        input({
          instances: [instance('i-1', { imageId: 'ami-7' })],
          versionsByImage: new Map([['ami-7', foreign]]),
        }),
      ),
    ).toEqual(['unregistered-image']);
  });

  it('image-mismatch: judged against the environment channel in the instance region; silent with no channel yet', () => {
    expect(
      rules(input({ instances: [instance('i-1', { imageId: 'ami-3' })] })),
    ).toEqual(['image-mismatch']);
    // No channel for the environment: nothing to compare with.
    expect(
      rules(
        input({
          instances: [instance('i-1', { imageId: 'ami-3', environment: 'qa' })],
        }),
      ),
    ).toEqual([]);
    // The channel version has no AMI in the instance's region.
    expect(
      rules(
        input({
          instances: [
            instance('i-1', { imageId: 'ami-3', region: 'eu-west-1' }),
          ],
        }),
      ),
    ).toEqual([]);
    // No environment tag.
    expect(
      rules(
        input({
          instances: [
            instance('i-1', { imageId: 'ami-3', environment: undefined }),
          ],
        }),
      ),
    ).toEqual([]);
  });

  it('image-too-old: fires past the limit, not exactly at it; the annotation overrides the policy', () => {
    const at = (days: number) =>
      input({
        versionsByImage: new Map([
          ['ami-2', version(2, { createdAt: iso(days) })],
        ]),
      });
    expect(rules(at(30))).toEqual([]);
    expect(rules(at(30.0001))).toEqual(['image-too-old']);
    const strict = at(10);
    strict.annotations = { ...strict.annotations, maxImageAgeDays: 7 };
    expect(rules(strict)).toEqual(['image-too-old']);
  });

  it('instance-too-old: fires past the limit, not exactly at it', () => {
    expect(
      rules(input({ instances: [instance('i-1', { launchTime: iso(14) })] })),
    ).toEqual([]);
    expect(
      rules(
        input({ instances: [instance('i-1', { launchTime: iso(14.001) })] }),
      ),
    ).toEqual(['instance-too-old']);
  });

  it('ssh-open: critical from the world (IPv4 or IPv6), high when restricted', () => {
    const world4 = evaluateDrift(
      input({
        instances: [
          instance('i-1', { sshExposure: 'world', sshSources: ['0.0.0.0/0'] }),
        ],
      }),
    );
    const world6 = evaluateDrift(
      input({
        instances: [
          instance('i-1', { sshExposure: 'world', sshSources: ['::/0'] }),
        ],
      }),
    );
    const office = evaluateDrift(
      input({
        instances: [
          instance('i-1', {
            sshExposure: 'restricted',
            sshSources: ['10.0.0.0/8'],
          }),
        ],
      }),
    );
    expect(world4.map(f => [f.rule, f.severity])).toEqual([
      ['ssh-open', 'critical'],
    ]);
    expect(world6[0].detail).toBe(
      'i-1 allows SSH (port 22) from ::/0: the whole internet.',
    );
    expect(office.map(f => [f.rule, f.severity])).toEqual([
      ['ssh-open', 'high'],
    ]);
  });

  it('ssh-key: low', () => {
    expect(
      evaluateDrift(
        input({ instances: [instance('i-1', { keyName: 'ops' })] }),
      ),
    ).toEqual([
      expect.objectContaining({
        rule: 'ssh-key',
        severity: 'low',
        rootCause: 'ssh-key:ops',
      }),
    ]);
  });

  it('launch-template-drift: the default version against the last environment channel', () => {
    const template = {
      id: 'lt-1',
      name: 'app',
      region: 'us-east-1',
      defaultVersion: 4,
    };
    expect(
      rules(input({ launchTemplates: [{ ...template, imageId: 'ami-2' }] })),
    ).toEqual([]);
    const drift = evaluateDrift(
      input({ launchTemplates: [{ ...template, imageId: 'ami-1' }] }),
    );
    // About the last environment in promotion order, whose channel it is
    // judged against.
    expect(drift[0]).toMatchObject({
      rule: 'launch-template-drift',
      severity: 'high',
      environment: 'production',
    });
    expect(drift[0].detail).toContain(
      'the production channel is app@2 (ami-2)',
    );
  });

  describe('Auto Scaling groups', () => {
    const group = (
      name: string,
      launchTemplate: { version: string; imageId?: string },
      region = 'us-east-1',
    ) => ({
      name,
      region,
      minSize: 1,
      maxSize: 4,
      desiredCapacity: 2,
      launchTemplate: {
        id: 'lt-1',
        name: 'app',
        resolvedVersion: 7,
        ...launchTemplate,
      },
      instances: [],
      targetGroupArns: [],
    });

    it('is silent for a group pinned to a version that launches the channel image', () => {
      expect(
        rules(
          input({
            autoscalingGroups: [
              {
                environment: 'production',
                name: 'app-prod',
                region: 'us-east-1',
                group: group('app-prod', { version: '7', imageId: 'ami-2' }),
              },
            ],
          }),
        ),
      ).toEqual([]);
    });

    it('asg-missing: a named group that exists in none of the regions', () => {
      const findings = evaluateDrift(
        input({
          autoscalingGroups: [
            {
              environment: 'production',
              name: 'app-prod',
              region: 'us-east-1',
            },
            {
              environment: 'production',
              name: 'app-prod',
              region: 'eu-west-1',
            },
            {
              environment: 'staging',
              name: 'app-stg',
              region: 'us-east-1',
            },
            {
              environment: 'staging',
              name: 'app-stg',
              region: 'eu-west-1',
              group: group(
                'app-stg',
                { version: '7', imageId: 'ami-3' },
                'eu-west-1',
              ),
            },
          ],
        }),
      );
      expect(findings).toEqual([
        expect.objectContaining({
          rule: 'asg-missing',
          severity: 'high',
          environment: 'production',
          rootCause: 'asg-missing:app-prod',
        }),
      ]);
      expect(findings[0].detail).toContain(
        'The Auto Scaling group app-prod (production), named by immutable-infra.io/autoscaling-group, does not exist in us-east-1, eu-west-1.',
      );
      // Not gold: the fleet check fails on it.
      const score = scoreEntity({
        annotations: input().annotations,
        instances: [instance('i-1')],
        findings,
        versionsByImage: new Map(),
      });
      expect(score.checks.find(c => c.id === 'on-channel-image')?.status).toBe(
        'fail',
      );
    });

    it('asg-missing: one finding for a group that several environments share', () => {
      const findings = evaluateDrift(
        input({
          autoscalingGroups: ['staging', 'production'].map(environment => ({
            environment,
            name: 'app',
            region: 'us-east-1',
          })),
        }),
      );
      expect(findings.map(f => [f.rule, f.environment, f.detail])).toEqual([
        [
          'asg-missing',
          undefined,
          'The Auto Scaling group app (staging, production), named by immutable-infra.io/autoscaling-group, does not exist in us-east-1.',
        ],
      ]);
    });

    it('asg-unpinned: a group on $Latest or $Default', () => {
      for (const floating of ['$Latest', '$Default']) {
        const findings = evaluateDrift(
          input({
            autoscalingGroups: [
              {
                environment: 'production',
                name: 'app-prod',
                region: 'us-east-1',
                group: group('app-prod', {
                  version: floating,
                  imageId: 'ami-2',
                }),
              },
            ],
          }),
        );
        expect(findings).toEqual([
          expect.objectContaining({
            rule: 'asg-unpinned',
            severity: 'medium',
            rootCause: 'asg-unpinned:app-prod:us-east-1',
          }),
        ]);
        expect(findings[0].detail).toContain(
          `the ${floating} version of app (now 7)`,
        );
      }
    });

    it('launch-template-drift: a group whose template version launches another AMI than its environment channel', () => {
      const findings = evaluateDrift(
        input({
          autoscalingGroups: [
            {
              environment: 'staging',
              name: 'app-stg',
              region: 'us-east-1',
              group: group('app-stg', { version: '7', imageId: 'ami-2' }),
            },
          ],
        }),
      );
      expect(findings).toEqual([
        expect.objectContaining({
          rule: 'launch-template-drift',
          severity: 'high',
          environment: 'staging',
          rootCause: 'launch-template-drift:asg:app-stg:us-east-1',
        }),
      ]);
      expect(findings[0].detail).toBe(
        'Auto Scaling group app-stg (staging) launches ami-2 from its launch template app version 7; the staging channel is app@3 (ami-3). New instances would drift.',
      );
    });
  });

  it('stale-inventory: only when the last sync failed and the last success is older than two periods', () => {
    const failed = (lastSuccessMinutesAgo?: number) =>
      rules(
        input({
          sync: {
            entityRef: 'component:default/app',
            status: 'failed',
            lastAttemptAt: iso(0),
            lastSuccessAt:
              lastSuccessMinutesAgo === undefined
                ? undefined
                : new Date(NOW - lastSuccessMinutesAgo * 60_000).toISOString(),
            error: 'AccessDenied',
          },
        }),
      );
    expect(failed(9)).toEqual([]);
    expect(failed(11)).toEqual(['stale-inventory']);
    expect(failed()).toEqual(['stale-inventory']);
  });

  it('stale-inventory: also when no sync ran for two periods, though the last one succeeded', () => {
    const good = (minutesAgo: number, syncPeriodMs = 5 * 60_000) => {
      const at = new Date(NOW - minutesAgo * 60_000).toISOString();
      return evaluateDrift({
        ...input({
          sync: {
            entityRef: 'component:default/app',
            status: 'ok',
            lastAttemptAt: at,
            lastSuccessAt: at,
          },
        }),
        syncPeriodMs,
      }).filter(f => f.rule === 'stale-inventory');
    };
    expect(good(9)).toEqual([]);
    const [stale] = good(11);
    expect(stale.detail).toBe(
      'The last sync ran 11 minutes ago, though syncs run every 5 minutes; the inventory shown is that old.',
    );
    expect(stale.fix).toMatch(/fleet sync task runs/);
    // Syncs only when triggered: a good sync never ages.
    expect(good(60 * 24 * 30, 0)).toEqual([]);
  });

  it('says that a stateful service needs approval to replace', () => {
    const i = input({ instances: [instance('i-1', { keyName: 'ops' })] });
    i.annotations = { ...i.annotations, stateful: true };
    expect(evaluateDrift(i)[0].detail).toMatch(
      /stateful: replacing its instances needs approval/,
    );
  });

  it('groups 300 instances on one revoked version as one problem', () => {
    const revoked = version(1, { state: 'revoked', revokedAt: iso(2) });
    const findings = evaluateDrift(
      input({
        instances: [
          ...Array.from({ length: 300 }, (_, n) =>
            instance(`i-${n}`, { imageId: 'ami-1' }),
          ),
          instance('i-key', { keyName: 'ops' }),
        ],
        versionsByImage: new Map([
          ['ami-1', revoked],
          ['ami-2', version(2)],
        ]),
      }),
    );
    const groups = groupFindings(findings);
    expect(groups.map(g => [g.rule, g.count, g.summary])).toEqual([
      ['revoked-image', 300, '300 instances run the revoked app@1'],
      ['ssh-key', 1, '1 instance carries the key pair ops'],
    ]);
  });
});

describe('rules on facts beyond EC2', () => {
  const HOUR = 3_600_000;
  const at = (msAgo: number) => new Date(NOW - msAgo).toISOString();
  const logged = (extra: Partial<DriftInput> = {}) => {
    const i = input(extra);
    i.annotations = { ...i.annotations, logDestination: 'cloudwatch:/app' };
    return i;
  };

  it('imdsv1-allowed: medium where HttpTokens is not required, or EC2 did not say', () => {
    expect(
      evaluateDrift(
        input({
          instances: [instance('i-1', { metadataHttpTokens: 'optional' })],
        }),
      ),
    ).toEqual([
      expect.objectContaining({
        rule: 'imdsv1-allowed',
        severity: 'medium',
        rootCause: 'imdsv1-allowed:optional',
        detail:
          'i-1 allows instance metadata v1 (HttpTokens is optional, not required).',
      }),
    ]);
    expect(
      evaluateDrift(
        input({
          instances: [instance('i-1', { metadataHttpTokens: undefined })],
        }),
      ),
    ).toEqual([
      expect.objectContaining({
        rule: 'imdsv1-allowed',
        rootCause: 'imdsv1-allowed:unreported',
        detail:
          'i-1 may allow instance metadata v1: EC2 did not report its metadata options.',
      }),
    ]);
    expect(
      groupFindings(
        evaluateDrift(
          input({
            instances: ['i-1', 'i-2'].map(id =>
              instance(id, { metadataHttpTokens: 'optional' }),
            ),
          }),
        ),
      ).map(g => g.summary),
    ).toEqual(['2 instances allow instance metadata v1']);
  });

  it("owned-twice: high on an instance another entity's selector matches too, naming it", () => {
    const shared = instance('i-1', {
      ownedAlsoBy: ['component:default/shop'],
    });
    expect(evaluateDrift(input({ instances: [shared] }))).toEqual([
      expect.objectContaining({
        rule: 'owned-twice',
        severity: 'high',
        instanceId: 'i-1',
        rootCause: 'owned-twice:component:default/shop',
        detail:
          'i-1 is also in the fleet of component:default/shop: the fleet selectors of both match its tags, so each counts it as its own.',
      }),
    ]);
    // No other owner, or an empty list: nothing.
    expect(
      rules(input({ instances: [instance('i-2', { ownedAlsoBy: [] })] })),
    ).toEqual([]);
    expect(
      groupFindings(
        evaluateDrift(
          input({
            instances: ['i-1', 'i-2'].map(id =>
              instance(id, {
                ownedAlsoBy: [
                  'component:default/shop',
                  'component:default/web',
                ],
              }),
            ),
          }),
        ),
      ).map(g => g.summary),
    ).toEqual([
      '2 instances are also in the fleet of component:default/shop, component:default/web',
    ]);
  });

  it('not-managed: low where the policy asks for Systems Manager and it does not list the instance', () => {
    const policy = {
      maxImageAgeDays: 30,
      maxInstanceAgeDays: 14,
      requireSystemsManager: true,
    };
    const unmanaged = instance('i-1', {
      systemsManager: { status: 'unmanaged' },
    });
    expect(evaluateDrift(input({ policy, instances: [unmanaged] }))).toEqual([
      expect.objectContaining({
        rule: 'not-managed',
        severity: 'low',
        rootCause: 'not-managed:unmanaged',
        detail: 'i-1 is not a Systems Manager managed instance.',
      }),
    ]);
    // The policy does not ask: nothing, whatever the fact.
    expect(rules(input({ instances: [unmanaged] }))).toEqual([]);
    // Managed; stopped; launched 10 minutes ago, still registering.
    expect(
      rules(
        input({
          policy,
          instances: [
            instance('i-2', { systemsManager: { status: 'managed' } }),
            instance('i-3', { ...unmanaged, state: 'stopped' }),
            instance('i-4', { ...unmanaged, launchTime: at(10 * 60_000) }),
          ],
        }),
      ),
    ).toEqual([]);
    expect(
      rules(
        input({
          policy,
          instances: [
            instance('i-4', { ...unmanaged, launchTime: at(10 * 60_000 + 1) }),
          ],
        }),
      ),
    ).toEqual(['not-managed']);
    // Could not be read, or not read yet: it does not pass.
    expect(
      evaluateDrift(
        input({
          policy,
          instances: [
            instance('i-5', {
              systemsManager: {
                status: 'unknown',
                error: 'AccessDeniedException: not authorized',
              },
            }),
            instance('i-6'),
          ],
        }),
      ).map(f => [f.rootCause, f.detail]),
    ).toEqual([
      [
        'not-managed:unverified',
        'Whether i-5 is a Systems Manager managed instance could not be verified: AccessDeniedException: not authorized.',
      ],
      [
        'not-managed:unverified',
        'Whether i-6 is a Systems Manager managed instance could not be verified: not read since the policy asked for it.',
      ],
    ]);
  });

  it('logs-not-shipped: high for a running instance past the grace period with no event in the window', () => {
    const silent = instance('i-1', {
      launchTime: at(3 * HOUR),
      logs: { group: '/app', status: 'read', lastEventAt: at(7 * HOUR) },
    });
    expect(evaluateDrift(logged({ instances: [silent] }))).toEqual([
      expect.objectContaining({
        rule: 'logs-not-shipped',
        severity: 'high',
        rootCause: 'logs-not-shipped:/app',
        detail: `i-1 has shipped no log event to /app in the last 6 hours (its last was at ${at(
          7 * HOUR,
        )}): its logs die with it.`,
      }),
    ]);
    expect(
      evaluateDrift(
        logged({
          instances: [
            instance('i-2', {
              launchTime: at(3 * HOUR),
              logs: { group: '/app', status: 'read' },
            }),
          ],
        }),
      ).map(f => f.detail),
    ).toEqual([
      'i-2 has shipped no log event to /app in the last 6 hours: its logs die with it.',
    ]);
    // The boundaries: an event exactly a window ago; exactly at the grace
    // period without any; stopped; another kind of destination.
    expect(
      rules(
        logged({
          instances: [
            instance('i-3', {
              ...silent,
              logs: {
                group: '/app',
                status: 'read',
                lastEventAt: at(6 * HOUR),
              },
            }),
            instance('i-4', {
              launchTime: at(2 * HOUR),
              logs: { group: '/app', status: 'read' },
            }),
            instance('i-5', { ...silent, state: 'stopped' }),
          ],
        }),
      ),
    ).toEqual([]);
    expect(
      rules(
        logged({
          instances: [
            instance('i-3', {
              ...silent,
              logs: {
                group: '/app',
                status: 'read',
                lastEventAt: at(6 * HOUR + 1),
              },
            }),
            instance('i-4', {
              launchTime: at(2 * HOUR + 1),
              logs: { group: '/app', status: 'read' },
            }),
          ],
        }),
      ),
    ).toEqual(['logs-not-shipped', 'logs-not-shipped']);
    const http = input({ instances: [silent] });
    http.annotations = {
      ...http.annotations,
      logDestination: 'http:collector',
    };
    expect(rules(http)).toEqual([]);
    // The policy's grace and window.
    expect(
      rules(
        logged({
          policy: {
            maxImageAgeDays: 30,
            maxInstanceAgeDays: 14,
            logGraceMs: 4 * HOUR,
            logWindowMs: 8 * HOUR,
          },
          instances: [silent],
        }),
      ),
    ).toEqual([]);
  });

  it('logs-not-shipped: a group that could not be read, or another group than the annotation names, does not pass', () => {
    const findings = evaluateDrift(
      logged({
        instances: [
          instance('i-1', {
            logs: {
              group: '/app',
              status: 'unknown',
              error: 'AccessDeniedException: no logs:DescribeLogStreams',
            },
          }),
          instance('i-2', {
            logs: { group: '/old', status: 'read', lastEventAt: at(HOUR) },
          }),
          instance('i-3'),
        ],
      }),
    );
    expect(
      findings.map(f => [f.rule, f.severity, f.rootCause, f.detail]),
    ).toEqual([
      [
        'logs-not-shipped',
        'high',
        'logs-not-shipped:unverified:/app',
        'Whether i-1 ships its logs to /app could not be verified: AccessDeniedException: no logs:DescribeLogStreams.',
      ],
      [
        'logs-not-shipped',
        'high',
        'logs-not-shipped:unverified:/app',
        'Whether i-2 ships its logs to /app could not be verified: the group was not read yet.',
      ],
      [
        'logs-not-shipped',
        'high',
        'logs-not-shipped:unverified:/app',
        'Whether i-3 ships its logs to /app could not be verified: the group was not read yet.',
      ],
    ]);
    expect(groupFindings(findings).map(g => g.summary)).toEqual([
      '3 instances could not be checked for logs in /app',
    ]);
  });

  it('interactive-session: high, naming who opened a session and when', () => {
    const touched = instance('i-1', {
      session: {
        status: 'read',
        id: 'alice-0a1b2c3d',
        owner: 'arn:aws:sts::123456789012:assumed-role/Dev/alice',
        startedAt: '2026-11-26T09:30:00.000Z',
      },
    });
    expect(evaluateDrift(input({ instances: [touched] }))).toEqual([
      expect.objectContaining({
        rule: 'interactive-session',
        severity: 'high',
        rootCause: 'interactive-session:opened',
        detail:
          'arn:aws:sts::123456789012:assumed-role/Dev/alice opened a session on i-1 at 2026-11-26T09:30:00.000Z (Session Manager session alice-0a1b2c3d): it is no longer its image.',
      }),
    ]);
    // An SSH login sshd let in, read from the shipped logs.
    expect(
      evaluateDrift(
        input({
          instances: [
            instance('i-5', {
              session: {
                status: 'read',
                id: 'sshd:37512645012345678901234567890123456789012345678901234567',
                owner: 'ec2-user from 203.0.113.5 (publickey)',
                startedAt: '2026-11-26T10:00:00.000Z',
              },
            }),
          ],
        }),
      ).map(f => [f.rootCause, f.detail]),
    ).toEqual([
      [
        'interactive-session:opened',
        'ec2-user from 203.0.113.5 (publickey) logged in over SSH on i-5 at 2026-11-26T10:00:00.000Z (sshd "Accepted" in its shipped logs): it is no longer its image.',
      ],
    ]);
    // None listed; history not read.
    expect(
      rules(
        input({
          instances: [
            instance('i-2', { session: { status: 'read' } }),
            instance('i-3'),
          ],
        }),
      ),
    ).toEqual([]);
    expect(
      evaluateDrift(
        input({
          instances: [
            instance('i-4', {
              session: {
                status: 'unknown',
                error: 'AccessDeniedException: no ssm:DescribeSessions',
              },
            }),
          ],
        }),
      ).map(f => [f.rootCause, f.severity, f.detail]),
    ).toEqual([
      [
        'interactive-session:unverified',
        'high',
        'Whether anyone opened a session on i-4 could not be verified: AccessDeniedException: no ssm:DescribeSessions.',
      ],
    ]);
    expect(
      groupFindings(
        evaluateDrift(
          input({ instances: [touched, { ...touched, instanceId: 'i-2' }] }),
        ),
      ).map(g => g.summary),
    ).toEqual(['2 instances were opened interactively']);
  });
});

describe('immutability score', () => {
  it('is gold for a clean fleet that ships logs, and names each check', () => {
    const i = input({
      instances: [
        instance('i-1', {
          logs: { group: '/x', status: 'read', lastEventAt: iso(0) },
        }),
      ],
    });
    i.annotations = { ...i.annotations, logDestination: 'cloudwatch:/x' };
    const score = scoreEntity({
      annotations: i.annotations,
      instances: i.instances,
      findings: evaluateDrift(i),
      versionsByImage: i.versionsByImage,
    });
    expect(score.score).toBe(100);
    expect(score.level).toBe('gold');
    expect(score.checks.map(c => c.id)).toEqual([
      'on-channel-image',
      'no-critical-findings',
      'pipeline-images',
      'image-age',
      'no-ssh',
      'logs-off-host',
      'rotation',
    ]);
  });

  it('loses the weights of failed checks, with evidence', () => {
    const i = input({
      instances: [
        instance('i-1', {
          sshExposure: 'world',
          sshSources: ['0.0.0.0/0'],
          launchTime: iso(40),
        }),
      ],
    });
    const score = scoreEntity({
      annotations: i.annotations,
      instances: i.instances,
      findings: evaluateDrift(i),
      versionsByImage: i.versionsByImage,
    });
    // Fails no-critical (20), no-ssh (10), logs (10), rotation (10).
    expect(score.score).toBe(50);
    expect(score.level).toBe('bronze');
    expect(score.checks.find(c => c.id === 'no-ssh')).toMatchObject({
      status: 'fail',
      evidence: expect.stringContaining('i-1 allows SSH'),
    });
  });

  it('logs shipped off-host: verified for CloudWatch Logs, declared for another destination', () => {
    const logsCheck = (destination: string | undefined, i: DriftInput) => {
      i.annotations = { ...i.annotations, logDestination: destination };
      return scoreEntity({
        annotations: i.annotations,
        instances: i.instances,
        findings: evaluateDrift(i),
        versionsByImage: i.versionsByImage,
      }).checks.find(c => c.id === 'logs-off-host');
    };
    const silent = instance('i-1', {
      logs: { group: '/x', status: 'read', lastEventAt: iso(2) },
    });
    expect(
      logsCheck('cloudwatch:/x', input({ instances: [silent] })),
    ).toMatchObject({
      status: 'fail',
      evidence: expect.stringContaining(
        '1 finding: i-1 has shipped no log event to /x',
      ),
    });
    // The annotation alone no longer passes: nothing read yet.
    expect(logsCheck('cloudwatch:/x', input())).toMatchObject({
      status: 'fail',
      evidence:
        '1 finding: Whether i-1 ships its logs to /x could not be verified: the group was not read yet.',
    });
    expect(
      logsCheck(
        'cloudwatch:/x',
        input({
          instances: [
            instance('i-1', {
              logs: { group: '/x', status: 'read', lastEventAt: iso(0) },
            }),
          ],
        }),
      ),
    ).toMatchObject({
      status: 'pass',
      evidence: 'no instance past the grace period is missing logs in /x',
    });
    expect(logsCheck('cloudwatch:/x', input({ instances: [] }))).toMatchObject({
      status: 'unknown',
    });
    expect(
      logsCheck('s3:logs-bucket', input({ instances: [silent] })),
    ).toMatchObject({
      status: 'pass',
      evidence: 'logs go to s3:logs-bucket (declared, not verified)',
    });
    expect(logsCheck(undefined, input())).toMatchObject({
      status: 'fail',
      evidence: 'no immutable-infra.io/log-destination annotation',
    });
  });

  it('knows nothing about a fleet with no instances', () => {
    const i = input({ instances: [] });
    const score = scoreEntity({
      annotations: i.annotations,
      instances: [],
      findings: [],
      versionsByImage: new Map(),
    });
    expect(score.checks.filter(c => c.status === 'unknown')).toHaveLength(6);
    expect(score.level).toBe('none');
  });
});

describe('the fleet-on-channel check while a rollout runs', () => {
  // Production's channel is app@2: two instances still run app@1, one was
  // replaced, and the launch template's default still launches app@1.
  const mixed = input({
    instances: [
      instance('i-1', { imageId: 'ami-1' }),
      instance('i-2', { imageId: 'ami-1' }),
      instance('i-3'),
    ],
    launchTemplates: [
      {
        id: 'lt-1',
        name: 'app',
        region: 'us-east-1',
        defaultVersion: 4,
        imageId: 'ami-1',
      },
    ],
  });

  function rollout(extra: Partial<ActiveRollout> = {}): ActiveRollout {
    return {
      id: 'r-1',
      environment: 'production',
      toVersion: 'app@2',
      state: 'running',
      currentStep: 1,
      steps: [
        { index: 0, kind: 'setWeight', weight: 34, targets: { asg: 1 } },
        { index: 1, kind: 'pause', targets: { asg: 1 } },
        { index: 2, kind: 'setWeight', weight: 100, targets: { asg: 3 } },
      ],
      fleets: [
        {
          key: 'asg',
          kind: 'autoscaling-group',
          region: 'us-east-1',
          name: 'app-prod',
          capacity: 3,
          targetImageId: 'ami-2',
          oldInstanceIds: ['i-1', 'i-2', 'i-0'],
          targetGroupArns: [],
          maxSurge: 1,
          minHealthy: 3,
        },
      ],
      status: [
        {
          key: 'asg',
          newInstances: 1,
          healthyNewInstances: 1,
          oldInstances: 2,
          waiting: {},
          capacity: 3,
        },
      ],
      ...extra,
    };
  }

  const check = (i: DriftInput, rollouts?: ActiveRollout[]) =>
    scoreEntity({
      annotations: i.annotations,
      instances: i.instances,
      findings: evaluateDrift(i),
      versionsByImage: i.versionsByImage,
      rollouts,
    }).checks.find(c => c.id === 'on-channel-image')!;

  it('fails on the mixed fleet when no rollout runs', () => {
    expect(check(mixed)).toMatchObject({
      status: 'fail',
      evidence: expect.stringMatching(/^3 findings: i-1 runs app@1/),
    });
  });

  it('says the environment is rolling out, and how far, instead of failing', () => {
    const verdict = check(mixed, [rollout()]);
    expect(verdict).toEqual(
      expect.objectContaining({
        status: 'pass',
        evidence:
          'production is rolling out to app@2 (rollout r-1): step 2 of 3, pause until promoted; 1 of 3 instances on app@2 and healthy. Its 3 findings on what it is replacing count again if it fails or is aborted.',
      }),
    );
    expect(
      check(mixed, [rollout({ state: 'paused', currentStep: 2 })]).evidence,
    ).toMatch(
      /^production is rolling out to app@2 \(rollout r-1, paused\): step 3 of 3, new version on 100% of the capacity;/,
    );
  });

  it('counts the capacity the fleet wants now, as a scaling policy moved it', () => {
    const scaled = rollout({
      status: [{ ...rollout().status[0], healthyNewInstances: 2, capacity: 5 }],
    });
    expect(check(mixed, [scaled]).evidence).toContain(
      '2 of 5 instances on app@2 and healthy',
    );
  });

  it('fails again once the rollout is aborted or failed and the fleet stays mixed', () => {
    for (const state of ['aborted', 'failed'] as const) {
      expect(check(mixed, [rollout({ state })])).toMatchObject({
        status: 'fail',
        evidence: expect.not.stringContaining('rolling out'),
      });
    }
  });

  it('judges the fleet as it is once the rollout succeeded', () => {
    const done = rollout({ state: 'succeeded', currentStep: 3 });
    expect(check(input(), [done])).toEqual(
      expect.objectContaining({
        status: 'pass',
        evidence: 'all 1 instances pass',
      }),
    );
    expect(check(mixed, [done]).status).toBe('fail');
  });

  it('still fails on what the rollout does not explain: another environment, a revoked image', () => {
    const staging = check(mixed, [rollout({ environment: 'staging' })]);
    expect(staging.status).toBe('fail');
    expect(staging.evidence).toContain(
      '; staging is rolling out to app@2 (rollout r-1)',
    );
    const revoked = input({
      ...mixed,
      versionsByImage: new Map([
        ['ami-1', version(1, { state: 'revoked', revokeReason: 'CVE-1' })],
        ['ami-2', version(2)],
      ]),
    });
    expect(check(revoked, [rollout()])).toMatchObject({
      status: 'fail',
      evidence: expect.stringMatching(
        /^2 findings: i-1 runs ami-1 \(app@1, revoked/,
      ),
    });
  });

  it('excuses a replace-drifted rollout only the instances it replaces', () => {
    const replacing = rollout({
      fleets: [
        { ...rollout().fleets[0], replaceOnly: true, oldInstanceIds: ['i-1'] },
      ],
    });
    const verdict = check(mixed, [replacing]);
    expect(verdict.status).toBe('fail');
    // i-2 and the launch template are not the rollout's.
    expect(verdict.evidence).toMatch(/^2 findings: i-2 runs app@1/);
  });
});
