import { useApi } from '@backstage/core-plugin-api';
import { AdoptionViewRequest } from '@immutable-infra/backstage-plugin-common';
import Button from '@material-ui/core/Button';
import Typography from '@material-ui/core/Typography';
import { useState } from 'react';
import { immutableInfraApiRef } from '../../api';

/** Downloads the view's services as CSV, with the user's credentials. */
export function CsvButton(props: { view: AdoptionViewRequest }) {
  const api = useApi(immutableInfraApiRef);
  const [error, setError] = useState<Error>();
  const download = async () => {
    setError(undefined);
    try {
      const csv = await api.getAdoptionCsv({
        ...props.view,
        cursor: undefined,
        limit: undefined,
      });
      const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
      const link = document.createElement('a');
      link.href = url;
      link.download = `adoption-${new Date().toISOString().slice(0, 10)}.csv`;
      document.body.appendChild(link);
      link.click();
      link.remove();
      URL.revokeObjectURL(url);
    } catch (e) {
      setError(e as Error);
    }
  };
  return (
    <>
      <Button variant="outlined" onClick={download}>
        Download CSV
      </Button>
      {error && (
        <Typography color="error" variant="body2" role="alert">
          The CSV could not be downloaded: {error.message}
        </Typography>
      )}
    </>
  );
}
