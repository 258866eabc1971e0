import { CompoundEntityRef } from '@backstage/catalog-model';
import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
  TableColumn,
} from '@backstage/core-components';
import { ImageAgeResponse } from '@immutable-infra/backstage-plugin-common';
import Box from '@material-ui/core/Box';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import {
  Bar,
  BarChart,
  CartesianGrid,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import {
  DataTable,
  dayCount,
  inventoryOutOfDate,
  StaleInventory,
} from '../shared';
import { useImageAge } from './useImageAge';

type EnvironmentAge = ImageAgeResponse['environments'][number];

const columns: TableColumn<EnvironmentAge>[] = [
  { title: 'Environment', field: 'environment' },
  { title: 'Instances', field: 'instances' },
  { title: 'Median', field: 'medianDays', render: e => dayCount(e.medianDays) },
  { title: 'p95', field: 'p95Days', render: e => dayCount(e.p95Days) },
  { title: 'Max', field: 'maxDays', render: e => dayCount(e.maxDays) },
  {
    title: 'Policy',
    field: 'withinPolicy',
    render: e => (
      <Typography
        variant="body2"
        color={e.withinPolicy ? 'textPrimary' : 'error'}
      >
        {e.withinPolicy ? 'within' : 'exceeded'}
      </Typography>
    ),
  },
];

/**
 * The running fleet's image age: per environment against policy, and a chart
 * of the versions in use, marked when the inventory they come from is out
 * of date.
 */
export function FleetAgeCard({ entity }: { entity: CompoundEntityRef }) {
  const { value, loading, error } = useImageAge(entity);
  if (error) {
    return <ResponseErrorPanel error={error} />;
  }
  if (!value) {
    return loading ? <Progress /> : null;
  }
  const chart = value.versionsInUse.map(v => ({
    name: v.version ?? v.imageId,
    instances: v.instances,
    age: v.ageDays,
  }));
  return (
    <>
      {inventoryOutOfDate(value.sync) && (
        <Box mb={3}>
          <StaleInventory sync={value.sync} />
        </Box>
      )}
      <InfoCard
        title="Running image age"
        subheader={`Policy: images at most ${value.policyDays} days old`}
      >
        <Grid container spacing={2}>
          <Grid item xs={12} xl={6}>
            <DataTable
              label="image age per environment"
              columns={columns}
              data={value.environments}
            />
          </Grid>
          <Grid item xs={12} xl={6}>
            {chart.length === 0 ? (
              <Typography>No instances running.</Typography>
            ) : (
              <ResponsiveContainer width="100%" height={220}>
                <BarChart data={chart} aria-label="versions in use">
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis dataKey="name" />
                  <YAxis allowDecimals={false} />
                  <Tooltip
                    formatter={(n, _key, item) =>
                      [
                        `${n} instances, image ${
                          item.payload.age === undefined
                            ? 'unregistered'
                            : `${item.payload.age} days old`
                        }`,
                        'running',
                      ] as [string, string]
                    }
                  />
                  <Bar dataKey="instances" fill="#1f5493" />
                </BarChart>
              </ResponsiveContainer>
            )}
          </Grid>
        </Grid>
      </InfoCard>
    </>
  );
}
