import { CompoundEntityRef } from '@backstage/catalog-model';
import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import Grid from '@material-ui/core/Grid';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import useAsync from 'react-use/esm/useAsync';
import {
  Bar,
  BarChart,
  CartesianGrid,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { immutableInfraApiRef } from '../../api';

const days = (n?: number) => (n === undefined ? '—' : `${n} d`);

/**
 * The running fleet's image age: per environment against policy, and a chart
 * of the versions in use.
 */
export function FleetAgeCard({ entity }: { entity: CompoundEntityRef }) {
  const api = useApi(immutableInfraApiRef);
  const { value, loading, error } = useAsync(
    () => api.getImageAge(entity),
    [api, entity],
  );
  if (loading) {
    return <Progress />;
  }
  if (error) {
    return <ResponseErrorPanel error={error} />;
  }
  if (!value) {
    return null;
  }
  const chart = value.versionsInUse.map(v => ({
    name: v.version ?? v.imageId,
    instances: v.instances,
    age: v.ageDays,
  }));
  return (
    <InfoCard
      title="Running image age"
      subheader={`Policy: images at most ${value.policyDays} days old`}
    >
      <Grid container spacing={2}>
        <Grid item xs={12} md={6}>
          <Table size="small" aria-label="image age per environment">
            <TableHead>
              <TableRow>
                <TableCell>Environment</TableCell>
                <TableCell>Instances</TableCell>
                <TableCell>Median</TableCell>
                <TableCell>p95</TableCell>
                <TableCell>Max</TableCell>
                <TableCell>Policy</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {value.environments.map(e => (
                <TableRow key={e.environment}>
                  <TableCell>{e.environment}</TableCell>
                  <TableCell>{e.instances}</TableCell>
                  <TableCell>{days(e.medianDays)}</TableCell>
                  <TableCell>{days(e.p95Days)}</TableCell>
                  <TableCell>{days(e.maxDays)}</TableCell>
                  <TableCell>
                    <Typography
                      variant="body2"
                      color={e.withinPolicy ? 'textPrimary' : 'error'}
                    >
                      {e.withinPolicy ? 'within' : 'exceeded'}
                    </Typography>
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </Grid>
        <Grid item xs={12} md={6}>
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
  );
}
