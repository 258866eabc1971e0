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
  Channel,
  ChannelAssignment,
  ImageVersion,
  immutableInfraChannelAssignPermission,
  immutableInfraImageRevokePermission,
  isImmutableInfraAvailable,
  parseImmutableInfraAnnotations,
} from '@immutable-infra/backstage-plugin-common';
import Grid from '@material-ui/core/Grid';
import { ReactNode, useCallback, useMemo, useState } from 'react';
import { immutableInfraApiRef } from '../../api';
import { useChannelHistory } from './useChannelHistory';
import { useChannels } from './useChannels';
import { useImageVersions } from './useImageVersions';
import { ChannelHistoryCard } from './ChannelHistoryCard';
import { ChannelsCard } from './ChannelsCard';
import { FleetAgeCard } from './FleetAgeCard';
import { ReasonDialog } from '../shared';
import { VersionTable } from './VersionTable';

const NO_HISTORY: ChannelAssignment[] = [];

type PendingAction =
  | { kind: 'revoke' | 'restore'; version: ImageVersion }
  | { kind: 'rollback'; channel: Channel };

function dialogFor(pending: PendingAction) {
  switch (pending.kind) {
    case 'revoke':
      return {
        title: `Revoke ${pending.version.id}`,
        description:
          'A revoked version is reported as drift wherever it runs and cannot be assigned to a channel.',
        confirmLabel: 'Revoke',
        reasonRequired: true,
        offerDescendants: true,
      };
    case 'restore':
      return {
        title: `Restore ${pending.version.id}`,
        description: 'The version becomes usable again.',
        confirmLabel: 'Restore',
        reasonRequired: false,
        offerDescendants: true,
      };
    default:
      return {
        title: `Roll back the ${pending.channel.name} channel`,
        description:
          'The channel returns to the version it pointed at before its last assignment. Fleets follow at their next rollout.',
        confirmLabel: 'Roll back',
        reasonRequired: false,
        offerDescendants: false,
      };
  }
}

function Registry() {
  const { entity } = useEntity();
  const api = useApi(immutableInfraApiRef);
  const alertApi = useApi(alertApiRef);
  const entityRef = stringifyEntityRef(entity);
  const compoundRef = useMemo(() => getCompoundEntityRef(entity), [entity]);
  const versions = useImageVersions(compoundRef);
  // The family is the entity's annotation (the versions' answer names the
  // same): the channels are asked for with the versions, not after them.
  const { imageFamily: family, maxImageAgeDays } =
    parseImmutableInfraAnnotations(entity).annotations;
  const channels = useChannels(family);
  const history = useChannelHistory(family);
  const revoke = usePermission({
    permission: immutableInfraImageRevokePermission,
    resourceRef: entityRef,
  });
  const assign = usePermission({
    permission: immutableInfraChannelAssignPermission,
    resourceRef: entityRef,
  });
  const [pending, setPending] = useState<PendingAction>();
  const onRevoke = useCallback(
    (version: ImageVersion) => setPending({ kind: 'revoke', version }),
    [],
  );
  const onRestore = useCallback(
    (version: ImageVersion) => setPending({ kind: 'restore', version }),
    [],
  );
  const onRollback = useCallback(
    (channel: Channel) => setPending({ kind: 'rollback', channel }),
    [],
  );

  // The fleet's age comes first and is asked for at once, not after the
  // versions: it stays mounted (the same place in the tree) while they load.
  const fleetAge = (
    <Grid item xs={12}>
      <FleetAgeCard entity={compoundRef} />
    </Grid>
  );
  const withFleetAge = (content: ReactNode) => (
    <Grid container spacing={3}>
      {fleetAge}
      <Grid item xs={12} style={{ minWidth: 0 }}>
        {content}
      </Grid>
    </Grid>
  );
  if (versions.error) {
    return withFleetAge(<ResponseErrorPanel error={versions.error} />);
  }
  if (!versions.value) {
    return withFleetAge(<Progress />);
  }
  if (versions.value.length === 0) {
    return withFleetAge(
      <EmptyState
        missing="data"
        title={`No versions of ${family} yet`}
        description="Versions appear when the image pipeline registers a build (POST /api/immutable-infra/images or the immutable-infra:image:register action), or when discovery finds AMIs tagged immutable-infra:family."
      />,
    );
  }

  const reload = () => {
    versions.retry();
    channels.retry();
    history.retry();
  };

  const confirm = async (input: { reason: string; descendants: boolean }) => {
    if (!pending) {
      return;
    }
    if (pending.kind === 'revoke') {
      const { changed } = await api.revokeImage(pending.version.id, input);
      alertApi.post({
        message: `Revoked ${changed.map(v => v.id).join(', ')}`,
        severity: 'success',
        display: 'transient',
      });
    } else if (pending.kind === 'restore') {
      const { changed } = await api.restoreImage(pending.version.id, {
        reason: input.reason || undefined,
        descendants: input.descendants,
      });
      alertApi.post({
        message: `Restored ${changed.map(v => v.id).join(', ')}`,
        severity: 'success',
        display: 'transient',
      });
    } else if (pending.kind === 'rollback' && family) {
      const { channel } = await api.rollbackChannel(
        family,
        pending.channel.name,
        { reason: input.reason || undefined },
      );
      alertApi.post({
        message: `Channel ${channel.name} now points at ${channel.version}`,
        severity: 'success',
        display: 'transient',
      });
    }
    reload();
  };

  const dialog = pending && dialogFor(pending);

  return (
    <Grid container spacing={3}>
      {fleetAge}
      <Grid item xs={12} style={{ minWidth: 0 }}>
        <VersionTable
          versions={versions}
          maxImageAgeDays={maxImageAgeDays}
          canRevoke={revoke.allowed}
          onRevoke={onRevoke}
          onRestore={onRestore}
        />
      </Grid>
      <Grid item xs={12} xl={5} style={{ minWidth: 0 }}>
        <ChannelsCard
          channels={channels.value}
          loading={channels.loading}
          error={channels.error}
          history={history.value ?? NO_HISTORY}
          canAssign={assign.allowed}
          onRollback={onRollback}
        />
      </Grid>
      <Grid item xs={12} xl={7} style={{ minWidth: 0 }}>
        <ChannelHistoryCard history={history} />
      </Grid>
      {dialog && (
        <ReasonDialog
          open
          {...dialog}
          onClose={() => setPending(undefined)}
          onConfirm={confirm}
        />
      )}
    </Grid>
  );
}

/**
 * The Image age tab: the family's version history, channels and their
 * history, with revoke, restore and rollback where permitted.
 *
 * @public
 */
export function ImageAgeContent() {
  const { entity } = useEntity();
  if (!isImmutableInfraAvailable(entity)) {
    return <MissingAnnotationEmptyState annotation={ANNOTATION_IMAGE_FAMILY} />;
  }
  return <Registry />;
}
