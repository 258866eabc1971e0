import {
  getCompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  EmptyState,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { alertApiRef, useApi } from '@backstage/core-plugin-api';
import {
  MissingAnnotationEmptyState,
  useEntity,
} from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  ANNOTATION_IMAGE_FAMILY,
  immutableInfraFleetSyncPermission,
  immutableInfraRolloutCreatePermission,
  isImmutableInfraAvailable,
  SEVERITIES,
} from '@immutable-infra/backstage-plugin-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Chip from '@material-ui/core/Chip';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import { useEffect, useMemo, useRef, useState } from 'react';
import { immutableInfraApiRef } from '../../api';
import {
  duration,
  inventoryOutOfDate,
  relative,
  StaleInventory,
} from '../shared';
import { DriftGroupPanel, SEVERITY_COLOR } from './DriftGroupPanel';
import { useDrift } from './useDrift';
import { useInstances } from './useInstances';
import { InstancesCard } from './InstancesCard';
import { StartDialog } from '../rollouts';
import { RemediationPolicyLine } from './RemediationPolicy';

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
  // A sync since the instances were read (the drift is read again every few
  // seconds, and a sync button or an event may have run one): read them
  // again too, so the table and the groups show the same inventory.
  const lastAttempt = drift.value?.sync.lastAttemptAt;
  const readAt = useRef(lastAttempt);
  const { retry: rereadInstances } = instances;
  useEffect(() => {
    if (lastAttempt === readAt.current) {
      return;
    }
    const first = readAt.current === undefined;
    readAt.current = lastAttempt;
    if (!first) {
      rereadInstances();
    }
  }, [lastAttempt, rereadInstances]);

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
      // The instances follow once the drift shows the new sync.
      drift.retry();
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
  const { counts, groups, sync: lastSync, lifetime, remediation } = drift.value;
  const total = instances.lastPage?.total ?? 0;
  return (
    <Grid container spacing={3}>
      {inventoryOutOfDate(lastSync) && (
        <Grid item xs={12}>
          <StaleInventory sync={lastSync} />
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
        {lifetime && (
          <Typography variant="body2" color="textSecondary">
            {`Drift lifetime: ${lifetime.windows
              .map(
                w =>
                  `${w.days} days, ${w.gone} gone, median ${duration(
                    w.p50Seconds,
                  )}, p95 ${duration(w.p95Seconds)}, ${
                    w.erasedAutomatically
                  } erased automatically`,
              )
              .join('; ')}${
              lifetime.oldestOpenSince
                ? `. Oldest open finding found ${relative(
                    lifetime.oldestOpenSince,
                  )}.`
                : '.'
            }`}
          </Typography>
        )}
        {remediation && <RemediationPolicyLine remediation={remediation} />}
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
            <DriftGroupPanel
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
