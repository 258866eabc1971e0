import { InputError, ServiceUnavailableError } from '@backstage/errors';
import {
  ANNOTATION_PREVIEW_TARGET_GROUPS,
  RolloutFleet,
} from '@immutable-infra/backstage-plugin-common';
import { RolloutProvider } from '../providers/RolloutProvider';

type TargetGroupReads = Pick<
  RolloutProvider,
  'targetGroupArns' | 'deregistrationDelays'
>;

/**
 * The target groups an annotation gives (ARNs or names) in one region:
 * its ARNs of that region, and its names looked up there; answers the
 * names not found. AWS out of reach is thrown (503): nothing is planned
 * past target groups nobody could check.
 */
async function lookUp(options: {
  provider: Pick<RolloutProvider, 'targetGroupArns'>;
  region: string;
  account?: string;
  refs: string[];
}): Promise<{ arns: string[]; missing: string[] }> {
  const { provider, region, account, refs } = options;
  const names = refs.filter(g => !g.startsWith('arn:'));
  let found = new Map<string, string>();
  if (names.length > 0) {
    try {
      found = await provider.targetGroupArns({ region, account, names });
    } catch (error) {
      throw new ServiceUnavailableError(
        `Could not look up the target groups ${names.join(
          ', ',
        )} in ${region}: ${(error as Error).message}`,
      );
    }
  }
  return {
    arns: [
      ...refs.filter(g => g.startsWith('arn:') && g.split(':')[3] === region),
      ...names.filter(n => found.has(n)).map(n => found.get(n)!),
    ],
    missing: names.filter(n => !found.has(n)),
  };
}

/** "names a, b, which do not exist in region" */
function notFound(
  annotation: string,
  missing: string[],
  region: string,
): string {
  return `${annotation} names ${missing.join(', ')}, which ${
    missing.length === 1 ? 'does' : 'do'
  } not exist in ${region}`;
}

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
  return Promise.all(
    fleets.map(async fleet => {
      if (fleet.kind !== 'instances') {
        return fleet;
      }
      const { region } = fleet;
      const { arns, missing } = await lookUp({
        provider,
        region,
        account,
        refs: targetGroups,
      });
      if (missing.length > 0) {
        throw new InputError(
          notFound('immutable-infra.io/target-groups', missing, region),
        );
      }
      return { ...fleet, targetGroupArns: arns };
    }),
  );
}

/**
 * Blue-green: each fleet of standalone instances with the preview target
 * groups of `immutable-infra.io/preview-target-groups` for its
 * environment, looked up in its region. A name not found, or a group the fleet already serves
 * production from, is a problem naming it.
 *
 * @internal
 */
export async function withPreviewTargetGroups(options: {
  provider: Pick<RolloutProvider, 'targetGroupArns'>;
  fleets: RolloutFleet[];
  account?: string;
  previewTargetGroups: string[];
}): Promise<{ fleets: RolloutFleet[]; problems: string[] }> {
  const { provider, fleets, account, previewTargetGroups } = options;
  if (previewTargetGroups.length === 0) {
    return { fleets, problems: [] };
  }
  const problems: string[] = [];
  const previewed = await Promise.all(
    fleets.map(async fleet => {
      if (fleet.kind !== 'instances') {
        // A group registers what it launches in its own target groups,
        // https://docs.aws.amazon.com/autoscaling/ec2/userguide/attach-load-balancer-asg.html:
        // its green cannot wait in a preview group (the plan says so).
        return fleet;
      }
      const { region } = fleet;
      const { arns, missing } = await lookUp({
        provider,
        region,
        account,
        refs: previewTargetGroups,
      });
      if (missing.length > 0) {
        problems.push(
          notFound(ANNOTATION_PREVIEW_TARGET_GROUPS, missing, region),
        );
      }
      const serving = arns.filter(arn => fleet.targetGroupArns.includes(arn));
      if (serving.length > 0) {
        problems.push(
          `${ANNOTATION_PREVIEW_TARGET_GROUPS} names ${serving.join(
            ', ',
          )}, which ${
            fleet.name
          } serves production traffic from: a preview target group must be one of its own`,
        );
      }
      return arns.length > 0
        ? { ...fleet, previewTargetGroupArns: arns }
        : fleet;
    }),
  );
  return { fleets: previewed, problems };
}

/**
 * Each fleet with the longest deregistration delay of its target groups
 * and preview target groups, read from AWS: how long an instance that
 * leaves them keeps draining its connections. AWS out of reach is thrown
 * (503): blue would otherwise go before its connections drain.
 *
 * @internal
 */
export async function withDeregistrationDelays(options: {
  provider: TargetGroupReads;
  fleets: RolloutFleet[];
  account?: string;
}): Promise<RolloutFleet[]> {
  const { provider, fleets, account } = options;
  return Promise.all(
    fleets.map(async fleet => {
      const targetGroupArns = [
        ...new Set([
          ...fleet.targetGroupArns,
          ...(fleet.previewTargetGroupArns ?? []),
        ]),
      ];
      if (targetGroupArns.length === 0) {
        return fleet;
      }
      let delays: Map<string, number>;
      try {
        delays = await provider.deregistrationDelays({
          region: fleet.region,
          account,
          targetGroupArns,
        });
      } catch (error) {
        throw new ServiceUnavailableError(
          `Could not read the deregistration delay of the target groups of ${
            fleet.name
          } in ${fleet.region}: ${(error as Error).message}`,
        );
      }
      const seconds = Math.max(0, ...delays.values());
      return { ...fleet, deregistrationDelayMs: seconds * 1000 };
    }),
  );
}
