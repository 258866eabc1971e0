import {
  CompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
  TableColumn,
} from '@backstage/core-components';
import { alertApiRef, useApi } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  FINISHED_ROLLOUT_STATES,
  immutableInfraRolloutControlPermission,
  immutableInfraRolloutCreatePermission,
  Rollout,
  RolloutAction,
  RolloutPlanStep,
  RolloutSpec,
} from '@immutable-infra/backstage-plugin-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Chip from '@material-ui/core/Chip';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import Typography from '@material-ui/core/Typography';
import { useEffect, useMemo, useState } from 'react';
import { immutableInfraApiRef } from '../../api';
import { relative } from '../../format';
import { ROLLOUTS_PAGE_SIZE, useRollout, useRollouts } from '../../hooks';
import { DataTable, NO_WRAP } from '../DataTable';
import { LoadMore } from '../LoadMore';

type RolloutRow = Omit<Rollout, 'events'>;

/** A step in words. */
export function stepLabel(step: RolloutPlanStep | undefined): string {
  if (!step) {
    return 'finishing';
  }
  if (step.kind === 'setWeight') {
    return step.keepOld
      ? 'launch the full new capacity beside the old'
      : `set weight ${step.weight}%`;
  }
  if (step.kind === 'analysis') {
    return `analysis: ${step.alarms?.join(', ')} OK for ${Math.round(
      (step.durationMs ?? 0) / 1000,
    )} s`;
  }
  if (step.kind === 'switch') {
    return 'switch: the old instances leave their target groups';
  }
  return step.durationMs === undefined
    ? 'pause until promoted'
    : `pause ${Math.round(step.durationMs / 1000)} s`;
}

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

/** A target group's name, from its ARN (`…:targetgroup/<name>/<id>`). */
function targetGroupName(arn: string) {
  return /:targetgroup\/([^/]+)\//.exec(arn)?.[1] ?? arn;
}

/** What every new instance must pass before an old one goes. */
function gateSentence(rollout: Rollout) {
  const checks = ['be running', 'pass its EC2 status checks'];
  if (rollout.fleets.some(f => f.targetGroupArns.length > 0)) {
    checks.push('be healthy in its target groups');
  }
  if (rollout.probe) {
    checks.push(`answer ${rollout.probe} with a 2xx`);
  }
  const last = checks.pop();
  return `Each new instance must ${checks.join(
    ', ',
  )} and ${last} before an old one goes.`;
}

/** The plan a rollout would follow: its fleets and steps. */
function PlanView({ rollout }: { rollout: Rollout }) {
  return (
    <>
      <Typography variant="subtitle2">Fleets</Typography>
      <ul>
        {rollout.fleets.map(fleet => (
          <li key={fleet.key}>
            <b>{fleet.name}</b> (
            {fleet.kind === 'autoscaling-group'
              ? 'Auto Scaling group'
              : 'instances'}
            , {fleet.region}): {fleet.capacity} in service,{' '}
            {fleet.oldInstanceIds.length} to replace; at most {fleet.maxSurge}{' '}
            extra at once, at least {fleet.minHealthy} healthy
            {fleet.targetGroupArns.length > 0 &&
              `; gate: healthy in target group${
                fleet.targetGroupArns.length === 1 ? '' : 's'
              } ${fleet.targetGroupArns.map(targetGroupName).join(', ')}`}
            {Object.entries(fleet.dataVolumes ?? {}).map(([id, volumes]) => (
              <div key={id}>
                {id}: data volumes{' '}
                {volumes.length ? volumes.join(', ') : 'none attached'}
              </div>
            ))}
          </li>
        ))}
      </ul>
      <Typography variant="subtitle2">Steps</Typography>
      <ol>
        {rollout.steps.map(step => (
          <li key={step.index}>
            {stepLabel(step)}
            {step.kind === 'setWeight' &&
              ` (${Object.values(step.targets).reduce(
                (a, b) => a + b,
                0,
              )} new instances)`}
          </li>
        ))}
      </ol>
      <Typography variant="body2">
        {gateSentence(rollout)} A step that takes longer than{' '}
        {Math.round(rollout.progressDeadlineMs / 60_000)} min fails the rollout.
        {rollout.alarms.length > 0 &&
          ` Alarms watched throughout (one in ALARM aborts it): ${rollout.alarms.join(
            ', ',
          )}.`}
      </Typography>
    </>
  );
}

/** The dialog that shows the plan before anything starts. */
export function StartDialog(props: {
  entityRef: CompoundEntityRef;
  environment: string;
  /** A strategy other than the entity's own (rollback, replace-drifted). */
  spec?: RolloutSpec;
  title?: string;
  onClose: () => void;
  onStarted: (rollout: Rollout) => void;
}) {
  const api = useApi(immutableInfraApiRef);
  const [plan, setPlan] = useState<Rollout>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const request = {
    entityRef: stringifyEntityRef(props.entityRef),
    environment: props.environment,
    ...(props.spec ? { spec: props.spec } : {}),
  };
  useEffect(() => {
    let current = true;
    api
      .createRollout({ ...request, dryRun: true })
      .then(answer => current && setPlan(answer.rollout))
      .catch(e => current && setError((e as Error).message));
    return () => {
      current = false;
    };
    // The plan of this entity and environment, asked once per dialog.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, request.entityRef, request.environment]);
  const start = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const answer = await api.createRollout(request);
      props.onStarted(answer.rollout);
      props.onClose();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog open onClose={props.onClose} maxWidth="md" fullWidth>
      <DialogTitle>
        {props.title ?? `Roll ${props.environment} out`}
        {plan ? ` to ${plan.toVersion} (${plan.strategy})` : ''}
      </DialogTitle>
      <DialogContent>
        {!plan && !error && <Progress />}
        {plan && (
          <>
            {plan.movesChannel && (
              <Typography>
                The {props.environment} channel moves to {plan.toVersion} when
                the rollout succeeds.
              </Typography>
            )}
            <PlanView rollout={plan} />
          </>
        )}
        {error && (
          <Typography color="error" role="alert">
            {error}
          </Typography>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onClose}>Cancel</Button>
        <Button
          color="primary"
          variant="contained"
          disabled={!plan || busy}
          onClick={start}
        >
          Start rollout
        </Button>
      </DialogActions>
    </Dialog>
  );
}

/** A rollout as it goes: its step, each fleet, the timeline, the controls. */
function RolloutView(props: {
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
      await api.controlRollout(value.id, action);
      retry();
      props.onChanged();
    } catch (e) {
      alertApi.post({ message: (e as Error).message, severity: 'error' });
    } finally {
      setBusy(false);
    }
  };
  const step = value.steps[value.currentStep];
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
      {!FINISHED_ROLLOUT_STATES.includes(value.state) && (
        <Typography>
          Step {Math.min(value.currentStep + 1, value.steps.length)} of{' '}
          {value.steps.length}: {stepLabel(step)}
        </Typography>
      )}
      {value.reason && <Typography color="error">{value.reason}</Typography>}
      <ul>
        {value.status.map(fleet => (
          <li key={fleet.key}>
            {value.fleets.find(f => f.key === fleet.key)?.name ?? fleet.key}:{' '}
            {fleet.healthyNewInstances} of {fleet.newInstances} new instances
            passed, {fleet.oldInstances} old
            {fleet.scalingIn
              ? `, ${fleet.scalingIn} more the group is about to scale in`
              : ''}
            {Object.entries(fleet.waiting).map(([instance, why]) => (
              <Typography key={instance} variant="body2">
                {instance}: {why}
              </Typography>
            ))}
          </li>
        ))}
      </ul>
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

/**
 * Rollouts of the entity: a "Roll out" button per environment (for those
 * who may start one) that shows the plan first, the rollouts that have not
 * ended as they go, and the history below.
 */
export function RolloutsCard(props: {
  entityRef: CompoundEntityRef;
  environments: string[];
}) {
  const resourceRef = stringifyEntityRef(props.entityRef);
  const create = usePermission({
    permission: immutableInfraRolloutCreatePermission,
    resourceRef,
  });
  const control = usePermission({
    permission: immutableInfraRolloutControlPermission,
    resourceRef,
  });
  const list = useRollouts(props.entityRef);
  const [starting, setStarting] = useState<{
    environment: string;
    spec?: RolloutSpec;
    title?: string;
  }>();
  const active = (list.value ?? []).filter(
    r => !FINISHED_ROLLOUT_STATES.includes(r.state),
  );
  const columns = useMemo(
    (): TableColumn<RolloutRow>[] => [
      { title: 'Environment', field: 'environment', cellStyle: NO_WRAP },
      { title: 'Version', field: 'toVersion', cellStyle: NO_WRAP },
      { title: 'State', field: 'state' },
      {
        title: 'Started',
        field: 'createdAt',
        cellStyle: NO_WRAP,
        render: r => relative(r.createdAt),
      },
      { title: 'By', field: 'createdBy' },
      { title: 'Reason', field: 'reason', render: r => r.reason ?? '' },
    ],
    [],
  );
  return (
    <InfoCard
      title="Rollouts"
      subheader="Fresh instances from the new image, in waves gated by health checks; old ones are terminated, never patched"
    >
      <Box mb={2}>
        {props.environments.map(environment => (
          <Button
            key={environment}
            variant="outlined"
            color="primary"
            disabled={!create.allowed}
            onClick={() => setStarting({ environment })}
            style={{ marginRight: 8 }}
          >
            Roll out {environment}
          </Button>
        ))}
        {props.environments.map(environment => (
          <Button
            key={`rollback-${environment}`}
            variant="text"
            disabled={!create.allowed}
            onClick={() =>
              setStarting({
                environment,
                spec: { strategy: 'rollback', fast: true },
                title: `Roll ${environment} back fast`,
              })
            }
            style={{ marginRight: 8 }}
          >
            Roll back {environment}
          </Button>
        ))}
      </Box>
      {starting && (
        <StartDialog
          entityRef={props.entityRef}
          environment={starting.environment}
          spec={starting.spec}
          title={starting.title}
          onClose={() => setStarting(undefined)}
          onStarted={() => list.retry()}
        />
      )}
      {list.error && <ResponseErrorPanel error={list.error} />}
      {active.map(rollout => (
        <RolloutView
          key={rollout.id}
          id={rollout.id}
          canControl={control.allowed}
          onChanged={list.retry}
        />
      ))}
      {list.loading && !list.value && <Progress />}
      <DataTable
        label="Rollout history"
        columns={columns}
        data={(list.value as RolloutRow[] | undefined) ?? []}
        pageSize={ROLLOUTS_PAGE_SIZE}
        emptyContent="No rollouts yet"
      />
      <LoadMore list={list} />
    </InfoCard>
  );
}
