import { InfoCard } from '@backstage/core-components';
import {
  Channel,
  ChannelAssignment,
} from '@immutable-infra/backstage-plugin-common';
import Button from '@material-ui/core/Button';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';

const useStyles = makeStyles({
  table: {
    '& th, & td': { whiteSpace: 'nowrap' },
  },
});
import { relative } from './format';

/** Channels of the family, each with a rollback to its previous version. */
export function ChannelsCard(props: {
  channels: Channel[];
  history: ChannelAssignment[];
  canAssign: boolean;
  onRollback: (channel: Channel) => void;
}) {
  const classes = useStyles();
  const previous = (name: string) =>
    props.history.find(a => a.channel === name)?.from;
  return (
    <InfoCard
      title="Channels"
      subheader="Which version each environment should run"
    >
      <Table className={classes.table} size="small" aria-label="channels">
        <TableHead>
          <TableRow>
            <TableCell>Channel</TableCell>
            <TableCell>Version</TableCell>
            <TableCell>Assigned</TableCell>
            <TableCell />
          </TableRow>
        </TableHead>
        <TableBody>
          {props.channels.map(channel => (
            <TableRow key={channel.name}>
              <TableCell>
                <b>{channel.name}</b>
                {channel.managed && (
                  <Typography variant="caption" display="block">
                    managed: newest active version
                  </Typography>
                )}
              </TableCell>
              <TableCell>{channel.version ?? 'none yet'}</TableCell>
              <TableCell>
                {channel.updatedAt
                  ? `${relative(channel.updatedAt)} by ${channel.updatedBy}`
                  : '—'}
              </TableCell>
              <TableCell>
                {!channel.managed &&
                  props.canAssign &&
                  previous(channel.name) && (
                    <Button
                      size="small"
                      onClick={() => props.onRollback(channel)}
                    >
                      Roll back to {previous(channel.name)}
                    </Button>
                  )}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </InfoCard>
  );
}

/** The append-only history of channel assignments. */
export function AssignmentHistory(props: {
  history: ChannelAssignment[];
  hasMore: boolean;
  onLoadMore: () => void;
}) {
  const classes = useStyles();
  return (
    <InfoCard title="Channel history">
      {props.history.length === 0 ? (
        <Typography>No channel has been assigned yet.</Typography>
      ) : (
        <Table
          className={classes.table}
          size="small"
          aria-label="channel history"
        >
          <TableHead>
            <TableRow>
              <TableCell>When</TableCell>
              <TableCell>Channel</TableCell>
              <TableCell>Change</TableCell>
              <TableCell>Who</TableCell>
              <TableCell>Reason</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {props.history.map(a => (
              <TableRow key={a.id}>
                <TableCell>{relative(a.at)}</TableCell>
                <TableCell>{a.channel}</TableCell>
                <TableCell>
                  {a.kind === 'rollback' ? 'rolled back ' : ''}
                  {a.from ?? '(none)'} → {a.to}
                </TableCell>
                <TableCell>{a.actor}</TableCell>
                <TableCell>{a.reason ?? ''}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      {props.hasMore && <Button onClick={props.onLoadMore}>Load more</Button>}
    </InfoCard>
  );
}
