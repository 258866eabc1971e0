import { TableColumn } from '@backstage/core-components';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { DataTable } from './DataTable';
import { TruncatedText } from './TruncatedText';

type Row = { id: string; name: string };

const columns: TableColumn<Row>[] = [
  { title: 'Name', field: 'name' },
  {
    title: 'Id',
    field: 'id',
    render: row => <TruncatedText text={row.id} minWidth="4ch" code />,
  },
];

const rows = (n: number): Row[] =>
  Array.from({ length: n }, (_, i) => ({
    id: `i-0${i}23456789abcdef0`,
    name: `row ${i + 1}`,
  }));

describe('DataTable', () => {
  it('names the table and shows each row, whole ids in their tooltip', async () => {
    await renderInTestApp(
      <DataTable label="things" columns={columns} data={rows(2)} />,
    );
    const table = screen.getByRole('table', { name: 'things' });
    expect(within(table).getByText('Name')).toBeInTheDocument();
    expect(within(table).getByText('row 2')).toBeInTheDocument();
    expect(within(table).getByText('i-0123456789abcdef0')).toHaveAttribute(
      'title',
      'i-0123456789abcdef0',
    );
  });

  it('pages a list longer than a page, and turns to rows loaded later', async () => {
    function Growing() {
      const [count, setCount] = useState(3);
      return (
        <>
          <DataTable
            label="things"
            columns={columns}
            data={rows(count)}
            pageSize={2}
          />
          <button onClick={() => setCount(5)}>More</button>
        </>
      );
    }
    await renderInTestApp(<Growing />);
    expect(screen.getByText('row 2')).toBeInTheDocument();
    expect(screen.queryByText('row 3')).not.toBeInTheDocument();

    // The next page from the backend arrives ("load more"): it is shown.
    await userEvent.click(screen.getByRole('button', { name: 'More' }));
    expect(await screen.findByText('row 3')).toBeInTheDocument();
    expect(screen.getByText('row 4')).toBeInTheDocument();
    expect(screen.queryByText('row 1')).not.toBeInTheDocument();
  });

  it('shows what it is given for no rows', async () => {
    await renderInTestApp(
      <DataTable
        label="things"
        columns={columns}
        data={[]}
        emptyContent={<span>Nothing yet</span>}
      />,
    );
    expect(screen.getByText('Nothing yet')).toBeInTheDocument();
  });
});
