import { CompoundEntityRef } from '@backstage/catalog-model';
import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
  TableColumn,
} from '@backstage/core-components';
import { AuditEvent } from '@immutable-infra/backstage-plugin-common';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { DataTable, LoadMore, NO_WRAP, relative } from '../shared';
import { AUDIT_EVENTS_PAGE_SIZE, useAuditEvents } from './useAuditEvents';

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

const columns: TableColumn<AuditEvent>[] = [
  {
    title: 'When',
    field: 'at',
    cellStyle: NO_WRAP,
    render: event => <span title={event.at}>{relative(event.at)}</span>,
  },
  { title: 'Who', field: 'actor' },
  { title: 'What', sorting: false, render: event => describe(event) },
];

/**
 * The entity's audit log, newest first: every registration, revocation,
 * channel move and prune, with who made it and why.
 */
export function ActivityCard(props: { entityRef: CompoundEntityRef }) {
  const events = useAuditEvents(props.entityRef);
  const { value, loading, error } = events;

  let content: JSX.Element;
  if (error) {
    content = <ResponseErrorPanel error={error} />;
  } else if (!value) {
    content = loading ? <Progress /> : <></>;
  } else if (value.length === 0) {
    content = (
      <Box p={2}>
        <Typography>Nothing has changed yet.</Typography>
      </Box>
    );
  } else {
    content = (
      <DataTable
        label="activity"
        columns={columns}
        data={value}
        pageSize={AUDIT_EVENTS_PAGE_SIZE}
      />
    );
  }
  return (
    <InfoCard
      title="Activity"
      subheader="Every change to this service's images and channels, newest first"
      noPadding
    >
      {content}
      <Box px={2} pb={1}>
        <LoadMore list={events} />
      </Box>
    </InfoCard>
  );
}
