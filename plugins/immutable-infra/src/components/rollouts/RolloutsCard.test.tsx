import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { Rollout } from '@immutable-infra/backstage-plugin-common';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { immutableInfraApiRef } from '../../api';
import { RolloutsCard } from './RolloutsCard';

const entityRef = { kind: 'Component', namespace: 'default', name: 'web' };

function rollout(extra: Partial<Rollout> = {}): Rollout {
  return {
    id: '00000000-0000-4000-8000-000000000001',
    entityRef: 'component:default/web',
    environment: 'production',
    family: 'web',
    fromVersion: 'web@1',
    toVersion: 'web@2',
    movesChannel: false,
    strategy: 'canary',
    state: 'running',
    currentStep: 1,
    awaitingPromotion: true,
    createdBy: 'user:default/ada',
    createdAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    fleets: [
      {
        key: 'asg:us-east-1:web-prod',
        kind: 'autoscaling-group',
        region: 'us-east-1',
        name: 'web-prod',
        capacity: 4,
        targetImageId: 'ami-2',
        oldInstanceIds: ['i-1', 'i-2', 'i-3', 'i-4'],
        targetGroupArns: [
          'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-prod/50dc6c495c0c9188',
        ],
        maxSurge: 1,
        minHealthy: 4,
      },
    ],
    steps: [
      {
        index: 0,
        kind: 'setWeight',
        weight: 25,
        targets: { 'asg:us-east-1:web-prod': 1 },
      },
      { index: 1, kind: 'pause', targets: { 'asg:us-east-1:web-prod': 1 } },
      {
        index: 2,
        kind: 'setWeight',
        weight: 100,
        targets: { 'asg:us-east-1:web-prod': 4 },
      },
    ],
    status: [
      {
        key: 'asg:us-east-1:web-prod',
        newInstances: 1,
        healthyNewInstances: 1,
        oldInstances: 3,
        waiting: {},
      },
    ],
    progressDeadlineMs: 600_000,
    alarms: [],
    events: [
      {
        id: '1',
        at: new Date().toISOString(),
        kind: 'created',
        message: 'user:default/ada asked to roll production out to web@2',
      },
    ],
    ...extra,
  };
}

function render(api: object, allowed = true, name = 'web') {
  return renderInTestApp(
    <RolloutsCard
      entityRef={{ ...entityRef, name }}
      environments={['staging', 'production']}
    />,
    {
      apis: [
        [immutableInfraApiRef, api],
        mockApis.permission({
          authorize: allowed ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
        }),
      ],
    },
  );
}

/** The card with one rollout under way. */
function renderActive(active: Rollout, allowed = true, name = 'web') {
  const { events: _events, ...row } = active;
  return render(
    {
      getRollout: jest.fn().mockResolvedValue(active),
      listEntityRollouts: jest.fn().mockResolvedValue({ items: [row] }),
    },
    allowed,
    name,
  );
}

describe('RolloutsCard', () => {
  it('shows the plan before anything starts, then starts the rollout', async () => {
    const { events: _events, ...row } = rollout({
      state: 'succeeded',
      awaitingPromotion: false,
    });
    const createRollout = jest
      .fn()
      .mockResolvedValueOnce({
        dryRun: true,
        rollout: rollout({
          state: 'pending',
          movesChannel: true,
          probe: 'http://{privateIp}:8080/healthz',
        }),
      })
      .mockResolvedValueOnce({
        dryRun: false,
        rollout: rollout({ state: 'pending' }),
      });
    const listEntityRollouts = jest.fn().mockResolvedValue({ items: [row] });
    await render({ createRollout, listEntityRollouts, getRollout: jest.fn() });

    await userEvent.click(
      await screen.findByRole('button', { name: 'Roll out production' }),
    );
    const dialog = await screen.findByRole('dialog');
    expect(
      await within(dialog).findByText(/Roll production out to web@2/),
    ).toBeInTheDocument();
    expect(
      within(dialog).getByText(
        /4 in service, 4 to replace; at most 1 extra at once, at least 4 healthy; gate: healthy in target group web-prod/,
      ),
    ).toBeInTheDocument();
    expect(
      within(dialog).getByText(
        /must be running, pass its EC2 status checks, be healthy in its target groups and answer http:\/\/\{privateIp\}:8080\/healthz with a 2xx before an old one goes/,
      ),
    ).toBeInTheDocument();
    expect(
      within(dialog).getByText(/The production channel moves to web@2/),
    ).toBeInTheDocument();
    expect(
      within(dialog).getByText('pause until promoted'),
    ).toBeInTheDocument();
    expect(createRollout).toHaveBeenCalledWith({
      entityRef: 'component:default/web',
      environment: 'production',
      dryRun: true,
    });

    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Start rollout' }),
    );
    expect(createRollout).toHaveBeenLastCalledWith({
      entityRef: 'component:default/web',
      environment: 'production',
    });
    const history = await screen.findByRole('table', {
      name: 'Rollout history',
    });
    expect(within(history).getByText('web@2')).toBeInTheDocument();
  });

  it("shows the plan's notes before the user confirms", async () => {
    const { events: _events, ...row } = rollout({
      state: 'succeeded',
      awaitingPromotion: false,
    });
    const note =
      'green serves production traffic from the moment it passes the gate: web-prod has no preview target group (immutable-infra.io/preview-target-groups)';
    const createRollout = jest.fn().mockResolvedValue({
      dryRun: true,
      rollout: rollout({ state: 'pending', notes: [note] }),
    });
    const listEntityRollouts = jest.fn().mockResolvedValue({ items: [row] });
    await render({ createRollout, listEntityRollouts, getRollout: jest.fn() });

    await userEvent.click(
      await screen.findByRole('button', { name: 'Roll out production' }),
    );
    const dialog = await screen.findByRole('dialog');
    const notes = await within(dialog).findByRole('list', {
      name: 'Before you start',
    });
    expect(
      within(notes)
        .getAllByRole('listitem')
        .map(i => i.textContent),
    ).toEqual([note]);
    // Shown with the plan, before anything starts: only the dry run asked.
    expect(
      within(dialog).getByRole('button', { name: 'Start rollout' }),
    ).toBeEnabled();
    expect(createRollout).toHaveBeenCalledTimes(1);
    expect(createRollout).toHaveBeenCalledWith(
      expect.objectContaining({ dryRun: true }),
    );
  }, 20_000);

  it('shows a plan that cannot run, with the reason, and nothing to start', async () => {
    const createRollout = jest
      .fn()
      .mockRejectedValue(
        new Error('web@3 is revoked (CVE-2026-1): it cannot be rolled out'),
      );
    await render({
      createRollout,
      listEntityRollouts: jest.fn().mockResolvedValue({ items: [] }),
    });
    await userEvent.click(
      await screen.findByRole('button', { name: 'Roll out staging' }),
    );
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'web@3 is revoked',
    );
    expect(
      screen.getByRole('button', { name: 'Start rollout' }),
    ).toBeDisabled();
  });

  it('follows an active rollout: its step, its fleets, its timeline, and a promote', async () => {
    const { events: _events, ...row } = rollout();
    const lastStep = rollout({
      currentStep: 2,
      awaitingPromotion: false,
      status: [
        {
          key: 'asg:us-east-1:web-prod',
          newInstances: 4,
          healthyNewInstances: 4,
          oldInstances: 0,
          waiting: {},
          scalingIn: 3,
        },
      ],
    });
    const getRollout = jest
      .fn()
      .mockResolvedValueOnce(rollout())
      .mockResolvedValue(lastStep);
    const controlRollout = jest.fn().mockResolvedValue(lastStep);
    await render({
      getRollout,
      controlRollout,
      listEntityRollouts: jest.fn().mockResolvedValue({ items: [row] }),
    });
    expect(
      await screen.findByText('waiting for promotion'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/Step 2 of 3: pause until promoted/),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/web-prod: 1 of 1 new instances passed, 3 old/),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/asked to roll production out to web@2/),
    ).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'promote' }));
    // The pause shown (step 2, index 1) is the one promoted.
    expect(controlRollout).toHaveBeenCalledWith(row.id, 'promote', {
      step: 1,
    });
    expect(
      await screen.findByText(
        /Step 3 of 3: new version on 100% of the capacity/,
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        /web-prod: 4 of 4 new instances passed, 0 old, 3 more the group is about to scale in/,
      ),
    ).toBeInTheDocument();
  });

  it('leaves the controls out for those who may not use them', async () => {
    await renderActive(rollout(), false, 'web-denied');
    expect(
      await screen.findByText('waiting for promotion'),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'promote' }),
    ).not.toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Roll out production' }),
    ).toBeDisabled();
  });
});

describe('RolloutsCard: why a rollout waits', () => {
  async function show(extra: Partial<Rollout>) {
    await renderActive(rollout({ awaitingPromotion: false, ...extra }));
    return screen.findByRole('list', { name: 'Waiting for' });
  }

  const status = (extra: Partial<Rollout['status'][number]>) => [
    {
      key: 'asg:us-east-1:web-prod',
      newInstances: 1,
      healthyNewInstances: 0,
      oldInstances: 3,
      waiting: {},
      ...extra,
    },
  ];

  it('names each instance the gate holds back, in words, with what AWS said', async () => {
    const list = await show({
      currentStep: 0,
      status: status({
        newInstances: 3,
        waiting: {
          'i-5':
            'target group web-prod: unhealthy (Target.ResponseCodeMismatch)',
          'i-6': 'EC2 status checks: instance initializing, system ok',
          'i-7': 'instance is pending',
        },
      }),
    });
    const items = within(list).getAllByRole('listitem');
    expect(items.map(i => i.textContent)).toEqual([
      'i-5 (web-prod) fails the health check of target group web-prod: its health check path answers an HTTP status the target group does not accept' +
        'AWS: target health unhealthy, Target.ResponseCodeMismatch',
      'i-6 (web-prod) is still booting: its EC2 status checks are initializing (usually a few minutes after launch)' +
        'AWS: instance status initializing, system status ok',
      'i-7 (web-prod) is still startingAWS: instance state pending',
    ]);
  });

  it('says a scaling activity failed, why, and the message AWS gave', async () => {
    const message =
      'We currently do not have sufficient t3.large capacity in the Availability Zone you requested (us-east-1a). Launching EC2 instance failed.';
    const list = await show({
      currentStep: 0,
      status: status({ activity: message }),
    });
    expect(
      within(list).getByText(
        /a scaling activity failed: AWS has no capacity for the instance type in an Availability Zone right now/,
      ),
    ).toBeInTheDocument();
    expect(within(list).getByText(`AWS: ${message}`)).toBeInTheDocument();
  });

  it('explains an analysis an alarm left inconclusive, once', async () => {
    const reason =
      'analysis of step 2 inconclusive: web-5xx had no data (INSUFFICIENT_DATA) at its end; resume to run the analysis again, or abort';
    const list = await show({
      state: 'paused',
      reason,
      steps: [
        rollout().steps[0],
        {
          index: 1,
          kind: 'analysis',
          durationMs: 300_000,
          alarms: ['web-5xx'],
          targets: { 'asg:us-east-1:web-prod': 1 },
        },
        rollout().steps[2],
      ],
    });
    expect(
      within(list).getByText(
        /an alarm had no data, so the rollout cannot tell whether the new version is healthy/,
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/Step 2 of 3: analysis 5 min, watching alarm web-5xx/),
    ).toBeInTheDocument();
    // The reason shows with its explanation, not a second time on its own
    // (the history table lists it as well).
    expect(within(list).getByText(`Rollout: ${reason}`)).toBeInTheDocument();
    expect(
      screen.getAllByText(reason).filter(e => !e.closest('table')),
    ).toEqual([]);
  });

  it('says when the group was scaled by its own policy since the plan, and that the rollout follows', async () => {
    const list = await show({
      currentStep: 2,
      status: status({ capacity: 6, newInstances: 4, healthyNewInstances: 4 }),
    });
    expect(
      within(list).getByText(
        /the group was scaled from 4 to 6 instances since the rollout was planned \(a scaling policy, or someone, changed its desired capacity\)\. The rollout follows it and never undoes it/,
      ),
    ).toBeInTheDocument();
  });

  it("names each held instance from AWS's structured answer: target state, reason code and TargetHealth's description; status checks", async () => {
    const list = await show({
      currentStep: 0,
      status: status({
        newInstances: 3,
        waiting: {
          'i-5': 'target group web-prod: unhealthy (Target.Timeout)',
          'i-6': 'EC2 status checks: instance impaired, system ok',
          'i-7': 'not registered in target group web-prod',
        },
        gate: {
          'i-5': {
            check: 'target-health',
            targetGroup: 'web-prod',
            targetState: 'unhealthy',
            reason: 'Target.Timeout',
            description: 'Request timed out',
          },
          'i-6': {
            check: 'status-checks',
            instanceStatus: 'impaired',
            systemStatus: 'ok',
          },
          'i-7': { check: 'not-registered', targetGroup: 'web-prod' },
        },
      }),
    });
    expect(
      within(list)
        .getAllByRole('listitem')
        .map(i => i.textContent),
    ).toEqual([
      'i-5 (web-prod) does not answer the health check of target group web-prod in time: the service may not listen on the health check port yet, or a security group blocks the load balancer' +
        'AWS: target health unhealthy, Target.Timeout: Request timed out',
      'i-6 (web-prod) fails its EC2 status checks: it is unreachable or its operating system did not start, and will not pass' +
        'AWS: instance status impaired, system status ok',
      'i-7 (web-prod) is not registered in target group web-prod yet',
    ]);
  });

  it("names the failed activity's Cause, and the scaling policy that moved the group with its Cause", async () => {
    const message =
      'We currently do not have sufficient t3.large capacity in the Availability Zone you requested (us-east-1a). Launching EC2 instance failed.';
    const failedCause =
      'At 2026-12-05T10:00:00Z an instance was started in response to a difference between desired and actual capacity, increasing the capacity from 5 to 6.';
    const policyCause =
      'At 2026-12-05T09:58:00Z a monitor alarm TargetTracking-web-prod-AlarmHigh in state ALARM triggered policy web-cpu-50 changing the desired capacity from 4 to 6.';
    const list = await show({
      currentStep: 2,
      status: status({
        capacity: 6,
        activity: message,
        failedActivity: { statusMessage: message, cause: failedCause },
        scaledBy: { cause: policyCause },
      }),
    });
    expect(
      within(list).getByText(`AWS: ${message} Cause: ${failedCause}`),
    ).toBeInTheDocument();
    expect(
      within(list).getByText(
        /the group was scaled from 4 to 6 instances since the rollout was planned \(by its scaling policy web-cpu-50\)\. The rollout follows it/,
      ),
    ).toBeInTheDocument();
    expect(within(list).getByText(`AWS: ${policyCause}`)).toBeInTheDocument();
  });

  it('names each alarm that paused the rollout, once, with its StateReason', async () => {
    const reason =
      'analysis of step 2 inconclusive: web-5xx had no data (INSUFFICIENT_DATA) at its end; resume to run the analysis again, or abort';
    const alarm = {
      alarm: 'web-5xx',
      region: 'us-east-1',
      state: 'INSUFFICIENT_DATA',
      reason:
        'Insufficient Data: 5 datapoints were unknown. (minimum 1 datapoint for OK -> INSUFFICIENT_DATA transition).',
    };
    const list = await show({
      state: 'paused',
      reason,
      status: [
        ...status({ alarms: [alarm] }),
        ...status({ key: 'asg:us-east-1:web-canary', alarms: [alarm] }),
      ],
    });
    const items = within(list).getAllByRole('listitem');
    expect(items.map(i => i.textContent)).toEqual([
      'Alarm web-5xx (us-east-1) had no data, so the rollout cannot tell whether the new version is healthy: the new instances may not send the metric it watches, or there is no traffic yet. The rollout paused rather than pass on silence; resume to watch the alarms again, or abort.' +
        `AWS: INSUFFICIENT_DATA: ${alarm.reason}`,
    ]);
  });

  it('shows nothing to wait for when nothing holds the rollout', async () => {
    await renderActive(rollout());
    expect(
      await screen.findByText('waiting for promotion'),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('list', { name: 'Waiting for' }),
    ).not.toBeInTheDocument();
  });
});
