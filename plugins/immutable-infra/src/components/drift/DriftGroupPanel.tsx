import { DriftGroup, Severity } from '@immutable-infra/backstage-plugin-common';
import Accordion from '@material-ui/core/Accordion';
import AccordionDetails from '@material-ui/core/AccordionDetails';
import AccordionSummary from '@material-ui/core/AccordionSummary';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Chip from '@material-ui/core/Chip';
import Typography from '@material-ui/core/Typography';
import ExpandMoreIcon from '@material-ui/icons/ExpandMore';
import { relative } from '../shared';
import {
  GroupRemediationChip,
  GroupRemediationDetails,
} from './RemediationPolicy';

/** The colour of a severity's chips. */
export const SEVERITY_COLOR: Record<
  Severity,
  'secondary' | 'primary' | 'default'
> = {
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

/** Findings a group lists: the backend sends no more. */
export const FINDINGS_SHOWN = 20;

/**
 * The environments whose instances have this group's drift: the backend's
 * (of all its findings), else those of the findings listed.
 */
function driftedEnvironments(group: DriftGroup): string[] {
  if (group.environments) {
    return group.environments;
  }
  return [
    ...new Set(
      group.findings.flatMap(f =>
        f.instanceId && f.environment ? [f.environment] : [],
      ),
    ),
  ].sort();
}

/**
 * Whether a root cause is a fact that could not be read (access denied):
 * replacing the instances would not change it, its fix is AWS access.
 */
function unverified(group: DriftGroup): boolean {
  return group.rootCause.split(':')[1] === 'unverified';
}

/**
 * One root cause: its findings, the fix, and a "Replace drifted" button per
 * environment whose instances have it (none for a root cause that could
 * not be verified).
 */
export function DriftGroupPanel({
  group,
  canReplace,
  onReplace,
}: {
  group: DriftGroup;
  canReplace: boolean;
  onReplace: (environment: string) => void;
}) {
  return (
    // A closed group renders no findings: a large fleet's page opens with
    // every group closed.
    <Accordion TransitionProps={{ unmountOnExit: true }}>
      <AccordionSummary expandIcon={<ExpandMoreIcon />}>
        <Box display="flex" alignItems="center" style={{ gap: 12 }}>
          <SeverityChip severity={group.severity} />
          <Typography>
            <b>{group.summary}</b>
          </Typography>
          <Typography variant="caption">{group.rule}</Typography>
          {group.firstSeenAt && (
            <Typography variant="caption" color="textSecondary">
              found {relative(group.firstSeenAt)}
            </Typography>
          )}
          {group.remediation && (
            <GroupRemediationChip remediation={group.remediation} />
          )}
        </Box>
      </AccordionSummary>
      <AccordionDetails>
        <Box>
          {group.remediation && (
            <GroupRemediationDetails remediation={group.remediation} />
          )}
          <Typography variant="body2" paragraph>
            <b>Fix:</b> {group.fix}
          </Typography>
          {group.findings.slice(0, FINDINGS_SHOWN).map(f => (
            <Typography
              key={`${f.rootCause}/${f.instanceId ?? f.region}`}
              variant="body2"
            >
              {f.detail}
            </Typography>
          ))}
          {group.count > FINDINGS_SHOWN && (
            <Typography variant="caption">
              and {group.count - FINDINGS_SHOWN} more
            </Typography>
          )}
          <Box mt={1}>
            {(unverified(group) ? [] : driftedEnvironments(group)).map(
              environment => (
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
              ),
            )}
          </Box>
        </Box>
      </AccordionDetails>
    </Accordion>
  );
}
