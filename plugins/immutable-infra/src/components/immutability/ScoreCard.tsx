import { InfoCard, TableColumn } from '@backstage/core-components';
import {
  FleetSummary,
  ScoreCheck,
} from '@immutable-infra/backstage-plugin-common';
import Chip from '@material-ui/core/Chip';
import { DataTable } from '../shared';

const columns: TableColumn<ScoreCheck>[] = [
  { title: 'Check', field: 'title' },
  { title: 'Weight', field: 'weight' },
  {
    title: 'Result',
    field: 'status',
    render: check => (
      <Chip
        size="small"
        label={check.status}
        color={check.status === 'fail' ? 'secondary' : 'default'}
      />
    ),
  },
  { title: 'Evidence', field: 'evidence' },
  {
    title: 'How to fix',
    render: check => (check.status === 'pass' ? '' : check.fix),
  },
];

/** The immutability level and score, check by check with evidence and fix. */
export function ScoreCard({ fleet }: { fleet: FleetSummary }) {
  const { score } = fleet;
  return (
    <InfoCard
      title={`Immutability: ${
        score.level === 'none' ? 'no level' : score.level
      } (${score.score}/100)`}
      subheader="Gold from 90, silver from 70, bronze from 40"
      noPadding
    >
      <DataTable label="checks" columns={columns} data={score.checks} />
    </InfoCard>
  );
}
