import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import Typography from '@material-ui/core/Typography';
import {
  DriftGroupRemediation,
  DriftRemediation,
} from '@immutable-infra/backstage-plugin-common';

const MODE_WORDS: Record<DriftGroupRemediation['mode'], string> = {
  automatic: 'automatic',
  observe: 'observe',
  manual: 'manual',
  stopped: 'replacement cannot fix',
};

/** The entity's remediation policy, above the drift groups. */
export function RemediationPolicyLine({
  remediation,
}: {
  remediation: DriftRemediation;
}) {
  const window =
    remediation.windowOpen === undefined
      ? ''
      : ` The window is ${remediation.windowOpen ? 'open' : 'closed'} now.`;
  return (
    <Typography variant="body2" color="textSecondary">
      {`Remediation policy: ${remediation.summary} (${
        remediation.source === 'annotation'
          ? 'immutable-infra.io/remediation'
          : 'organisation default'
      }). ${remediation.startedToday} automatic rollout${
        remediation.startedToday === 1 ? '' : 's'
      } in the last day.${window}`}
    </Typography>
  );
}

/** What the policy does with one group, as a chip in its header. */
export function GroupRemediationChip({
  remediation,
}: {
  remediation: DriftGroupRemediation;
}) {
  return (
    <Chip
      size="small"
      variant="outlined"
      color={remediation.mode === 'stopped' ? 'secondary' : 'default'}
      label={MODE_WORDS[remediation.mode]}
    />
  );
}

/** The group's automatic rollout, observation or stop, in its details. */
export function GroupRemediationDetails({
  remediation,
}: {
  remediation: DriftGroupRemediation;
}) {
  return (
    <Box mb={1}>
      {remediation.stopped && (
        <Typography variant="body2" color="error" paragraph>
          <b>Drift that replacement cannot fix:</b> {remediation.stopped.reason}
          . Likely source: {remediation.stopped.likelySource}. Automation
          stopped for it until it is gone.
        </Typography>
      )}
      {remediation.rollout && (
        <Typography variant="body2">
          Automatic rollout {remediation.rollout.id} in{' '}
          {remediation.rollout.environment}: {remediation.rollout.state}
        </Typography>
      )}
      {remediation.waiting && (
        <Typography variant="body2">
          Automatic replacement waits: {remediation.waiting}
        </Typography>
      )}
      {remediation.observed && (
        <Typography variant="body2">
          Observe mode would replace{' '}
          {remediation.observed.instanceIds.join(', ')} (recorded{' '}
          {new Date(remediation.observed.at).toLocaleString()})
        </Typography>
      )}
    </Box>
  );
}
