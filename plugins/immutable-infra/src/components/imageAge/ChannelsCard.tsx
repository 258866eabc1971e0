import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
  TableColumn,
} from '@backstage/core-components';
import {
  Channel,
  ChannelAssignment,
} from '@immutable-infra/backstage-plugin-common';
import Button from '@material-ui/core/Button';
import Typography from '@material-ui/core/Typography';
import { useMemo } from 'react';
import { DataTable, NO_WRAP, relative } from '../shared';

/** Channels of the family, each with a rollback to its previous version. */
export function ChannelsCard(props: {
  channels?: Channel[];
  loading: boolean;
  error?: Error;
  /** The newest assignments, which name each channel's previous version. */
  history: ChannelAssignment[];
  canAssign: boolean;
  onRollback: (channel: Channel) => void;
}) {
  const { history, canAssign, onRollback } = props;
  const columns = useMemo((): TableColumn<Channel>[] => {
    const previous = (name: string) =>
      history.find(a => a.channel === name)?.from;
    return [
      {
        title: 'Channel',
        field: 'name',
        render: channel => (
          <>
            <b>{channel.name}</b>
            {channel.managed && (
              <Typography variant="caption" display="block">
                managed: newest active version
              </Typography>
            )}
          </>
        ),
      },
      {
        title: 'Version',
        field: 'version',
        cellStyle: NO_WRAP,
        render: channel => channel.version ?? 'none yet',
      },
      {
        title: 'Assigned',
        field: 'updatedAt',
        render: channel =>
          channel.updatedAt
            ? `${relative(channel.updatedAt)} by ${channel.updatedBy}`
            : '—',
      },
      {
        title: 'Rollback',
        render: channel => {
          const to = previous(channel.name);
          return !channel.managed && canAssign && to ? (
            <Button size="small" onClick={() => onRollback(channel)}>
              Roll back to {to}
            </Button>
          ) : null;
        },
      },
    ];
  }, [history, canAssign, onRollback]);

  let content: JSX.Element;
  if (props.error) {
    content = <ResponseErrorPanel error={props.error} />;
  } else if (!props.channels) {
    content = props.loading ? <Progress /> : <></>;
  } else {
    content = (
      <DataTable label="channels" columns={columns} data={props.channels} />
    );
  }
  return (
    <InfoCard
      title="Channels"
      subheader="Which version each environment should run"
      noPadding
    >
      {content}
    </InfoCard>
  );
}
