import { Link } from '@backstage/core-components';
import { parseEntityRef } from '@backstage/catalog-model';
import {
  ADOPTION_SORTS,
  AdoptionResponse,
  AdoptionService,
  AdoptionViewRequest,
} from '@immutable-infra/backstage-plugin-common';
import Chip from '@material-ui/core/Chip';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TablePagination from '@material-ui/core/TablePagination';
import TableRow from '@material-ui/core/TableRow';
import TableSortLabel from '@material-ui/core/TableSortLabel';
import { EntityNameLink } from './EntityNameLink';

/** The template that enrolls an existing component, with it filled in. */
export function enrolmentLink(entityRef: string) {
  const formData = encodeURIComponent(JSON.stringify({ component: entityRef }));
  return `/create/templates/default/enroll-existing-service?formData=${formData}`;
}

/** A component's Immutability tab. */
function tabLink(entityRef: string) {
  const { kind, namespace, name } = parseEntityRef(entityRef);
  return `/catalog/${namespace}/${kind.toLocaleLowerCase(
    'en-US',
  )}/${name}/immutability`;
}

const COLUMNS: Array<{
  title: string;
  sort?: (typeof ADOPTION_SORTS)[number];
  render: (service: AdoptionService) => React.ReactNode;
}> = [
  {
    title: 'Service',
    sort: 'entityRef',
    render: s => (
      <EntityNameLink entityRef={s.entityRef} defaultKind="component" />
    ),
  },
  {
    title: 'Owner',
    sort: 'owner',
    render: s =>
      s.owner ? (
        <EntityNameLink entityRef={s.owner} defaultKind="group" />
      ) : (
        '–'
      ),
  },
  { title: 'Lifecycle', render: s => s.lifecycle ?? '–' },
  {
    title: 'Level',
    sort: 'level',
    render: s =>
      s.enrolled ? (
        <Link to={tabLink(s.entityRef)}>
          {s.level === undefined || s.level === 'none' ? 'no level' : s.level}
          {s.score === undefined ? '' : ` (${s.score})`}
        </Link>
      ) : (
        <Chip
          size="small"
          component="a"
          clickable
          href={enrolmentLink(s.entityRef)}
          label="Not enrolled: enroll"
        />
      ),
  },
  {
    title: 'Critical',
    sort: 'criticalFindings',
    render: s => s.criticalFindings,
  },
  {
    title: 'On channel',
    render: s =>
      s.instances ? `${s.instancesOnChannel} of ${s.instances}` : '–',
  },
  {
    title: 'Image age',
    sort: 'imageAgeDays',
    render: s =>
      s.imageAgeDays === undefined
        ? '–'
        : `${s.imageAgeDays} d${
            s.imageAgePolicyDays !== undefined &&
            s.imageAgeDays > s.imageAgePolicyDays
              ? ` (policy ${s.imageAgePolicyDays})`
              : ''
          }`,
  },
];

/**
 * The view's services, a page at a time from the backend (a catalog of ten
 * thousand components stays quick), sorted by the backend too.
 */
export function ServiceTable(props: {
  adoption: AdoptionResponse;
  view: AdoptionViewRequest;
  onChange: (change: Partial<AdoptionViewRequest>) => void;
}) {
  const { adoption, view, onChange } = props;
  const limit = view.limit ?? 50;
  const offset = view.cursor ? Number(view.cursor) : 0;
  const sort = view.sort ?? 'entityRef';
  const order = view.order ?? 'asc';
  return (
    <>
      <Table size="small" aria-label="services">
        <TableHead>
          <TableRow>
            {COLUMNS.map(column => (
              <TableCell key={column.title}>
                {column.sort ? (
                  <TableSortLabel
                    active={sort === column.sort}
                    direction={sort === column.sort ? order : 'asc'}
                    onClick={() =>
                      onChange({
                        sort: column.sort,
                        order:
                          sort === column.sort && order === 'asc'
                            ? 'desc'
                            : 'asc',
                      })
                    }
                  >
                    {column.title}
                  </TableSortLabel>
                ) : (
                  column.title
                )}
              </TableCell>
            ))}
          </TableRow>
        </TableHead>
        <TableBody>
          {/* Rows by position: a new page fills the same rows in place. */}
          {adoption.services.items.map((service, index) => (
            <TableRow key={index}>
              {COLUMNS.map(column => (
                <TableCell key={column.title}>
                  {column.render(service)}
                </TableCell>
              ))}
            </TableRow>
          ))}
          {adoption.services.items.length === 0 && (
            <TableRow>
              <TableCell colSpan={COLUMNS.length}>
                No services in this view
              </TableCell>
            </TableRow>
          )}
        </TableBody>
      </Table>
      <TablePagination
        component="div"
        count={adoption.services.total}
        page={Math.floor(offset / limit)}
        rowsPerPage={limit}
        rowsPerPageOptions={[20, 50, 100, 500]}
        onPageChange={(_, page) =>
          onChange({
            ...view,
            cursor: page > 0 ? String(page * limit) : undefined,
          })
        }
        onRowsPerPageChange={event =>
          onChange({ limit: Number(event.target.value) })
        }
      />
    </>
  );
}
