import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { CompoundEntityRef } from '@backstage/catalog-model';
import { AuditEvent } from '@immutable-infra/backstage-plugin-common';
import Button from '@material-ui/core/Button';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { useCallback, useEffect, useState } from 'react';
import { immutableInfraApiRef } from '../../api';
import { relative } from '../ImageAgeContent/format';

const PAGE = 10;

const ACTIONS: Record<string, string> = {
  'family.enroll': 'enrolled the image family',
  'image.register': 'registered',
  'image.discover': 'discovered in EC2',
  'image.adopt': 'matched to its pipeline build',
  'image.revoke': 'revoked',
  'image.restore': 'restored',
  'image.prune': 'pruned',
  'image.prune.partial': 'partly pruned',
  'image.missing': 'found missing in EC2',
  'channel.assign': 'pointed the channel',
  'channel.rollback': 'rolled back the channel',
};

/** The change in one line: what was done to what, and why when given. */
function describe(event: AuditEvent): string {
  const payload = event.payload ?? {};
  const what = ACTIONS[event.action] ?? event.action;
  const parts = [`${what} ${event.subject ?? ''}`.trim()];
  if (typeof payload.to === 'string') {
    parts[0] += ` at ${payload.to}`;
  }
  if (typeof payload.via === 'string') {
    parts.push(`built on ${payload.via}`);
  }
  if (typeof payload.reason === 'string' && payload.reason) {
    parts.push(`reason: ${payload.reason}`);
  }
  if (typeof payload.gitCommit === 'string') {
    parts.push(`commit ${payload.gitCommit.slice(0, 12)}`);
  }
  if (Array.isArray(payload.errors) && payload.errors.length > 0) {
    parts.push(`errors: ${payload.errors.join('; ')}`);
  }
  return parts.join(' · ');
}

/**
 * The entity's audit log, newest first: every registration, revocation,
 * channel move and prune, with who made it and why.
 */
export function ActivityCard(props: { entityRef: CompoundEntityRef }) {
  const api = useApi(immutableInfraApiRef);
  const [events, setEvents] = useState<AuditEvent[]>([]);
  const [cursor, setCursor] = useState<string | undefined>();
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<Error | undefined>();

  const load = useCallback(
    async (after?: string) => {
      setLoading(true);
      try {
        const page = await api.listAuditEvents(props.entityRef, {
          cursor: after,
          limit: PAGE,
        });
        setEvents(previous =>
          after ? [...previous, ...page.items] : page.items,
        );
        setCursor(page.nextCursor);
        setError(undefined);
      } catch (e) {
        setError(e as Error);
      } finally {
        setLoading(false);
      }
    },
    [api, props.entityRef],
  );

  useEffect(() => {
    load();
  }, [load]);

  let content: JSX.Element;
  if (error) {
    content = <ResponseErrorPanel error={error} />;
  } else if (loading && events.length === 0) {
    content = <Progress />;
  } else if (events.length === 0) {
    content = <Typography>Nothing has changed yet.</Typography>;
  } else {
    content = (
      <Table size="small" aria-label="activity">
        <TableHead>
          <TableRow>
            <TableCell>When</TableCell>
            <TableCell>Who</TableCell>
            <TableCell>What</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {events.map(event => (
            <TableRow key={event.id}>
              <TableCell title={event.at}>{relative(event.at)}</TableCell>
              <TableCell>{event.actor}</TableCell>
              <TableCell>{describe(event)}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    );
  }
  return (
    <InfoCard
      title="Activity"
      subheader="Every change to this service's images and channels, newest first"
    >
      {content}
      {cursor && !error && (
        <Button disabled={loading} onClick={() => load(cursor)}>
          Load more
        </Button>
      )}
    </InfoCard>
  );
}
