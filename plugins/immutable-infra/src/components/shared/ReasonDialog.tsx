import Button from '@material-ui/core/Button';
import Checkbox from '@material-ui/core/Checkbox';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { useState } from 'react';

/**
 * Asks for a reason (required when `reasonRequired`) and, optionally,
 * whether to include descendants, then runs `onConfirm`. Errors from the
 * backend are shown in the dialog, which stays open.
 */
export function ReasonDialog(props: {
  open: boolean;
  title: string;
  description: string;
  confirmLabel: string;
  reasonRequired: boolean;
  offerDescendants: boolean;
  onClose: () => void;
  onConfirm: (input: { reason: string; descendants: boolean }) => Promise<void>;
}) {
  const [reason, setReason] = useState('');
  const [descendants, setDescendants] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const confirm = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await props.onConfirm({ reason: reason.trim(), descendants });
      setReason('');
      setDescendants(false);
      props.onClose();
    } catch (e) {
      setError(
        (e as { cause?: { message?: string } }).cause?.message ??
          (e as Error).message,
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog open={props.open} onClose={props.onClose} fullWidth maxWidth="sm">
      <DialogTitle>{props.title}</DialogTitle>
      <DialogContent>
        <DialogContentText>{props.description}</DialogContentText>
        <TextField
          id="immutable-infra-reason"
          fullWidth
          multiline
          label={props.reasonRequired ? 'Reason (required)' : 'Reason'}
          placeholder="e.g. CVE-2026-1234 in openssl"
          value={reason}
          onChange={e => setReason(e.target.value)}
          inputProps={{ maxLength: 1024 }}
        />
        {props.offerDescendants && (
          <FormControlLabel
            control={
              <Checkbox
                checked={descendants}
                onChange={e => setDescendants(e.target.checked)}
              />
            }
            label="Also every version built on it (descendants)"
          />
        )}
        {error && (
          <Typography color="error" role="alert">
            {error}
          </Typography>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onClose}>Cancel</Button>
        <Button
          color="primary"
          variant="contained"
          disabled={busy || (props.reasonRequired && !reason.trim())}
          onClick={confirm}
        >
          {props.confirmLabel}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
