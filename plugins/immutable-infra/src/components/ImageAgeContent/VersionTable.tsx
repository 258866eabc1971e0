import { InfoCard, Link } from '@backstage/core-components';
import { ImageVersion } from '@immutable-infra/backstage-plugin-common';
import Button from '@material-ui/core/Button';
import Chip from '@material-ui/core/Chip';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';

const useStyles = makeStyles({
  table: {
    '& th, & td': { whiteSpace: 'nowrap' },
  },
  scroll: { overflowX: 'auto' },
});
import { ageInDays, commitUrl, relative } from './format';

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

/** The family's versions, newest first, with revoke and restore actions. */
export function VersionTable(props: {
  versions: ImageVersion[];
  maxImageAgeDays?: number;
  canRevoke: boolean;
  hasMore: boolean;
  onLoadMore: () => void;
  onRevoke: (version: ImageVersion) => void;
  onRestore: (version: ImageVersion) => void;
}) {
  const classes = useStyles();
  return (
    <InfoCard
      title="Version history"
      subheader="Newest first; every version is a numbered, hashed image"
    >
      <div className={classes.scroll}>
        <Table
          className={classes.table}
          size="small"
          aria-label="image versions"
        >
          <TableHead>
            <TableRow>
              <TableCell>Version</TableCell>
              <TableCell>Age</TableCell>
              <TableCell>Commit</TableCell>
              <TableCell>Build</TableCell>
              <TableCell>Digest</TableCell>
              <TableCell>State</TableCell>
              <TableCell>Channels</TableCell>
              <TableCell>Ancestry</TableCell>
              <TableCell />
              <TableCell>AMIs</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {props.versions.map(version => {
              const days = ageInDays(version.createdAt);
              const tooOld =
                props.maxImageAgeDays !== undefined &&
                days > props.maxImageAgeDays;
              const commitLink = commitUrl(version.gitRepo, version.gitCommit);
              return (
                <TableRow
                  key={version.id}
                  data-testid={`version-${version.version}`}
                >
                  <TableCell>
                    <b>v{version.version}</b>
                    {version.source === 'discovered' && (
                      <Typography variant="caption" display="block">
                        discovered
                      </Typography>
                    )}
                  </TableCell>
                  <TableCell>
                    <Tooltip title={version.createdAt}>
                      <Typography
                        variant="body2"
                        color={tooOld ? 'error' : 'textPrimary'}
                      >
                        {relative(version.createdAt)}
                      </Typography>
                    </Tooltip>
                  </TableCell>
                  <TableCell>
                    {version.gitCommit && commitLink && (
                      <Link to={commitLink}>
                        {version.gitCommit.slice(0, 7)}
                      </Link>
                    )}
                    {version.gitCommit && !commitLink && (
                      <code>{version.gitCommit.slice(0, 7)}</code>
                    )}
                    {!version.gitCommit && (
                      <Typography variant="body2" color="error">
                        no commit
                      </Typography>
                    )}
                  </TableCell>
                  <TableCell>
                    {version.buildUrl ? (
                      <Link to={version.buildUrl}>build</Link>
                    ) : (
                      '—'
                    )}
                  </TableCell>
                  <TableCell>
                    <Tooltip title={version.digest}>
                      <code>{version.digest.slice(0, 12)}</code>
                    </Tooltip>
                  </TableCell>
                  <TableCell>
                    <Tooltip
                      title={
                        version.state === 'revoked'
                          ? `${version.revokeReason ?? ''} (${
                              version.revokedBy ?? ''
                            }, ${
                              version.revokedAt
                                ? relative(version.revokedAt)
                                : ''
                            })`
                          : ''
                      }
                    >
                      <Chip
                        size="small"
                        label={version.state}
                        color={STATE_COLOR[version.state]}
                      />
                    </Tooltip>
                    {version.missingSince && (
                      <Typography
                        variant="caption"
                        color="error"
                        display="block"
                      >
                        AMI missing since {relative(version.missingSince)}
                      </Typography>
                    )}
                  </TableCell>
                  <TableCell>
                    {version.channels.map(channel => (
                      <Chip
                        key={channel}
                        size="small"
                        variant="outlined"
                        label={channel}
                      />
                    ))}
                  </TableCell>
                  <TableCell>
                    <Ancestry version={version} />
                  </TableCell>
                  <TableCell>
                    {props.canRevoke && version.state === 'revoked' && (
                      <Button
                        size="small"
                        onClick={() => props.onRestore(version)}
                      >
                        Restore
                      </Button>
                    )}
                    {props.canRevoke &&
                      (version.state === 'active' ||
                        version.state === 'deprecated') && (
                        <Button
                          size="small"
                          color="secondary"
                          onClick={() => props.onRevoke(version)}
                        >
                          Revoke
                        </Button>
                      )}
                  </TableCell>
                  <TableCell>
                    <Tooltip
                      title={version.artifacts
                        .map(x => `${x.region}: ${x.imageId}`)
                        .join(', ')}
                    >
                      <Typography variant="body2">
                        {version.artifacts.length === 1
                          ? version.artifacts[0].imageId
                          : `${version.artifacts.length} regions`}
                      </Typography>
                    </Tooltip>
                  </TableCell>
                </TableRow>
              );
            })}
          </TableBody>
        </Table>
      </div>
      {props.hasMore && (
        <Button onClick={props.onLoadMore}>Load older versions</Button>
      )}
    </InfoCard>
  );
}
