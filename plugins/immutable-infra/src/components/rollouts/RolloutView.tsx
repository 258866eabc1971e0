import { Progress, ResponseErrorPanel } from '@backstage/core-components';
import { alertApiRef, useApi } from '@backstage/core-plugin-api';
import {
  describeStep,
  FINISHED_ROLLOUT_STATES,
  Rollout,
  RolloutAction,
} from '@immutable-infra/backstage-plugin-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Chip from '@material-ui/core/Chip';
import Typography from '@material-ui/core/Typography';
import { useState } from 'react';
import { immutableInfraApiRef } from '../../api';
import { relative } from '../shared';
import { useRollout } from './useRollouts';
import { waitReasons } from './waitReasons';
import { WaitReasons } from './WaitReasons';

/** The actions a rollout in its state takes. */
function actionsOf(rollout: Rollout): RolloutAction[] {
  switch (rollout.state) {
    case 'pending':
      return ['pause', 'abort'];
    case 'running':
      return rollout.awaitingPromotion
        ? ['promote', 'pause', 'abort']
        : ['pause', 'abort'];
    case 'paused':
      return ['resume', 'abort'];
    case 'aborted':
    case 'failed':
      return ['retry'];
    default:
      return [];
  }
}

/** A rollout as it goes: its step, each fleet, the timeline, the controls. */
export function RolloutView(props: {
  id: string;
  canControl: boolean;
  onChanged: () => void;
}) {
  const api = useApi(immutableInfraApiRef);
  const alertApi = useApi(alertApiRef);
  const { value, error, retry } = useRollout(props.id);
  const [busy, setBusy] = useState(false);
  if (error) {
    return <ResponseErrorPanel error={error} />;
  }
  if (!value) {
    return <Progress />;
  }
  const act = async (action: RolloutAction) => {
    setBusy(true);
    try {
      // A promote names the pause the user saw: it never ends a later one.
      await (action === 'promote'
        ? api.controlRollout(value.id, 'promote', { step: value.currentStep })
        : api.controlRollout(value.id, action));
      retry();
      props.onChanged();
    } catch (e) {
      alertApi.post({ message: (e as Error).message, severity: 'error' });
    } finally {
      setBusy(false);
    }
  };
  const step = value.steps[value.currentStep];
  const finished = FINISHED_ROLLOUT_STATES.includes(value.state);
  const reasons = finished ? [] : waitReasons(value);
  // A reason the list explains is not repeated on its own.
  const explained = reasons.some(r => r.quote?.text === value.reason);
  return (
    <Box mb={2}>
      <Typography variant="h6">
        {value.environment}: {value.fromVersion ?? 'the running versions'} →{' '}
        {value.toVersion}{' '}
        <Chip
          size="small"
          label={
            value.awaitingPromotion ? 'waiting for promotion' : value.state
          }
        />
      </Typography>
      {!finished && (
        <Typography>
          Step {Math.min(value.currentStep + 1, value.steps.length)} of{' '}
          {value.steps.length}: {describeStep(step)}
        </Typography>
      )}
      {value.reason && !explained && (
        <Typography color="error">{value.reason}</Typography>
      )}
      <ul>
        {value.status.map(fleet => (
          <li key={fleet.key}>
            {value.fleets.find(f => f.key === fleet.key)?.name ?? fleet.key}:{' '}
            {fleet.healthyNewInstances} of {fleet.newInstances} new instances
            passed, {fleet.oldInstances} old
            {fleet.scalingIn
              ? `, ${fleet.scalingIn} more the group is about to scale in`
              : ''}
          </li>
        ))}
      </ul>
      <WaitReasons reasons={reasons} />
      {props.canControl &&
        actionsOf(value).map(action => (
          <Button
            key={action}
            disabled={busy}
            color={action === 'abort' ? 'secondary' : 'primary'}
            variant={action === 'promote' ? 'contained' : 'outlined'}
            onClick={() => act(action)}
            style={{ marginRight: 8 }}
          >
            {action}
          </Button>
        ))}
      <Typography variant="subtitle2" style={{ marginTop: 8 }}>
        Timeline
      </Typography>
      <ul>
        {value.events.map(event => (
          <li key={event.id}>
            <Typography variant="body2">
              {relative(event.at)}: {event.message}
            </Typography>
          </li>
        ))}
      </ul>
    </Box>
  );
}
