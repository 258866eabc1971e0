import {
  CompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { Rollout, RolloutSpec } from '@immutable-infra/backstage-plugin-common';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import Typography from '@material-ui/core/Typography';
import { useEffect, useState } from 'react';
import { immutableInfraApiRef } from '../../api';
import { PlanView } from './PlanView';

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
