import { InfoCard, TableColumn } from '@backstage/core-components';
import { FleetSummary } from '@immutable-infra/backstage-plugin-common';
import { DataTable, NO_WRAP } from '../shared';

type EnvironmentVersions = FleetSummary['environments'][number];

const columns: TableColumn<EnvironmentVersions>[] = [
  { title: 'Environment', field: 'environment' },
  {
    title: 'Channel',
    field: 'channelVersion',
    cellStyle: NO_WRAP,
    render: env => env.channelVersion ?? 'not assigned',
  },
  {
    title: 'Running',
    render: env =>
      env.running.length === 0
        ? 'no instances'
        : env.running
            .map(r => `${r.version ?? r.imageId} × ${r.instances}`)
            .join(', '),
  },
];

/** Per environment: the version its channel names and the versions it runs. */
export function EnvironmentsCard({ fleet }: { fleet: FleetSummary }) {
  let subheader = 'Not synced yet';
  if (fleet.sync.lastSuccessAt) {
    subheader = `Last synced ${new Date(
      fleet.sync.lastSuccessAt,
    ).toLocaleString()}${
      fleet.sync.status === 'failed'
        ? ` (latest sync failed: ${fleet.sync.error})`
        : ''
    }`;
  }
  return (
    <InfoCard title="Versions per environment" subheader={subheader} noPadding>
      <DataTable
        label="versions per environment"
        columns={columns}
        data={fleet.environments}
      />
    </InfoCard>
  );
}
