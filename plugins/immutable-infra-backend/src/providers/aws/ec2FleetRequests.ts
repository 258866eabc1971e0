import {
  DescribeInstancesCommandInput,
  IpPermission,
  SecurityGroup,
} from '@aws-sdk/client-ec2';
import { SshExposure } from '../FleetProvider';
import { chunks } from './chunks';

// The EC2 requests of a fleet's listing, with their page sizes, and what a
// security group says of port 22.

export const SECURITY_GROUP_BATCH = 200;

/**
 * Instances a DescribeInstances page holds at most: EC2's ceiling
 * (`MaxResults`, "between 5 and 1000").
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstances.html
 */
const INSTANCES_PAGE = 1000;

/**
 * Tag keys of one `tag-key` filter. EC2 states no number of values a filter
 * takes for DescribeInstances; keys are sent 200 a request, as many as the
 * id lists of EC2's other batched describe calls here (security groups),
 * so that a request stays well inside EC2's request size. An instance that
 * carries keys of two batches is listed by both and kept once.
 */
const TAG_KEYS_BATCH = 200;

/**
 * Launch template versions of one DescribeLaunchTemplateVersions page: at
 * most 200. With `Versions: ['$Default']` and no template named, EC2
 * describes "all launch templates in your account that are defined as the
 * default version".
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeLaunchTemplateVersions.html
 */
export const TEMPLATE_VERSIONS_PAGE = 200;

/** The states of an instance that fleet sync lists: all but terminated. */
const LISTED_STATES = ['pending', 'running', 'stopping', 'stopped'];

/**
 * The DescribeInstances request of a fleet selector: every instance not
 * terminated that carries all the selector's tags, in pages as large as EC2
 * allows (the benchmark's SDK-alone floor asks for the same pages).
 *
 * @internal
 */
export function describeFleetInstancesInput(
  selector: { key: string; value: string }[],
): DescribeInstancesCommandInput {
  return {
    Filters: [
      ...selector.map(({ key, value }) => ({
        Name: `tag:${key}`,
        Values: [value],
      })),
      { Name: 'instance-state-name', Values: LISTED_STATES },
    ],
    MaxResults: INSTANCES_PAGE,
  };
}

/**
 * The DescribeInstance requests of an account and region's inventory: every
 * instance not terminated that carries any of the tag keys (EC2's `tag-key`
 * filter, whatever the value), keys in batches of {@link TAG_KEYS_BATCH},
 * pages of 1,000.
 *
 * @internal
 */
export function describeInventoryInputs(
  tagKeys: string[],
): DescribeInstancesCommandInput[] {
  return chunks([...new Set(tagKeys)].sort(), TAG_KEYS_BATCH).map(keys => ({
    Filters: [
      { Name: 'tag-key', Values: keys },
      { Name: 'instance-state-name', Values: LISTED_STATES },
    ],
    MaxResults: INSTANCES_PAGE,
  }));
}
const WORLD = new Set(['0.0.0.0/0', '::/0']);

function opensSsh(permission: IpPermission): boolean {
  if (permission.IpProtocol === '-1') {
    return true;
  }
  if (permission.IpProtocol !== 'tcp' && permission.IpProtocol !== '6') {
    return false;
  }
  const from = permission.FromPort ?? 0;
  const to = permission.ToPort ?? 65535;
  return from <= 22 && to >= 22;
}

/** Port 22 exposure of one security group. */
export function groupExposure(group: SecurityGroup): {
  exposure: SshExposure;
  sources: string[];
} {
  const sources: string[] = [];
  for (const permission of group.IpPermissions ?? []) {
    if (!opensSsh(permission)) {
      continue;
    }
    sources.push(
      ...(permission.IpRanges ?? []).map(r => r.CidrIp ?? ''),
      ...(permission.Ipv6Ranges ?? []).map(r => r.CidrIpv6 ?? ''),
      ...(permission.UserIdGroupPairs ?? []).map(p => p.GroupId ?? ''),
      ...(permission.PrefixListIds ?? []).map(p => p.PrefixListId ?? ''),
    );
  }
  const filtered = sources.filter(Boolean);
  let exposure: SshExposure = 'none';
  if (filtered.some(s => WORLD.has(s))) {
    exposure = 'world';
  } else if (filtered.length > 0) {
    exposure = 'restricted';
  }
  return { exposure, sources: filtered };
}
