import { TableColumn } from '@backstage/core-components';
import { parseEntityRef } from '@backstage/catalog-model';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import {
  AdoptionGroup,
  AdoptionResponse,
} from '@immutable-infra/backstage-plugin-common';
import Button from '@material-ui/core/Button';
import { useMemo } from 'react';
import { DataTable, NO_WRAP } from '../DataTable';

const percent = (count: number, total: number) =>
  total > 0 ? `${Math.round((count / total) * 100)}%` : '–';

/** The group's name: a link to its entity, indented under its parent. */
function GroupName(props: { group: AdoptionGroup }) {
  const { group } = props;
  const indent = { paddingLeft: (group.depth ?? 0) * 16 };
  if (group.key === '(none)') {
    return <span style={indent}>(none)</span>;
  }
  let ref;
  try {
    ref = parseEntityRef(group.key);
  } catch {
    return <span style={indent}>{group.key}</span>;
  }
  return (
    <span style={indent}>
      <EntityRefLink entityRef={ref} defaultKind="group" />
    </span>
  );
}

/**
 * The roll-up of the view by owner (teams under their department), system
 * or domain; a row's "Services" narrows the view to it.
 */
export function GroupTable(props: {
  adoption: AdoptionResponse;
  onDrillDown: (group: AdoptionGroup) => void;
}) {
  const { adoption, onDrillDown } = props;
  const columns = useMemo<TableColumn<AdoptionGroup>[]>(
    () => [
      {
        title:
          adoption.groupBy.charAt(0).toUpperCase() + adoption.groupBy.slice(1),
        field: 'key',
        render: group => <GroupName group={group} />,
      },
      {
        title: 'Services',
        field: 'figures.services',
        render: group =>
          group.key === '(none)' ? (
            group.figures.services
          ) : (
            <Button
              size="small"
              onClick={() => onDrillDown(group)}
              aria-label={`Show the services of ${group.key}`}
            >
              {group.figures.services}
            </Button>
          ),
      },
      {
        title: 'Enrolled',
        render: group =>
          `${group.figures.enrolled} (${percent(
            group.figures.enrolled,
            group.figures.services,
          )})`,
        cellStyle: NO_WRAP,
      },
      { title: 'Gold', field: 'figures.levels.gold' },
      { title: 'Silver', field: 'figures.levels.silver' },
      { title: 'Bronze', field: 'figures.levels.bronze' },
      {
        title: 'On channel image',
        render: group =>
          percent(group.figures.instancesOnChannel, group.figures.instances),
      },
      { title: 'Critical findings', field: 'figures.criticalFindings' },
      {
        title: 'Median image age',
        render: group =>
          group.figures.imageAgeMedianDays === undefined
            ? '–'
            : `${group.figures.imageAgeMedianDays} d`,
        cellStyle: NO_WRAP,
      },
    ],
    [adoption.groupBy, onDrillDown],
  );
  return (
    <DataTable
      label={`adoption by ${adoption.groupBy}`}
      columns={columns}
      data={adoption.groups}
      pageSize={20}
      emptyContent="No services in this view"
    />
  );
}
