import { defineDriftRule } from './DriftRuleDefinition';
import { instancesPhrase } from './wording';

/**
 * The fleet selectors of this entity and of others match the instance: it
 * is in both inventories, counted by each, and a rollout of either would
 * replace it. A finding on each entity, naming the others.
 *
 * @internal
 */
export const ownedTwice = defineDriftRule({
  id: 'owned-twice',
  severity: 'high',
  fails: [],
  evaluate: {
    instance: ({ instance }) =>
      instance.ownedAlsoBy && instance.ownedAlsoBy.length > 0
        ? { instance, others: instance.ownedAlsoBy }
        : undefined,
  },
  detail: ({ instance, others }) =>
    `${instance.instanceId} is also in the fleet of ${others.join(
      ', ',
    )}: the fleet selectors of both match its tags, so each counts it as its own.`,
  rootCause: ({ others }) => `owned-twice:${others.join(', ')}`,
  fix: ({ others }) =>
    `Make the fleet selectors (immutable-infra.io/fleet-selector) of this entity and ${others.join(
      ', ',
    )} disjoint, or retag the instance so that one of them matches it.`,
  summary: ({ count, cause }) => {
    const { n, verb } = instancesPhrase(count);
    return `${n} ${verb('is', 'are')} also in the fleet of ${cause}`;
  },
});
