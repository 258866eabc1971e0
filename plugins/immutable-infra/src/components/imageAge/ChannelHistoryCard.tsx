import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
  TableColumn,
} from '@backstage/core-components';
import {
  ChannelAssignment,
  ChannelHistoryPage,
} from '@immutable-infra/backstage-plugin-common';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { DataTable, LoadMore, NO_WRAP, PagedList, relative } from '../shared';
import { CHANNEL_HISTORY_PAGE_SIZE } from './useChannelHistory';

const columns: TableColumn<ChannelAssignment>[] = [
  {
    title: 'When',
    field: 'at',
    cellStyle: NO_WRAP,
    render: a => <span title={a.at}>{relative(a.at)}</span>,
  },
  { title: 'Channel', field: 'channel' },
  {
    title: 'Change',
    sorting: false,
    render: a => (
      <>
        <span style={NO_WRAP}>{`${a.from ?? '(none)'} → ${a.to}`}</span>
        {a.kind === 'rollback' && (
          <Typography variant="caption" display="block">
            rolled back
          </Typography>
        )}
      </>
    ),
  },
  { title: 'Who', field: 'actor' },
  { title: 'Reason', field: 'reason', sorting: false },
];

/** The append-only history of the family's channel assignments. */
export function ChannelHistoryCard(props: {
  history: PagedList<ChannelHistoryPage>;
}) {
  const { value, loading, error } = props.history;
  let content: JSX.Element;
  if (error) {
    content = <ResponseErrorPanel error={error} />;
  } else if (!value) {
    content = loading ? <Progress /> : <></>;
  } else if (value.length === 0) {
    content = (
      <Box p={2}>
        <Typography>No channel has been assigned yet.</Typography>
      </Box>
    );
  } else {
    content = (
      <DataTable
        label="channel history"
        columns={columns}
        data={value}
        pageSize={CHANNEL_HISTORY_PAGE_SIZE}
      />
    );
  }
  return (
    <InfoCard title="Channel history" noPadding>
      {content}
      <Box px={2} pb={1}>
        <LoadMore list={props.history} />
      </Box>
    </InfoCard>
  );
}
