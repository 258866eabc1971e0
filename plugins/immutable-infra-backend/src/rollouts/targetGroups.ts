import { InputError, ServiceUnavailableError } from '@backstage/errors';
import { RolloutFleet } from '@immutable-infra/backstage-plugin-common';
import { RolloutProvider } from '../providers/RolloutProvider';

/**
 * The fleets with the target groups of `immutable-infra.io/target-groups`
 * on their standalone instances (a group's come from the group itself):
 * the annotation's ARNs of the fleet's region, its names looked up there.
 * A name not found stops the plan, and so does AWS out of reach: a fleet
 * is never rolled out past target groups nobody could check.
 *
 * @internal
 */
export async function withTargetGroups(options: {
  provider: Pick<RolloutProvider, 'targetGroupArns'>;
  fleets: RolloutFleet[];
  account?: string;
  targetGroups: string[];
}): Promise<RolloutFleet[]> {
  const { provider, fleets, account, targetGroups } = options;
  if (targetGroups.length === 0) {
    return fleets;
  }
  const arns = targetGroups.filter(g => g.startsWith('arn:'));
  const names = targetGroups.filter(g => !g.startsWith('arn:'));
  return Promise.all(
    fleets.map(async fleet => {
      if (fleet.kind !== 'instances') {
        return fleet;
      }
      const { region } = fleet;
      let found: Map<string, string>;
      try {
        found = await provider.targetGroupArns({ region, account, names });
      } catch (error) {
        throw new ServiceUnavailableError(
          `Could not look up the target groups ${names.join(
            ', ',
          )} in ${region}: ${(error as Error).message}`,
        );
      }
      const missing = names.filter(n => !found.has(n));
      if (missing.length > 0) {
        throw new InputError(
          `immutable-infra.io/target-groups names ${missing.join(
            ', ',
          )}, which ${
            missing.length === 1 ? 'does' : 'do'
          } not exist in ${region}`,
        );
      }
      return {
        ...fleet,
        targetGroupArns: [
          ...arns.filter(arn => arn.split(':')[3] === region),
          ...names.map(n => found.get(n)!),
        ],
      };
    }),
  );
}
