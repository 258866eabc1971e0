import { TableColumn } from '@backstage/core-components';
import {
  AdoptionGroup,
  AdoptionResponse,
} from '@immutable-infra/backstage-plugin-common';
import Button from '@material-ui/core/Button';
import { memo, useMemo } from 'react';
import { DataTable, NO_WRAP } from '../shared';
import { EntityNameLink } from './EntityNameLink';

const percent = (count: number, total: number) =>
  total > 0 ? `${Math.round((count / total) * 100)}%` : '–';

/** The group's name: a link to its entity, indented under its parent. */
function GroupName(props: { group: AdoptionGroup; kind: string }) {
  const { group } = props;
  const indent = { paddingLeft: (group.depth ?? 0) * 16 };
  return (
    <span style={indent}>
      {group.key === '(none)' ? (
        '(none)'
      ) : (
        <EntityNameLink entityRef={group.key} defaultKind={props.kind} />
      )}
    </span>
  );
}

/**
 * The roll-up of the view by owner (teams under their department), system
 * or domain; a row's "Services" narrows the view to it. Drawn again only
 * when its rows or grouping change, not when the services are paged.
 */
export const GroupTable = memo(function GroupRollUp(props: {
  groups: AdoptionResponse['groups'];
  groupBy: AdoptionResponse['groupBy'];
  onDrillDown: (group: AdoptionGroup) => void;
}) {
  const { groups, groupBy, onDrillDown } = props;
  const columns = useMemo<TableColumn<AdoptionGroup>[]>(
    () => [
      {
        title: groupBy.charAt(0).toUpperCase() + groupBy.slice(1),
        field: 'key',
        render: group => (
          <GroupName
            group={group}
            kind={groupBy === 'owner' ? 'group' : groupBy}
          />
        ),
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
    [groupBy, onDrillDown],
  );
  return (
    <DataTable
      label={`adoption by ${groupBy}`}
      columns={columns}
      data={groups}
      pageSize={20}
      emptyContent="No services in this view"
    />
  );
});
