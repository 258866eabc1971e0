import {
  getCompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  EmptyState,
  Progress,
  ResponseErrorPanel,
  WarningPanel,
} from '@backstage/core-components';
import { alertApiRef, useApi } from '@backstage/core-plugin-api';
import {
  MissingAnnotationEmptyState,
  useEntity,
} from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  ANNOTATION_IMAGE_FAMILY,
  DriftGroup,
  immutableInfraFleetSyncPermission,
  immutableInfraRolloutCreatePermission,
  isImmutableInfraAvailable,
  Severity,
  SEVERITIES,
} from '@immutable-infra/backstage-plugin-common';
import Accordion from '@material-ui/core/Accordion';
import AccordionDetails from '@material-ui/core/AccordionDetails';
import AccordionSummary from '@material-ui/core/AccordionSummary';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Chip from '@material-ui/core/Chip';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import ExpandMoreIcon from '@material-ui/icons/ExpandMore';
import { useMemo, useState } from 'react';
import { immutableInfraApiRef } from '../../api';
import { relative } from '../../format';
import { useDrift, useInstances } from '../../hooks';
import { InstancesCard } from '../InstancesCard';
import { StartDialog } from '../RolloutsCard';

const SEVERITY_COLOR: Record<Severity, 'secondary' | 'primary' | 'default'> = {
  critical: 'secondary',
  high: 'secondary',
  medium: 'primary',
  low: 'default',
};

function SeverityChip({ severity }: { severity: Severity }) {
  return (
    <Chip
      size="small"
      label={severity}
      color={SEVERITY_COLOR[severity]}
      variant={severity === 'critical' ? 'default' : 'outlined'}
    />
  );
}

/** The environments whose instances have this group's drift. */
function driftedEnvironments(group: DriftGroup): string[] {
  return [
    ...new Set(
      group.findings.flatMap(f =>
        f.instanceId && f.environment ? [f.environment] : [],
      ),
    ),
  ].sort();
}

function Group({
  group,
  canReplace,
  onReplace,
}: {
  group: DriftGroup;
  canReplace: boolean;
  onReplace: (environment: string) => void;
}) {
  return (
    <Accordion>
      <AccordionSummary expandIcon={<ExpandMoreIcon />}>
        <Box display="flex" alignItems="center" style={{ gap: 12 }}>
          <SeverityChip severity={group.severity} />
          <Typography>
            <b>{group.summary}</b>
          </Typography>
          <Typography variant="caption">{group.rule}</Typography>
        </Box>
      </AccordionSummary>
      <AccordionDetails>
        <Box>
          <Typography variant="body2" paragraph>
            <b>Fix:</b> {group.fix}
          </Typography>
          {group.findings.slice(0, 20).map(f => (
            <Typography
              key={`${f.rootCause}/${f.instanceId ?? f.region}`}
              variant="body2"
            >
              {f.detail}
            </Typography>
          ))}
          {group.findings.length > 20 && (
            <Typography variant="caption">
              and {group.findings.length - 20} more
            </Typography>
          )}
          <Box mt={1}>
            {driftedEnvironments(group).map(environment => (
              <Button
                key={environment}
                size="small"
                variant="outlined"
                color="primary"
                disabled={!canReplace}
                onClick={() => onReplace(environment)}
                style={{ marginRight: 8 }}
              >
                Replace drifted ({environment})
              </Button>
            ))}
          </Box>
        </Box>
      </AccordionDetails>
    </Accordion>
  );
}

function Drift() {
  const { entity } = useEntity();
  const ref = useMemo(() => getCompoundEntityRef(entity), [entity]);
  const api = useApi(immutableInfraApiRef);
  const alertApi = useApi(alertApiRef);
  const sync = usePermission({ permission: immutableInfraFleetSyncPermission });
  const replace = usePermission({
    permission: immutableInfraRolloutCreatePermission,
    resourceRef: stringifyEntityRef(entity),
  });
  const [replacing, setReplacing] = useState<{
    environment: string;
    rootCause: string;
  }>();
  const drift = useDrift(ref);
  const instances = useInstances(ref);
  const [syncing, setSyncing] = useState(false);

  const syncNow = async () => {
    setSyncing(true);
    try {
      const { synced } = await api.syncFleet({
        entityRef: stringifyEntityRef(entity),
      });
      const result = synced[0];
      alertApi.post({
        message:
          result?.status === 'ok'
            ? `Synced ${result.instances} instances`
            : `Sync failed: ${result?.error ?? 'unknown error'}`,
        severity: result?.status === 'ok' ? 'success' : 'error',
        display: 'transient',
      });
      drift.retry();
      instances.retry();
    } catch (e) {
      alertApi.post({
        message: `Sync failed: ${(e as Error).message}`,
        severity: 'error',
      });
    } finally {
      setSyncing(false);
    }
  };

  if (drift.error) {
    return <ResponseErrorPanel error={drift.error} />;
  }
  // The first instances too: the empty state counts them.
  if (!drift.value || (instances.loading && !instances.value)) {
    return <Progress />;
  }
  const { counts, groups, sync: lastSync } = drift.value;
  const total = instances.lastPage?.total ?? 0;
  return (
    <Grid container spacing={3}>
      {(lastSync.stale || lastSync.status === 'failed') && (
        <Grid item xs={12}>
          <WarningPanel
            severity={lastSync.stale ? 'error' : 'warning'}
            title={
              lastSync.stale
                ? 'This inventory is stale: the last sync failed'
                : 'The last sync failed'
            }
            message={`${lastSync.error ?? ''}${
              lastSync.lastSuccessAt
                ? ` The instances shown are from the sync ${relative(
                    lastSync.lastSuccessAt,
                  )}.`
                : ' No sync has succeeded yet.'
            }`}
          />
        </Grid>
      )}
      <Grid item xs={12}>
        <Box display="flex" alignItems="center" style={{ gap: 12 }}>
          {SEVERITIES.map(s => (
            <Chip
              key={s}
              label={`${counts[s]} ${s}`}
              color={counts[s] ? SEVERITY_COLOR[s] : 'default'}
              variant="outlined"
            />
          ))}
          <Typography variant="body2">
            {lastSync.lastSuccessAt
              ? `Last synced ${relative(lastSync.lastSuccessAt)}`
              : 'Never synced'}
          </Typography>
          {sync.allowed && (
            <Button
              variant="outlined"
              size="small"
              disabled={syncing}
              onClick={syncNow}
            >
              {syncing ? 'Syncing…' : 'Sync now'}
            </Button>
          )}
        </Box>
      </Grid>
      <Grid item xs={12}>
        {groups.length === 0 ? (
          <EmptyState
            missing="data"
            title="No drift"
            description={
              total === 0
                ? 'No instances found for this service yet: check its fleet selector.'
                : `All ${total} instances match their blueprint.`
            }
          />
        ) : (
          groups.map(group => (
            <Group
              key={group.rootCause}
              group={group}
              canReplace={replace.allowed}
              onReplace={environment =>
                setReplacing({ environment, rootCause: group.rootCause })
              }
            />
          ))
        )}
      </Grid>
      {replacing && (
        <StartDialog
          entityRef={ref}
          environment={replacing.environment}
          spec={{ strategy: 'replaceDrifted', rootCause: replacing.rootCause }}
          title={`Replace drifted ${replacing.environment} instances`}
          onClose={() => setReplacing(undefined)}
          onStarted={() =>
            alertApi.post({
              message:
                'Replacement started: follow it in the Rollouts card of the Immutability tab',
              severity: 'success',
            })
          }
        />
      )}
      <Grid item xs={12} style={{ minWidth: 0 }}>
        <InstancesCard instances={instances} />
      </Grid>
    </Grid>
  );
}

/**
 * The Drift tab: findings grouped by root cause, the instances behind them,
 * the sync state and a sync button where permitted.
 *
 * @public
 */
export function DriftContent() {
  const { entity } = useEntity();
  if (!isImmutableInfraAvailable(entity)) {
    return <MissingAnnotationEmptyState annotation={ANNOTATION_IMAGE_FAMILY} />;
  }
  return <Drift />;
}
