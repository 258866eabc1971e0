import Checkbox from '@material-ui/core/Checkbox';
import DialogContentText from '@material-ui/core/DialogContentText';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import TextField from '@material-ui/core/TextField';
import { useState } from 'react';
import { ConfirmDialog } from './ConfirmDialog';

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

  const confirm = async () => {
    await props.onConfirm({ reason: reason.trim(), descendants });
    setReason('');
    setDescendants(false);
    props.onClose();
  };

  return (
    <ConfirmDialog
      open={props.open}
      title={props.title}
      confirmLabel={props.confirmLabel}
      ready={!props.reasonRequired || Boolean(reason.trim())}
      onClose={props.onClose}
      onConfirm={confirm}
    >
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
    </ConfirmDialog>
  );
}
