import {
  GROUP,
  NEW_AMI,
  rolloutHarness,
} from '../__testUtils__/rolloutHarness';

/**
 * What a waiting rollout's status says about why it waits, as AWS said
 * it: the card turns these into words. Over the AWS model, which answers
 * as AWS does (DescribeTargetHealth's state, reason code and description,
 * DescribeScalingActivities' StatusMessage and Cause, DescribeAlarms'
 * StateReason).
 */
describe('why a rollout waits, in its status', () => {
  const canary = {
    strategy: 'canary',
    steps: [{ setWeight: 50 }, { pause: {} }, { setWeight: 100 }],
  };

  it('names each new instance the gate holds, its target health state, reason code and the description AWS gave', async () => {
    const h = await rolloutHarness({
      fleet: 'group',
      capacity: 2,
      targetGroup: true,
      spec: canary,
    });
    h.model.failHealthChecks({ imageId: NEW_AMI }, true, 502);
    const waiting = await h.until(r =>
      r.status.some(s =>
        Object.values(s.gate ?? {}).some(g => g.targetState === 'unhealthy'),
      ),
    );
    expect(waiting.state).toBe('running');
    const [status] = waiting.status;
    const fresh = h.model
      .groupSnapshot(GROUP)
      .instances.filter(i => i.imageId === NEW_AMI)
      .map(i => i.instanceId);
    expect(fresh).toHaveLength(1);
    expect(status.gate).toEqual({
      [fresh[0]]: {
        check: 'target-health',
        targetGroup: 'web',
        targetState: 'unhealthy',
        reason: 'Target.ResponseCodeMismatch',
        description: 'Health checks failed with these codes: [502]',
      },
    });
    expect(status.waiting[fresh[0]]).toBe(
      'target group web: unhealthy (Target.ResponseCodeMismatch)',
    );
    expect(status.healthyNewInstances).toBe(0);
  });

  it('names the EC2 status checks of an instance still booting', async () => {
    const h = await rolloutHarness({
      fleet: 'group',
      capacity: 2,
      spec: canary,
    });
    const waiting = await h.until(r =>
      r.status.some(s =>
        Object.values(s.gate ?? {}).some(g => g.check === 'status-checks'),
      ),
    );
    const holds = Object.values(waiting.status[0].gate ?? {});
    expect(holds).toContainEqual({
      check: 'status-checks',
      instanceStatus: 'initializing',
      systemStatus: 'initializing',
    });
  });

  it("carries a failed scaling activity's StatusMessage and Cause", async () => {
    const h = await rolloutHarness({
      fleet: 'group',
      capacity: 2,
      spec: canary,
    });
    h.model.failLaunches({ code: 'InsufficientInstanceCapacity' });
    const waiting = await h.until(r => r.status.some(s => s.failedActivity));
    const { failedActivity, activity } = waiting.status[0];
    expect(failedActivity?.statusMessage).toMatch(
      /InsufficientInstanceCapacity|capacity/,
    );
    expect(failedActivity?.statusMessage).toMatch(
      /Launching EC2 instance failed\.$/,
    );
    expect(failedActivity?.cause).toMatch(
      /an instance was started in response to a difference between desired and actual capacity/,
    );
    expect(activity).toBe(failedActivity?.statusMessage);
  });

  it('names the scaling policy that moved a group during the rollout, in its Cause', async () => {
    const h = await rolloutHarness({
      fleet: 'group',
      capacity: 4,
      maxSize: 12,
      spec: canary,
    });
    await h.until(r => r.state === 'running' && r.currentStep === 1);
    expect((await h.record()).status[0].scaledBy).toBeUndefined();
    h.model.policyScale(GROUP, 8, 'web-cpu-50');
    h.model.settle();
    expect(await h.act('promote')).toBe(true);
    const waiting = await h.until(r => r.status.some(s => s.scaledBy));
    const [status] = waiting.status;
    expect(status.capacity).toBe(8);
    expect(status.scaledBy?.cause).toMatch(
      /triggered policy web-cpu-50 changing the desired capacity from 4 to 8\./,
    );
  });

  it('names an alarm left without data, with its StateReason, while the rollout pauses for it; a passing analysis clears it', async () => {
    const h = await rolloutHarness({
      fleet: 'group',
      capacity: 2,
      alarms: ['web-errors'],
      spec: {
        strategy: 'canary',
        steps: [
          { setWeight: 50 },
          { analysis: { duration: '1m' } },
          { setWeight: 100 },
        ],
      },
    });
    h.model.setAlarm('web-errors', 'OK');
    await h.until(r => r.currentStep === 1);
    h.model.setAlarm(
      'web-errors',
      'INSUFFICIENT_DATA',
      'Insufficient Data: 5 datapoints were unknown.',
    );
    const paused = await h.until(r => r.state === 'paused');
    expect(paused.status[0].alarms).toEqual([
      {
        alarm: 'web-errors',
        region: h.model.region,
        state: 'INSUFFICIENT_DATA',
        reason: 'Insufficient Data: 5 datapoints were unknown.',
      },
    ]);
    h.model.setAlarm('web-errors', 'OK');
    expect(await h.act('resume')).toBe(true);
    const next = await h.until(r => r.currentStep === 2 || !r.active);
    expect(next.status.every(s => s.alarms === undefined)).toBe(true);
  });
});
