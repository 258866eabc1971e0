import {
  AdoptionQuery,
  adoptionServiceSchema,
} from '@immutable-infra/backstage-plugin-common';
import { stringify } from 'csv-stringify/sync';
import { orderServices, serviceRow } from './serviceRows';
import { AdoptionSnapshot } from './types';

/** The CSV's columns: a service's fields as the API shows them, the checks last. */
const COLUMNS = [
  ...Object.keys(adoptionServiceSchema.shape).filter(
    key => key !== 'passingChecks',
  ),
  'passingChecks',
];

/**
 * The services of a view (every one, not a page), in its order, as CSV.
 *
 * @internal
 */
export function adoptionCsv(
  rows: AdoptionSnapshot[],
  query: Pick<AdoptionQuery, 'sort' | 'order'>,
): string {
  return stringify(orderServices(rows, query).map(serviceRow), {
    header: true,
    columns: COLUMNS,
    cast: {
      boolean: value => (value ? 'true' : 'false'),
      // A cell a spreadsheet would run as a formula is kept as text.
      string: value => (/^[=+\-@\t\r]/.test(value) ? `'${value}` : value),
      object: value => (Array.isArray(value) ? value.join(' ') : String(value)),
    },
  });
}
