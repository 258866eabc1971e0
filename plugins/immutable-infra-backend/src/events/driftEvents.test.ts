import { ROLLOUT_ID_TAG } from '@immutable-infra/backstage-plugin-common';
import {
  apiCall,
  authorizeIngress,
  STATE_CHANGE_SAMPLE,
} from '../__testUtils__/driftEventSamples';
import { parseDriftEvent } from './driftEvents';

const parse = (event: unknown) => parseDriftEvent(JSON.stringify(event));

describe('parseDriftEvent', () => {
  it("reads AWS's example state change as a touch of its instance", () => {
    expect(parse(STATE_CHANGE_SAMPLE)).toEqual({
      kind: 'event',
      event: {
        id: '7bf73129-1428-4cd3-a780-95db273d1602',
        account: '123456789012',
        region: 'us-east-1',
        what: 'EC2 Instance State-change Notification (pending)',
        touch: { kind: 'instances', instanceIds: ['i-abcd1111'] },
      },
    });
  });

  it('reads each API call that creates drift as what it touches', () => {
    const touch = (event: unknown) => {
      const parsed = parse(event);
      return parsed.kind === 'event' ? parsed.event.touch : parsed;
    };
    expect(touch(authorizeIngress({ id: 'a', groupId: 'sg-0abc' }))).toEqual({
      kind: 'securityGroup',
      groupId: 'sg-0abc',
    });
    expect(
      touch(
        apiCall({
          id: 'b',
          eventSource: 'ec2.amazonaws.com',
          eventName: 'ModifyInstanceAttribute',
          requestParameters: {
            instanceId: 'i-0123456789abcdef0',
            groupSet: { items: [{ groupId: 'sg-1' }] },
          },
        }),
      ),
    ).toEqual({ kind: 'instances', instanceIds: ['i-0123456789abcdef0'] });
    expect(
      touch(
        apiCall({
          id: 'c',
          eventSource: 'ec2.amazonaws.com',
          eventName: 'ModifyInstanceMetadataOptions',
          requestParameters: {
            ModifyInstanceMetadataOptionsRequest: {
              InstanceId: 'i-0123456789abcdef1',
              HttpTokens: 'optional',
            },
          },
        }),
      ),
    ).toEqual({ kind: 'instances', instanceIds: ['i-0123456789abcdef1'] });
    expect(
      touch(
        apiCall({
          id: 'd',
          eventSource: 'ec2.amazonaws.com',
          eventName: 'RunInstances',
          requestParameters: {
            instancesSet: { items: [{ imageId: 'ami-1', minCount: 2 }] },
            tagSpecificationSet: {
              items: [
                {
                  resourceType: 'instance',
                  tags: [{ key: 'app', value: 'web' }],
                },
              ],
            },
          },
          responseElements: {
            instancesSet: {
              items: [
                { instanceId: 'i-00000000000000001' },
                { instanceId: 'i-00000000000000002' },
              ],
            },
          },
        }),
      ),
    ).toEqual({
      kind: 'instances',
      instanceIds: ['i-00000000000000001', 'i-00000000000000002'],
    });
    expect(
      touch(
        apiCall({
          id: 'e',
          eventSource: 'ec2.amazonaws.com',
          eventName: 'CreateLaunchTemplateVersion',
          requestParameters: {
            CreateLaunchTemplateVersionRequest: {
              LaunchTemplateName: 'web',
              LaunchTemplateData: { ImageId: 'ami-2' },
            },
          },
          responseElements: {
            CreateLaunchTemplateVersionResponse: {
              launchTemplateVersion: {
                launchTemplateId: 'lt-0abc',
                launchTemplateName: 'web',
                versionNumber: 4,
              },
            },
          },
        }),
      ),
    ).toEqual({ kind: 'launchTemplate', id: 'lt-0abc', name: 'web' });
    expect(
      touch(
        apiCall({
          id: 'f',
          eventSource: 'ec2.amazonaws.com',
          eventName: 'ModifyLaunchTemplate',
          requestParameters: {
            ModifyLaunchTemplateRequest: {
              LaunchTemplateId: 'lt-0abc',
              SetDefaultVersion: '4',
            },
          },
          responseElements: {
            ModifyLaunchTemplateResponse: {
              launchTemplate: {
                launchTemplateId: 'lt-0abc',
                launchTemplateName: 'web',
                defaultVersionNumber: 4,
              },
            },
          },
        }),
      ),
    ).toEqual({ kind: 'launchTemplate', id: 'lt-0abc', name: 'web' });
    expect(
      touch(
        apiCall({
          id: 'g',
          eventSource: 'autoscaling.amazonaws.com',
          eventName: 'UpdateAutoScalingGroup',
          requestParameters: {
            autoScalingGroupName: 'web-prod',
            launchTemplate: { launchTemplateId: 'lt-0abc', version: '$Latest' },
          },
        }),
      ),
    ).toEqual({ kind: 'autoscalingGroup', name: 'web-prod' });
    expect(
      touch(
        apiCall({
          id: 'h',
          eventSource: 'ssm.amazonaws.com',
          eventName: 'StartSession',
          requestParameters: { target: 'i-0123456789abcdef2' },
          responseElements: { sessionId: 'alice-0a1b2c3d4e5f' },
        }),
      ),
    ).toEqual({ kind: 'instances', instanceIds: ['i-0123456789abcdef2'] });
  });

  it("ignores a rollout's own launch and a refused call", () => {
    expect(
      parse(
        apiCall({
          id: 'r',
          eventSource: 'ec2.amazonaws.com',
          eventName: 'RunInstances',
          requestParameters: {
            tagSpecificationSet: {
              items: [
                {
                  resourceType: 'instance',
                  tags: [{ key: ROLLOUT_ID_TAG, value: '42' }],
                },
              ],
            },
          },
          responseElements: {
            instancesSet: { items: [{ instanceId: 'i-00000000000000003' }] },
          },
        }),
      ),
    ).toMatchObject({ kind: 'drop', reason: 'ignored', id: 'r' });
    expect(
      parse(
        apiCall({
          id: 's',
          eventSource: 'ec2.amazonaws.com',
          eventName: 'AuthorizeSecurityGroupIngress',
          requestParameters: { groupId: 'sg-1' },
          errorCode: 'Client.UnauthorizedOperation',
        }),
      ),
    ).toMatchObject({ kind: 'drop', reason: 'ignored' });
  });

  it('drops what is not a known event of the documented shape', () => {
    expect(parseDriftEvent('{not json')).toMatchObject({
      kind: 'drop',
      reason: 'malformed',
    });
    expect(parse({ hello: 'world' })).toMatchObject({
      kind: 'drop',
      reason: 'malformed',
    });
    expect(
      parse({ ...STATE_CHANGE_SAMPLE, account: 'not-an-account' }),
    ).toMatchObject({ kind: 'drop', reason: 'malformed' });
    expect(
      parse({
        ...STATE_CHANGE_SAMPLE,
        detail: { 'instance-id': 'i-abcd1111', state: 'exploded' },
      }),
    ).toMatchObject({ kind: 'drop', reason: 'malformed' });
    expect(
      parse({
        ...STATE_CHANGE_SAMPLE,
        'detail-type': 'EC2 Spot Instance Interruption Warning',
      }),
    ).toMatchObject({ kind: 'drop', reason: 'unknown' });
    expect(
      parse(
        apiCall({
          id: 'u',
          eventSource: 'ec2.amazonaws.com',
          eventName: 'DescribeInstances',
        }),
      ),
    ).toMatchObject({ kind: 'drop', reason: 'unknown' });
    // A name of the prototype is not a call the consumer reads.
    expect(
      parse(
        apiCall({
          id: 'p',
          eventSource: 'ec2.amazonaws.com',
          eventName: 'constructor',
        }),
      ),
    ).toMatchObject({ kind: 'drop', reason: 'unknown' });
    expect(
      parse(
        apiCall({
          id: 'm',
          eventSource: 'ec2.amazonaws.com',
          eventName: 'ModifyInstanceAttribute',
          requestParameters: { instanceId: '../../etc/passwd' },
        }),
      ),
    ).toMatchObject({ kind: 'drop', reason: 'malformed' });
  });
});
