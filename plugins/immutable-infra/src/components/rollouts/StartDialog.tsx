import {
  CompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { Rollout, RolloutSpec } from '@immutable-infra/backstage-plugin-common';
import Typography from '@material-ui/core/Typography';
import { useEffect, useState } from 'react';
import { immutableInfraApiRef } from '../../api';
import { ConfirmDialog, errorMessage } from '../shared';
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
  const [planError, setPlanError] = useState<string>();
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
      .catch(e => current && setPlanError(errorMessage(e)));
    return () => {
      current = false;
    };
    // The plan of this entity and environment, asked once per dialog.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, request.entityRef, request.environment]);
  const start = async () => {
    const answer = await api.createRollout(request);
    props.onStarted(answer.rollout);
    props.onClose();
  };
  return (
    <ConfirmDialog
      title={`${props.title ?? `Roll ${props.environment} out`}${
        plan ? ` to ${plan.toVersion} (${plan.strategy})` : ''
      }`}
      confirmLabel="Start rollout"
      ready={Boolean(plan)}
      error={planError}
      maxWidth="md"
      onClose={props.onClose}
      onConfirm={start}
    >
      {!plan && !planError && <Progress />}
      {plan && (
        <>
          {plan.notes?.length ? (
            <>
              <Typography variant="subtitle2">Before you start</Typography>
              <ul aria-label="Before you start">
                {plan.notes.map(note => (
                  <li key={note}>
                    <Typography variant="body2">{note}</Typography>
                  </li>
                ))}
              </ul>
            </>
          ) : null}
          {plan.movesChannel && (
            <Typography>
              The {props.environment} channel moves to {plan.toVersion} when the
              rollout succeeds.
            </Typography>
          )}
          <PlanView rollout={plan} />
        </>
      )}
    </ConfirmDialog>
  );
}
