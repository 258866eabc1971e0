import { InfoCard, TableColumn } from '@backstage/core-components';
import {
  ImageVersion,
  ImageVersionPage,
} from '@immutable-infra/backstage-plugin-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Chip from '@material-ui/core/Chip';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import { ReactNode, useMemo } from 'react';
import {
  ageInDays,
  commitUrl,
  DataTable,
  LoadMore,
  PagedList,
  relative,
  SafeLink,
  TruncatedText,
} from '../shared';
import { IMAGE_VERSIONS_PAGE_SIZE } from './useImageVersions';

const STATE_COLOR: Record<
  ImageVersion['state'],
  'primary' | 'secondary' | 'default'
> = {
  active: 'primary',
  revoked: 'secondary',
  deprecated: 'default',
  pruned: 'default',
};

function Ancestry({ version }: { version: ImageVersion }) {
  if (!version.ancestry) {
    return <Typography variant="body2">no parent</Typography>;
  }
  return (
    <Tooltip title={version.ancestry.detail}>
      <Chip
        size="small"
        variant="outlined"
        label={version.ancestry.status}
        color={
          version.ancestry.status === 'out-of-date' ? 'secondary' : 'default'
        }
      />
    </Tooltip>
  );
}

function Commit({ version }: { version: ImageVersion }) {
  if (!version.gitCommit) {
    return (
      <Typography variant="body2" color="error" noWrap>
        no commit
      </Typography>
    );
  }
  const short = version.gitCommit.slice(0, 7);
  const url = commitUrl(version.gitRepo, version.gitCommit);
  return url ? (
    <SafeLink url={url} text={short} />
  ) : (
    <code title={version.gitCommit}>{short}</code>
  );
}

function State({ version }: { version: ImageVersion }) {
  const revoked =
    version.state === 'revoked'
      ? `${version.revokeReason ?? ''} (${version.revokedBy ?? ''}, ${
          version.revokedAt ? relative(version.revokedAt) : ''
        })`
      : '';
  return (
    <>
      <Tooltip title={revoked}>
        <Chip
          size="small"
          label={version.state}
          color={STATE_COLOR[version.state]}
        />
      </Tooltip>
      {version.missingSince && (
        <Typography variant="caption" color="error" display="block">
          AMI missing since {relative(version.missingSince)}
        </Typography>
      )}
    </>
  );
}

function Amis({ version }: { version: ImageVersion }) {
  const all = version.artifacts.map(x => `${x.region}: ${x.imageId}`);
  if (version.artifacts.length === 1) {
    return (
      <TruncatedText
        text={version.artifacts[0].imageId}
        title={all[0]}
        minWidth="6ch"
        code
      />
    );
  }
  return (
    <Tooltip title={all.join(', ')}>
      <Typography variant="body2" noWrap>
        {version.artifacts.length} regions
      </Typography>
    </Tooltip>
  );
}

/** The family's versions, newest first, with revoke and restore actions. */
export function VersionTable(props: {
  versions: PagedList<ImageVersionPage>;
  maxImageAgeDays?: number;
  canRevoke: boolean;
  onRevoke: (version: ImageVersion) => void;
  onRestore: (version: ImageVersion) => void;
}) {
  const { maxImageAgeDays, canRevoke, onRevoke, onRestore } = props;
  const columns = useMemo(() => {
    const list: TableColumn<ImageVersion>[] = [
      {
        title: 'Version',
        field: 'version',
        // Newest first already; sorting by age orders the same way.
        sorting: false,
        render: v => (
          <>
            <b>v{v.version}</b>
            {v.source === 'discovered' && (
              <Typography variant="caption" display="block">
                discovered
              </Typography>
            )}
          </>
        ),
      },
      {
        title: 'Age',
        field: 'createdAt',
        render: v => (
          <Tooltip title={v.createdAt}>
            <Typography
              variant="body2"
              noWrap
              color={
                maxImageAgeDays !== undefined &&
                ageInDays(v.createdAt) > maxImageAgeDays
                  ? 'error'
                  : 'textPrimary'
              }
            >
              {relative(v.createdAt)}
            </Typography>
          </Tooltip>
        ),
      },
      {
        title: 'Commit',
        field: 'gitCommit',
        sorting: false,
        render: v => <Commit version={v} />,
      },
      {
        title: 'Build',
        field: 'buildUrl',
        sorting: false,
        render: v =>
          v.buildUrl ? (
            <SafeLink url={v.buildUrl} text="build" minWidth="4ch" />
          ) : (
            '—'
          ),
      },
      {
        title: 'Digest',
        field: 'digest',
        sorting: false,
        render: v => (
          <TruncatedText
            text={v.digest.slice(0, 12)}
            title={v.digest}
            minWidth="6ch"
            code
          />
        ),
      },
      { title: 'State', field: 'state', render: v => <State version={v} /> },
      {
        title: 'Channels',
        sorting: false,
        render: v => (
          <Box display="flex" flexWrap="wrap" style={{ gap: 4 }}>
            {v.channels.map(channel => (
              <Chip
                key={channel}
                size="small"
                variant="outlined"
                label={channel}
              />
            ))}
          </Box>
        ),
      },
      {
        title: 'Ancestry',
        sorting: false,
        render: v => <Ancestry version={v} />,
      },
      {
        title: 'AMIs',
        sorting: false,
        render: v => <Amis version={v} />,
      },
    ];
    if (canRevoke) {
      list.push({
        title: 'Actions',
        sorting: false,
        render: v => {
          let action: ReactNode = null;
          if (v.state === 'revoked') {
            action = (
              <Button size="small" onClick={() => onRestore(v)}>
                Restore
              </Button>
            );
          } else if (v.state === 'active' || v.state === 'deprecated') {
            action = (
              <Button
                size="small"
                color="secondary"
                onClick={() => onRevoke(v)}
              >
                Revoke
              </Button>
            );
          }
          return action;
        },
      });
    }
    return list;
  }, [maxImageAgeDays, canRevoke, onRevoke, onRestore]);

  return (
    <InfoCard
      title="Version history"
      subheader="Newest first; every version is a numbered, hashed image"
      noPadding
    >
      <DataTable
        label="image versions"
        columns={columns}
        data={props.versions.value ?? []}
        pageSize={IMAGE_VERSIONS_PAGE_SIZE}
      />
      <Box px={2} pb={1}>
        <LoadMore list={props.versions} label="Load older versions" />
      </Box>
    </InfoCard>
  );
}
