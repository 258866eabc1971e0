import {
  DescribeInstancesCommandInput,
  paginateDescribeInstances,
} from '@aws-sdk/client-ec2';
import { DriftEventLookup } from '../DriftEventProvider';
import { ImageLocation } from '../ImageProvider';
import { AwsClientFactory } from './AwsClientFactory';

/** Instance ids of one DescribeInstances filter (EC2 takes up to 200 values). */
const IDS_PER_CALL = 200;

const NOT_TERMINATED = {
  Name: 'instance-state-name',
  Values: ['pending', 'running', 'stopping', 'stopped', 'shutting-down'],
};

/**
 * {@link DriftEventLookup} on EC2's DescribeInstances, with the filters
 * `instance.group-id` / `instance.group-name` and `instance-id`
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstances.html).
 *
 * @internal
 */
export class Ec2DriftEventLookup implements DriftEventLookup {
  constructor(private readonly clients: AwsClientFactory) {}

  private async describe(
    location: ImageLocation,
    input: DescribeInstancesCommandInput,
  ) {
    const ec2 = await this.clients.ec2Client(location.region, location.account);
    const found: { instanceId: string; tags: Record<string, string> }[] = [];
    for await (const page of paginateDescribeInstances(
      { client: ec2 },
      { ...input, MaxResults: 1000 },
    )) {
      for (const reservation of page.Reservations ?? []) {
        for (const instance of reservation.Instances ?? []) {
          if (instance.InstanceId) {
            found.push({
              instanceId: instance.InstanceId,
              tags: Object.fromEntries(
                (instance.Tags ?? []).map(t => [t.Key ?? '', t.Value ?? '']),
              ),
            });
          }
        }
      }
    }
    return found;
  }

  async instancesInSecurityGroup(
    location: ImageLocation,
    group: { groupId?: string; groupName?: string },
  ): Promise<string[]> {
    const filter = group.groupId
      ? { Name: 'instance.group-id', Values: [group.groupId] }
      : { Name: 'instance.group-name', Values: [group.groupName ?? ''] };
    const found = await this.describe(location, {
      Filters: [filter, NOT_TERMINATED],
    });
    return found.map(i => i.instanceId);
  }

  async instanceTags(location: ImageLocation, instanceIds: string[]) {
    const found: { instanceId: string; tags: Record<string, string> }[] = [];
    for (let i = 0; i < instanceIds.length; i += IDS_PER_CALL) {
      // A filter, not InstanceIds: an id EC2 no longer knows is left out
      // instead of failing the whole call.
      found.push(
        ...(await this.describe(location, {
          Filters: [
            {
              Name: 'instance-id',
              Values: instanceIds.slice(i, i + IDS_PER_CALL),
            },
          ],
        })),
      );
    }
    return found;
  }
}
