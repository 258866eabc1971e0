import { getCompoundEntityRef } from '@backstage/catalog-model';
import {
  EmptyState,
  InfoCard,
  Progress,
  ResponseErrorPanel,
  StructuredMetadataTable,
} from '@backstage/core-components';
import {
  MissingAnnotationEmptyState,
  useEntity,
} from '@backstage/plugin-catalog-react';
import {
  ANNOTATION_IMAGE_FAMILY,
  EntitySummary,
  isImmutableInfraAvailable,
} from '@immutable-infra/backstage-plugin-common';
import Chip from '@material-ui/core/Chip';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import { useMemo } from 'react';
import { useEntitySummary } from './useEntitySummary';
import { ActivityCard } from './ActivityCard';
import { EnvironmentsCard } from './EnvironmentsCard';
import { RolloutsCard } from '../rollouts';
import { ScoreCard } from './ScoreCard';
import { inventoryOutOfDate, StaleInventory } from '../shared';

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

function Immutability() {
  const { entity } = useEntity();
  const entityRef = useMemo(() => getCompoundEntityRef(entity), [entity]);
  const { value, loading, error } = useEntitySummary(entityRef);

  if (error) {
    return <ResponseErrorPanel error={error} />;
  }
  if (!value) {
    return loading ? (
      <Progress />
    ) : (
      <EmptyState missing="data" title="No immutability data" />
    );
  }
  return (
    <Grid container spacing={3}>
      {value.fleet && (
        <>
          {inventoryOutOfDate(value.fleet.sync) && (
            <Grid item xs={12}>
              <StaleInventory sync={value.fleet.sync} />
            </Grid>
          )}
          <Grid item xs={12} style={{ minWidth: 0 }}>
            <ScoreCard fleet={value.fleet} />
          </Grid>
          <Grid item xs={12} md={6} style={{ minWidth: 0 }}>
            <EnvironmentsCard fleet={value.fleet} />
          </Grid>
        </>
      )}
      {value.family && (
        <Grid item xs={12} style={{ minWidth: 0 }}>
          <RolloutsCard
            entityRef={entityRef}
            environments={value.annotations.environments}
          />
        </Grid>
      )}
      <Grid item xs={12} md={6}>
        <EnrolmentCard summary={value} />
      </Grid>
      <Grid item xs={12} md={6}>
        <BlueprintCard summary={value} />
      </Grid>
      <Grid item xs={12} style={{ minWidth: 0 }}>
        <ActivityCard entityRef={entityRef} />
      </Grid>
    </Grid>
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
  if (!isImmutableInfraAvailable(entity)) {
    return <MissingAnnotationEmptyState annotation={ANNOTATION_IMAGE_FAMILY} />;
  }
  return <Immutability />;
}
