import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import Typography from '@material-ui/core/Typography';
import { ReactNode, useId, useState } from 'react';
import { errorMessage } from './format';

/**
 * A dialog that does one thing on confirmation: its title, what the caller
 * puts inside, Cancel and the confirm button. While the work runs the button
 * is disabled; when it fails the dialog stays open and says why, in the
 * backend's words.
 */
export function ConfirmDialog(props: {
  /** Open unless told otherwise. */
  open?: boolean;
  title: ReactNode;
  confirmLabel: string;
  /** False while the input is incomplete. */
  ready?: boolean;
  /** A failure known before confirming, e.g. the plan could not be made. */
  error?: string;
  maxWidth?: 'sm' | 'md';
  onClose: () => void;
  /** The work; the dialog closes only when the caller closes it. */
  onConfirm: () => Promise<void>;
  children: ReactNode;
}) {
  const titleId = useId();
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string>();

  const confirm = async () => {
    setBusy(true);
    setFailure(undefined);
    try {
      await props.onConfirm();
    } catch (e) {
      setFailure(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const error = failure ?? props.error;
  return (
    <Dialog
      open={props.open ?? true}
      onClose={props.onClose}
      fullWidth
      maxWidth={props.maxWidth ?? 'sm'}
      aria-labelledby={titleId}
    >
      <DialogTitle id={titleId}>{props.title}</DialogTitle>
      <DialogContent>
        {props.children}
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
          disabled={busy || props.ready === false}
          onClick={confirm}
        >
          {props.confirmLabel}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
