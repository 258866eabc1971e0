import {
  EmptyState,
  InfoCard,
  Progress,
  ResponseErrorPanel,
  StructuredMetadataTable,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { getCompoundEntityRef } from '@backstage/catalog-model';
import {
  MissingAnnotationEmptyState,
  useEntity,
} from '@backstage/plugin-catalog-react';
import {
  ANNOTATION_IMAGE_FAMILY,
  EntitySummary,
  FleetSummary,
  isImmutableInfraAvailable,
} from '@immutable-infra/backstage-plugin-common';
import Chip from '@material-ui/core/Chip';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import useAsync from 'react-use/esm/useAsync';
import { immutableInfraApiRef } from '../../api';
import { ActivityCard } from './ActivityCard';

function EnrolmentCard({ summary }: { summary: EntitySummary }) {
  const { family, familyOwnedBy, annotations } = summary;
  let status: JSX.Element;
  if (family) {
    status = (
      <Typography>
        Image family <b>{family.name}</b> is registered to this service since{' '}
        {new Date(family.createdAt).toLocaleDateString()}.
      </Typography>
    );
  } else if (familyOwnedBy) {
    status = (
      <Typography color="error">
        Image family <b>{annotations.imageFamily}</b> is registered to{' '}
        {familyOwnedBy}, not to this service. Choose another family name in the{' '}
        <code>{ANNOTATION_IMAGE_FAMILY}</code> annotation.
      </Typography>
    );
  } else {
    status = (
      <Typography>
        Image family <b>{annotations.imageFamily}</b> is not registered yet. It
        is registered when the onboarding template runs, or with{' '}
        <code>POST /api/immutable-infra/families</code>.
      </Typography>
    );
  }
  return (
    <InfoCard
      title="Enrolment"
      subheader="This service is baked into machine images and never patched in place"
    >
      <Chip
        label={family ? 'Enrolled' : 'Enrolled, family not registered'}
        color={family ? 'primary' : 'default'}
        size="small"
      />
      {status}
    </InfoCard>
  );
}

function BlueprintCard({ summary }: { summary: EntitySummary }) {
  const a = summary.annotations;
  const metadata: Record<string, string> = {
    'Image family': a.imageFamily ?? '',
    'Fleet selector': a.fleetSelector
      .map(({ key, value }) => `${key}=${value}`)
      .join(', '),
    Environments: a.environments.join(' → '),
    'AWS regions': a.regions?.join(', ') ?? 'configured default',
    'AWS account': a.awsAccountId ?? 'main account',
    'Launch template': a.launchTemplate ?? 'none',
    'Auto Scaling groups': a.autoscalingGroups
      ? Object.entries(a.autoscalingGroups)
          .map(([env, asg]) => `${env}: ${asg}`)
          .join(', ')
      : 'none',
    'Max image age': a.maxImageAgeDays
      ? `${a.maxImageAgeDays} days`
      : 'policy default',
    'Max instance age': a.maxInstanceAgeDays
      ? `${a.maxInstanceAgeDays} days`
      : 'policy default',
    Stateful: a.stateful ? 'yes: replacement needs approval' : 'no',
    'Logs shipped to': a.logDestination ?? 'not declared',
  };
  return (
    <InfoCard title="Blueprint" subheader="From the entity's annotations">
      <StructuredMetadataTable metadata={metadata} />
    </InfoCard>
  );
}

function ScoreCard({ fleet }: { fleet: FleetSummary }) {
  const { score } = fleet;
  return (
    <InfoCard
      title={`Immutability: ${
        score.level === 'none' ? 'no level' : score.level
      } (${score.score}/100)`}
      subheader="Gold from 90, silver from 70, bronze from 40"
    >
      <Table size="small" aria-label="checks">
        <TableHead>
          <TableRow>
            <TableCell>Check</TableCell>
            <TableCell>Weight</TableCell>
            <TableCell>Result</TableCell>
            <TableCell>Evidence</TableCell>
            <TableCell>How to fix</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {score.checks.map(check => (
            <TableRow key={check.id}>
              <TableCell>{check.title}</TableCell>
              <TableCell>{check.weight}</TableCell>
              <TableCell>
                <Chip
                  size="small"
                  label={check.status}
                  color={check.status === 'fail' ? 'secondary' : 'default'}
                />
              </TableCell>
              <TableCell>{check.evidence}</TableCell>
              <TableCell>{check.status === 'pass' ? '' : check.fix}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </InfoCard>
  );
}

function EnvironmentsCard({ fleet }: { fleet: FleetSummary }) {
  return (
    <InfoCard
      title="Versions per environment"
      subheader={
        fleet.sync.lastSuccessAt
          ? `Last synced ${new Date(
              fleet.sync.lastSuccessAt,
            ).toLocaleString()}${
              fleet.sync.status === 'failed'
                ? ` (latest sync failed: ${fleet.sync.error})`
                : ''
            }`
          : 'Not synced yet'
      }
    >
      <Table size="small" aria-label="versions per environment">
        <TableHead>
          <TableRow>
            <TableCell>Environment</TableCell>
            <TableCell>Channel</TableCell>
            <TableCell>Running</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {fleet.environments.map(env => (
            <TableRow key={env.environment}>
              <TableCell>{env.environment}</TableCell>
              <TableCell>{env.channelVersion ?? 'not assigned'}</TableCell>
              <TableCell>
                {env.running.length === 0
                  ? 'no instances'
                  : env.running
                      .map(r => `${r.version ?? r.imageId} × ${r.instances}`)
                      .join(', ')}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </InfoCard>
  );
}

/**
 * The Immutability tab of an entity: score, versions per environment,
 * enrolment, blueprint and the activity log.
 *
 * @public
 */
export function ImmutabilityContent() {
  const { entity } = useEntity();
  const api = useApi(immutableInfraApiRef);
  const enrolled = isImmutableInfraAvailable(entity);
  const { value, loading, error } = useAsync(
    async () =>
      enrolled ? api.getEntitySummary(getCompoundEntityRef(entity)) : undefined,
    [api, entity, enrolled],
  );

  if (!enrolled) {
    return <MissingAnnotationEmptyState annotation={ANNOTATION_IMAGE_FAMILY} />;
  }
  if (loading) {
    return <Progress />;
  }
  if (error) {
    return <ResponseErrorPanel error={error} />;
  }
  if (!value) {
    return <EmptyState missing="data" title="No immutability data" />;
  }
  return (
    <Grid container spacing={3}>
      {value.fleet && (
        <>
          <Grid item xs={12}>
            <ScoreCard fleet={value.fleet} />
          </Grid>
          <Grid item xs={12} md={6}>
            <EnvironmentsCard fleet={value.fleet} />
          </Grid>
        </>
      )}
      <Grid item xs={12} md={6}>
        <EnrolmentCard summary={value} />
      </Grid>
      <Grid item xs={12} md={6}>
        <BlueprintCard summary={value} />
      </Grid>
      <Grid item xs={12}>
        <ActivityCard entityRef={getCompoundEntityRef(entity)} />
      </Grid>
    </Grid>
  );
}
