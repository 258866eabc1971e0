import { getCompoundEntityRef } from '@backstage/catalog-model';
import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useEntity } from '@backstage/plugin-catalog-react';
import { ImmutabilityScore } from '@immutable-infra/backstage-plugin-common';
import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import Typography from '@material-ui/core/Typography';
import { useMemo } from 'react';
import { StaleInventory } from '../shared';
import { useEntitySummary } from './useEntitySummary';

const LEVEL_COLOR: Record<ImmutabilityScore['level'], string> = {
  gold: '#c9a227',
  silver: '#9e9e9e',
  bronze: '#a0632b',
  none: '#616161',
};

/**
 * Overview card: immutability level and score, critical findings, the
 * oldest running image, and the rollouts under way with their step.
 *
 * @public
 */
export function ImmutabilityCard() {
  const { entity } = useEntity();
  const entityRef = useMemo(() => getCompoundEntityRef(entity), [entity]);
  const { value, loading, error } = useEntitySummary(entityRef);
  return (
    <InfoCard title="Immutability">
      {loading && <Progress />}
      {error && <ResponseErrorPanel error={error} />}
      {value && !value.fleet && (
        <Typography>
          {value.familyOwnedBy
            ? `Image family ${value.annotations.imageFamily} belongs to ${value.familyOwnedBy}.`
            : `Image family ${value.annotations.imageFamily} is not registered yet.`}
        </Typography>
      )}
      {value?.fleet && (
        <Box display="flex" flexDirection="column" style={{ gap: 8 }}>
          <Box display="flex" alignItems="center" style={{ gap: 12 }}>
            <Chip
              label={
                value.fleet.score.level === 'none'
                  ? 'no level'
                  : value.fleet.score.level
              }
              style={{
                background: LEVEL_COLOR[value.fleet.score.level],
                color: 'white',
                textTransform: 'capitalize',
              }}
            />
            <Typography variant="h5">{value.fleet.score.score}/100</Typography>
          </Box>
          <Typography
            color={value.fleet.counts.critical ? 'error' : 'textPrimary'}
          >
            {value.fleet.counts.critical} critical finding
            {value.fleet.counts.critical === 1 ? '' : 's'},{' '}
            {value.fleet.instances} instance
            {value.fleet.instances === 1 ? '' : 's'}
          </Typography>
          <Typography>
            {value.fleet.oldestImageDays === undefined
              ? 'No registered image running'
              : `Oldest running image: ${value.fleet.oldestImageDays} days`}
          </Typography>
          <StaleInventory sync={value.fleet.sync} variant="line" />
          {value.activeRollouts?.map(rollout => (
            <Typography key={rollout.id}>
              Rolling {rollout.environment} out to {rollout.toVersion} (
              {rollout.strategy}): {rollout.state}, step{' '}
              {Math.min(rollout.currentStep + 1, rollout.stepCount)} of{' '}
              {rollout.stepCount}
              {rollout.awaitingPromotion ? ', waiting for a promote' : ''}
            </Typography>
          ))}
        </Box>
      )}
    </InfoCard>
  );
}
