import { isInstanceNotInGroup } from './Ec2RolloutProvider';

// The emulator answers a termination of an instance in no group with an
// HTML error page, not Auto Scaling's ValidationError: these are AWS's
// own answers, as the SDK throws them.

/** An error as the AWS SDK throws it: the error code as its name. */
const awsError = (name: string, message: string) =>
  Object.assign(new Error(message), { name });

describe('terminating in a group', () => {
  it('takes only "Instance Id not found" for an instance already gone', () => {
    expect(
      isInstanceNotInGroup(
        awsError(
          'ValidationError',
          'Instance Id not found - No managed instance found for instance ID: i-0123456789abcdef0',
        ),
      ),
    ).toBe(true);
    // Everything else is a refusal the engine must see: nothing was
    // terminated.
    for (const refusal of [
      awsError(
        'AccessDenied',
        'User: arn:aws:sts::123456789012:assumed-role/portal/x is not authorized to perform: autoscaling:TerminateInstanceInAutoScalingGroup on resource: arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:*:autoScalingGroupName/web because no identity-based policy allows the autoscaling:TerminateInstanceInAutoScalingGroup action',
      ),
      awsError(
        'ValidationError',
        "Currently, desiredSize equals minSize (2). Terminating instance without replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.",
      ),
      awsError('Throttling', 'Rate exceeded'),
      awsError(
        'ScalingActivityInProgress',
        'Scaling activity in progress: instance i-0123456789abcdef0 is terminating',
      ),
    ]) {
      expect(isInstanceNotInGroup(refusal)).toBe(false);
    }
  });
});
