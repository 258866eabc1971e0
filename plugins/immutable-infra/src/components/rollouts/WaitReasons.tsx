import Typography from '@material-ui/core/Typography';
import { WaitReason } from './waitReasons';

/** Why a rollout waits, one line per thing it waits for. */
export function WaitReasons({ reasons }: { reasons: WaitReason[] }) {
  if (reasons.length === 0) {
    return null;
  }
  return (
    <>
      <Typography variant="subtitle2">Waiting for</Typography>
      <ul aria-label="Waiting for">
        {reasons.map(reason => (
          <li key={`${reason.subject} ${reason.words}`}>
            <Typography variant="body2">
              <b>{reason.subject}</b> {reason.words}
            </Typography>
            {reason.quote && (
              <Typography variant="caption" color="textSecondary">
                {reason.quote.from}: {reason.quote.text}
              </Typography>
            )}
          </li>
        ))}
      </ul>
    </>
  );
}
