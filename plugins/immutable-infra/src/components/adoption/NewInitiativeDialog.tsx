import { useApi } from '@backstage/core-plugin-api';
import {
  CreateInitiativeRequest,
  SCORE_CHECK_IDS,
} from '@immutable-infra/backstage-plugin-common';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import MenuItem from '@material-ui/core/MenuItem';
import Switch from '@material-ui/core/Switch';
import TextField from '@material-ui/core/TextField';
import { useState } from 'react';
import { immutableInfraApiRef } from '../../api';
import { ConfirmDialog } from '../shared';

/** The goals an initiative may set. */
export const GOALS = [
  ...['gold', 'silver', 'bronze'].map(level => ({
    value: `level:${level}`,
    label: `Level ${level} or better`,
  })),
  ...SCORE_CHECK_IDS.map(check => ({
    value: `check:${check}`,
    label: `Check "${check}" passing`,
  })),
];

/** A new initiative: title, goal, scope and deadline. */
export function NewInitiativeDialog(props: {
  open: boolean;
  onClose: () => void;
  onCreated: () => void;
}) {
  const api = useApi(immutableInfraApiRef);
  const [title, setTitle] = useState('');
  const [goal, setGoal] = useState('level:silver');
  const [owners, setOwners] = useState('');
  const [productionOnly, setProductionOnly] = useState(true);
  const [deadline, setDeadline] = useState('');
  const create = async () => {
    const [kind, value] = goal.split(':');
    await api.createInitiative({
      title,
      goal: { kind, value } as CreateInitiativeRequest['goal'],
      scope: {
        owners: owners
          .split(',')
          .map(o => o.trim())
          .filter(Boolean),
        productionOnly,
      },
      deadline,
    });
    props.onCreated();
  };

  return (
    <ConfirmDialog
      open={props.open}
      title="New initiative"
      confirmLabel="Create"
      ready={Boolean(title && deadline)}
      onClose={props.onClose}
      onConfirm={create}
    >
      <TextField
        id="initiative-title"
        label="Title"
        value={title}
        onChange={e => setTitle(e.target.value)}
        inputProps={{ maxLength: 200 }}
        fullWidth
        margin="dense"
        required
      />
      <TextField
        select
        id="initiative-goal"
        label="Goal"
        value={goal}
        onChange={e => setGoal(e.target.value)}
        fullWidth
        margin="dense"
      >
        {GOALS.map(g => (
          <MenuItem key={g.value} value={g.value}>
            {g.label}
          </MenuItem>
        ))}
      </TextField>
      <TextField
        id="initiative-owners"
        label="Owners"
        helperText="Group refs, comma-separated (a department covers its teams); empty for every component"
        value={owners}
        onChange={e => setOwners(e.target.value)}
        fullWidth
        margin="dense"
      />
      <FormControlLabel
        control={
          <Switch
            checked={productionOnly}
            onChange={e => setProductionOnly(e.target.checked)}
          />
        }
        label="Production components only"
      />
      <TextField
        id="initiative-deadline"
        label="Deadline"
        type="date"
        value={deadline}
        onChange={e => setDeadline(e.target.value)}
        InputLabelProps={{ shrink: true }}
        fullWidth
        margin="dense"
        required
      />
    </ConfirmDialog>
  );
}
