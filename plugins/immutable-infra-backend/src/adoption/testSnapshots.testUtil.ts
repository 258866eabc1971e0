import { Entity } from '@backstage/catalog-model';
import { AdoptionSnapshot } from './types';

/** A component's snapshot with plain defaults, for tests. */
export function snapshot(
  entityRef: string,
  change: Partial<AdoptionSnapshot> = {},
): AdoptionSnapshot {
  return {
    day: '2026-12-01',
    entityRef,
    owner: 'group:default/team-a',
    system: 'system:default/shop',
    domain: 'domain:default/commerce',
    type: 'service',
    lifecycle: 'production',
    enrolled: true,
    level: 'silver',
    score: 75,
    passingChecks: ['no-ssh'],
    findings: { critical: 0, high: 1, medium: 0, low: 0 },
    instances: 4,
    instancesOnChannel: 3,
    imageAgeDays: 10,
    imageAgePolicyDays: 30,
    rollouts: { succeeded: 1, failed: 0, aborted: 0 },
    drift: { gone: 0, erasedAutomatically: 0 },
    takenAt: '2026-12-01T06:00:00.000Z',
    ...change,
  };
}

/** A spread of snapshots: enrolment, levels, ages, policies, drift lifetimes and nulls mixed. */
export function spread(count: number, day = '2026-12-01'): AdoptionSnapshot[] {
  const levels = ['gold', 'silver', 'bronze', 'none', undefined] as const;
  return Array.from({ length: count }, (_, n) =>
    snapshot(`component:default/svc-${n}`, {
      day,
      enrolled: n % 4 !== 3,
      level: n % 4 !== 3 ? levels[n % 5] : undefined,
      imageAgeDays: n % 6 === 0 ? undefined : (n * 7) % 45,
      imageAgePolicyDays: n % 9 === 0 ? undefined : 20 + (n % 4) * 10,
      instances: n % 5,
      instancesOnChannel: n % 3,
      findings: { critical: n % 7 === 0 ? 1 : 0, high: 0, medium: 0, low: 0 },
      rollouts: { succeeded: n % 2, failed: n % 3 === 0 ? 1 : 0, aborted: 0 },
      drift:
        n % 5 === 0
          ? { gone: 0, erasedAutomatically: 0 }
          : {
              // Steps of the lifetime ladder, as snapshots hold them.
              lifetimeP50Minutes: [5, 30, 120][n % 3],
              lifetimeP95Minutes: [30, 240, 1440][n % 3],
              gone: 1 + (n % 3),
              erasedAutomatically: n % 3 === 0 ? 0 : 1,
            },
    }),
  );
}

/** A catalog group, below `parent` when given (its childOf relation). */
export function group(name: string, parent?: string): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: { name, namespace: 'default' },
    spec: { type: 'team', children: [] },
    relations: parent
      ? [{ type: 'childOf', targetRef: `group:default/${parent}` }]
      : [],
  };
}
