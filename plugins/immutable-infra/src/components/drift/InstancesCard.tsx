import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
  TableColumn,
} from '@backstage/core-components';
import {
  FleetInstanceView,
  InstancePage,
} from '@immutable-infra/backstage-plugin-common';
import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import Typography from '@material-ui/core/Typography';
import {
  DataTable,
  LoadMore,
  NO_WRAP,
  PagedList,
  relative,
  TruncatedText,
} from '../shared';
import { INSTANCES_PAGE_SIZE } from './useInstances';

const columns: TableColumn<FleetInstanceView>[] = [
  {
    title: 'Instance',
    field: 'instanceId',
    sorting: false,
    render: i => <TruncatedText text={i.instanceId} minWidth="8ch" code />,
  },
  {
    title: 'Environment',
    field: 'environment',
    render: i => i.environment ?? 'untagged',
  },
  { title: 'Region', field: 'region', sorting: false, cellStyle: NO_WRAP },
  {
    title: 'Image',
    field: 'imageId',
    sorting: false,
    render: i =>
      i.imageId ? <TruncatedText text={i.imageId} minWidth="6ch" code /> : '—',
  },
  {
    title: 'Version',
    field: 'version',
    cellStyle: NO_WRAP,
    render: i => i.version ?? 'unregistered',
  },
  {
    title: 'Launched',
    field: 'launchTime',
    cellStyle: NO_WRAP,
    render: i => (
      <span title={i.launchTime}>
        {i.launchTime ? relative(i.launchTime) : '—'}
      </span>
    ),
  },
  {
    title: 'Reasons',
    sorting: false,
    render: i =>
      i.rules.length === 0 ? (
        'none'
      ) : (
        <Box display="flex" flexWrap="wrap" style={{ gap: 4 }}>
          {i.rules.map(r => (
            <Chip key={r} size="small" variant="outlined" label={r} />
          ))}
        </Box>
      ),
  },
];

/** The entity's instances, with why each one drifts. */
export function InstancesCard(props: { instances: PagedList<InstancePage> }) {
  const { value, lastPage, loading, error } = props.instances;
  let content: JSX.Element;
  if (error) {
    content = <ResponseErrorPanel error={error} />;
  } else if (!value) {
    content = loading ? <Progress /> : <></>;
  } else {
    content = (
      <DataTable
        label="instances"
        columns={columns}
        data={value}
        pageSize={INSTANCES_PAGE_SIZE}
        emptyContent={
          <Box p={2}>
            <Typography>No instances.</Typography>
          </Box>
        }
      />
    );
  }
  return (
    <InfoCard
      title={lastPage ? `Instances (${lastPage.total})` : 'Instances'}
      noPadding
    >
      {content}
      <Box px={2} pb={1}>
        <LoadMore list={props.instances} />
      </Box>
    </InfoCard>
  );
}
