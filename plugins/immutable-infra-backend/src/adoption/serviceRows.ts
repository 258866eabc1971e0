import {
  ADOPTION_LEVELS,
  AdoptionQuery,
  AdoptionService as AdoptionServiceRow,
} from '@immutable-infra/backstage-plugin-common';
import { AdoptionSnapshot } from './types';

/** A service of the view, as the API (and the CSV) shows it. @internal */
export function serviceRow(s: AdoptionSnapshot): AdoptionServiceRow {
  return {
    entityRef: s.entityRef,
    owner: s.owner,
    system: s.system,
    domain: s.domain,
    type: s.type,
    lifecycle: s.lifecycle,
    enrolled: s.enrolled,
    level: s.level,
    score: s.score,
    passingChecks: s.passingChecks,
    criticalFindings: s.findings.critical,
    instances: s.instances,
    instancesOnChannel: s.instancesOnChannel,
    imageAgeDays: s.imageAgeDays,
    imageAgePolicyDays: s.imageAgePolicyDays,
    driftLifetimeP50Minutes: s.drift.lifetimeP50Minutes,
    driftLifetimeP95Minutes: s.drift.lifetimeP95Minutes,
    findingsGone: s.drift.gone,
    findingsErasedAutomatically: s.drift.erasedAutomatically,
  };
}

/** The value a service sorts by; none sorts last either way. */
function sortValue(
  s: AdoptionSnapshot,
  sort: AdoptionQuery['sort'],
): string | number | undefined {
  switch (sort) {
    case 'owner':
      return s.owner;
    case 'level':
      // Best first.
      return s.level ? ADOPTION_LEVELS.indexOf(s.level) : undefined;
    case 'score':
      return s.score;
    case 'imageAgeDays':
      return s.imageAgeDays;
    case 'criticalFindings':
      return s.findings.critical;
    default:
      return s.entityRef;
  }
}

/** How the services of the view sort; ties by entity ref. */
function compareBy(sort: AdoptionQuery['sort']) {
  return (a: AdoptionSnapshot, b: AdoptionSnapshot) => {
    const [x, y] = [sortValue(a, sort), sortValue(b, sort)];
    if (x !== y) {
      // No value sorts last either way.
      if (x === undefined) return 1;
      if (y === undefined) return -1;
      return x < y ? -1 : 1;
    }
    return a.entityRef < b.entityRef ? -1 : 1;
  };
}

/**
 * The services in the view's order; descending keeps those without a value
 * last.
 *
 * @internal
 */
export function orderServices(
  rows: AdoptionSnapshot[],
  query: Pick<AdoptionQuery, 'sort' | 'order'>,
): AdoptionSnapshot[] {
  const { sort } = query;
  const ascending = [...rows].sort(compareBy(sort));
  if (query.order === 'asc') {
    return ascending;
  }
  if (sort === 'entityRef') {
    return ascending.reverse();
  }
  const withValue = ascending.filter(s => sortValue(s, sort) !== undefined);
  const without = ascending.filter(s => sortValue(s, sort) === undefined);
  return [...withValue.reverse(), ...without];
}
