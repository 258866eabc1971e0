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
import { usePermission } from '@backstage/plugin-permission-react';
import {
  FINISHED_ROLLOUT_STATES,
  immutableInfraRolloutControlPermission,
  immutableInfraRolloutCreatePermission,
  Rollout,
  RolloutSpec,
} from '@immutable-infra/backstage-plugin-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import { useMemo, useState } from 'react';
import { DataTable, LoadMore, NO_WRAP, relative } from '../shared';
import { RolloutView } from './RolloutView';
import { StartDialog } from './StartDialog';
import { ROLLOUTS_PAGE_SIZE, useRollouts } from './useRollouts';

type RolloutRow = Omit<Rollout, 'events'>;

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
