import { Entity } from '@backstage/catalog-model';
import { AdoptionSnapshot } from './AdoptionStore';

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
    takenAt: '2026-12-01T06:00:00.000Z',
    ...change,
  };
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
