import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  immutableInfraInitiativeManagePermission,
  Initiative,
} from '@immutable-infra/backstage-plugin-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import LinearProgress from '@material-ui/core/LinearProgress';
import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import Typography from '@material-ui/core/Typography';
import { useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { Area, AreaChart, Line, Tooltip, XAxis, YAxis } from 'recharts';
import { immutableInfraApiRef } from '../../api';
import { goalLabel, NewInitiativeDialog } from './NewInitiativeDialog';

/** One initiative: its progress, burn-up, and the owners behind. */
function InitiativeDetails(props: { initiative: Initiative }) {
  const api = useApi(immutableInfraApiRef);
  const detail = useAsyncRetry(
    () => api.getInitiative(props.initiative.id),
    [api, props.initiative.id],
  );
  const { initiative } = props;
  const { done, total } = initiative.progress;
  const today = new Date().toISOString().slice(0, 10);
  const overdue = initiative.state === 'active' && today > initiative.deadline;
  return (
    <ListItem divider style={{ display: 'block' }}>
      <Typography variant="h6" component="h3">
        {initiative.title}
      </Typography>
      <Typography variant="body2" color="textSecondary">
        {goalLabel(initiative.goal)} · by {initiative.deadline}
        {overdue ? ' (past its deadline)' : ''} · {initiative.state}
      </Typography>
      <Box display="flex" alignItems="center" style={{ gap: 8 }} my={1}>
        <Box flexGrow={1}>
          <LinearProgress
            variant="determinate"
            value={total ? (done / total) * 100 : 0}
            aria-label={`${initiative.title}: ${done} of ${total} done`}
          />
        </Box>
        <Typography variant="body2">
          {done} of {total} done
        </Typography>
      </Box>
      {detail.error && <ResponseErrorPanel error={detail.error} />}
      {detail.value && detail.value.burnUp.length > 1 && (
        <div role="img" aria-label={`${initiative.title} burn-up`}>
          <AreaChart width={480} height={120} data={detail.value.burnUp}>
            <XAxis dataKey="day" hide />
            <YAxis allowDecimals={false} width={30} />
            <Tooltip />
            <Line
              dataKey="total"
              name="in scope"
              dot={false}
              isAnimationActive={false}
            />
            <Area
              dataKey="done"
              name="done"
              type="stepAfter"
              isAnimationActive={false}
            />
          </AreaChart>
        </div>
      )}
      {detail.value && (
        <Typography variant="body2" component="div">
          {detail.value.owners.map(o => (
            <Box key={o.owner} display="inline-flex" mr={2} alignItems="center">
              {o.owner === '(none)' ? (
                '(no owner)'
              ) : (
                <EntityRefLink entityRef={o.owner} defaultKind="group" />
              )}
              &nbsp;
              {o.done === o.total ? 'done' : `behind: ${o.done} of ${o.total}`}
            </Box>
          ))}
        </Typography>
      )}
    </ListItem>
  );
}

/**
 * The adoption initiatives: each goal's progress and burn-up, who is done
 * and who is behind; platform leads (the initiative-manage permission)
 * create new ones.
 */
export function InitiativesCard() {
  const api = useApi(immutableInfraApiRef);
  const initiatives = useAsyncRetry(() => api.listInitiatives(), [api]);
  const { allowed } = usePermission({
    permission: immutableInfraInitiativeManagePermission,
  });
  const [creating, setCreating] = useState(false);
  return (
    <InfoCard
      title="Initiatives"
      subheader="Goals with a scope and a deadline"
      action={
        allowed && (
          <Button variant="outlined" onClick={() => setCreating(true)}>
            New initiative
          </Button>
        )
      }
    >
      {initiatives.loading && !initiatives.value && <Progress />}
      {initiatives.error && <ResponseErrorPanel error={initiatives.error} />}
      {initiatives.value?.length === 0 && (
        <Typography color="textSecondary">No initiative yet.</Typography>
      )}
      <List aria-label="initiatives">
        {initiatives.value?.map(i => (
          <InitiativeDetails key={`${i.id}-${i.updatedAt}`} initiative={i} />
        ))}
      </List>
      <NewInitiativeDialog
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={() => {
          setCreating(false);
          initiatives.retry();
        }}
      />
    </InfoCard>
  );
}
