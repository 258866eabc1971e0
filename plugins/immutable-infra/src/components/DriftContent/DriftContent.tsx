import {
  getCompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  EmptyState,
  InfoCard,
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
  DriftResponse,
  FleetInstanceView,
  immutableInfraFleetSyncPermission,
  isImmutableInfraAvailable,
  Severity,
} from '@immutable-infra/backstage-plugin-common';
import Accordion from '@material-ui/core/Accordion';
import AccordionDetails from '@material-ui/core/AccordionDetails';
import AccordionSummary from '@material-ui/core/AccordionSummary';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Chip from '@material-ui/core/Chip';
import Grid from '@material-ui/core/Grid';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import ExpandMoreIcon from '@material-ui/icons/ExpandMore';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { immutableInfraApiRef } from '../../api';
import { relative } from '../ImageAgeContent/format';

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

function Group({ group }: { group: DriftGroup }) {
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
        </Box>
      </AccordionDetails>
    </Accordion>
  );
}

function Instances(props: {
  instances: FleetInstanceView[];
  total: number;
  hasMore: boolean;
  onLoadMore: () => void;
}) {
  return (
    <InfoCard title={`Instances (${props.total})`}>
      <div style={{ overflowX: 'auto' }}>
        <Table size="small" aria-label="instances">
          <TableHead>
            <TableRow>
              <TableCell>Instance</TableCell>
              <TableCell>Environment</TableCell>
              <TableCell>Region</TableCell>
              <TableCell>Image</TableCell>
              <TableCell>Version</TableCell>
              <TableCell>Launched</TableCell>
              <TableCell>Reasons</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {props.instances.map(i => (
              <TableRow key={`${i.region}/${i.instanceId}`}>
                <TableCell>{i.instanceId}</TableCell>
                <TableCell>{i.environment ?? 'untagged'}</TableCell>
                <TableCell>{i.region}</TableCell>
                <TableCell>{i.imageId ?? '—'}</TableCell>
                <TableCell>{i.version ?? 'unregistered'}</TableCell>
                <TableCell>
                  {i.launchTime ? relative(i.launchTime) : '—'}
                </TableCell>
                <TableCell>
                  {i.rules.length === 0
                    ? 'none'
                    : i.rules.map(r => (
                        <Chip
                          key={r}
                          size="small"
                          variant="outlined"
                          label={r}
                        />
                      ))}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </div>
      {props.hasMore && <Button onClick={props.onLoadMore}>Load more</Button>}
    </InfoCard>
  );
}

function Drift() {
  const { entity } = useEntity();
  const ref = useMemo(() => getCompoundEntityRef(entity), [entity]);
  const api = useApi(immutableInfraApiRef);
  const alertApi = useApi(alertApiRef);
  const sync = usePermission({ permission: immutableInfraFleetSyncPermission });
  const [drift, setDrift] = useState<DriftResponse>();
  const [instances, setInstances] = useState<FleetInstanceView[]>([]);
  const [total, setTotal] = useState(0);
  const [cursor, setCursor] = useState<string>();
  const [error, setError] = useState<Error>();
  const [syncing, setSyncing] = useState(false);

  const load = useCallback(async () => {
    try {
      const [d, page] = await Promise.all([
        api.getDrift(ref),
        api.listInstances(ref, { limit: 25 }),
      ]);
      setDrift(d);
      setInstances(page.items);
      setTotal(page.total);
      setCursor(page.nextCursor);
      setError(undefined);
    } catch (e) {
      setError(e as Error);
    }
  }, [api, ref]);

  useEffect(() => {
    load();
  }, [load]);

  const loadMore = async () => {
    const page = await api.listInstances(ref, { limit: 25, cursor });
    setInstances(list => [...list, ...page.items]);
    setCursor(page.nextCursor);
  };

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
      await load();
    } catch (e) {
      alertApi.post({
        message: `Sync failed: ${(e as Error).message}`,
        severity: 'error',
      });
    } finally {
      setSyncing(false);
    }
  };

  if (error) {
    return <ResponseErrorPanel error={error} />;
  }
  if (!drift) {
    return <Progress />;
  }
  const { counts, groups } = drift;
  return (
    <Grid container spacing={3}>
      {(drift.sync.stale || drift.sync.status === 'failed') && (
        <Grid item xs={12}>
          <WarningPanel
            severity={drift.sync.stale ? 'error' : 'warning'}
            title={
              drift.sync.stale
                ? 'This inventory is stale: the last sync failed'
                : 'The last sync failed'
            }
            message={`${drift.sync.error ?? ''}${
              drift.sync.lastSuccessAt
                ? ` The instances shown are from the sync ${relative(
                    drift.sync.lastSuccessAt,
                  )}.`
                : ' No sync has succeeded yet.'
            }`}
          />
        </Grid>
      )}
      <Grid item xs={12}>
        <Box display="flex" alignItems="center" style={{ gap: 12 }}>
          {(['critical', 'high', 'medium', 'low'] as const).map(s => (
            <Chip
              key={s}
              label={`${counts[s]} ${s}`}
              color={counts[s] ? SEVERITY_COLOR[s] : 'default'}
              variant="outlined"
            />
          ))}
          <Typography variant="body2">
            {drift.sync.lastSuccessAt
              ? `Last synced ${relative(drift.sync.lastSuccessAt)}`
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
          groups.map(group => <Group key={group.rootCause} group={group} />)
        )}
      </Grid>
      <Grid item xs={12} style={{ minWidth: 0 }}>
        <Instances
          instances={instances}
          total={total}
          hasMore={Boolean(cursor)}
          onLoadMore={loadMore}
        />
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
