import { useApi } from '@backstage/core-plugin-api';
import {
  CreateInitiativeRequest,
  Initiative,
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
  ...[60, 24 * 60].map(minutes => ({
    value: `driftLifetime:${minutes}`,
    label: driftLifetimeLabel(minutes),
  })),
  ...[0.5, 0.9].map(share => ({
    value: `erasedShare:${share}`,
    label: erasedShareLabel(share),
  })),
];

function driftLifetimeLabel(minutes: number) {
  const plural = (n: number, unit: string) =>
    `${n} ${unit}${n === 1 ? '' : 's'}`;
  let span = plural(minutes, 'minute');
  if (minutes % (24 * 60) === 0) {
    span = plural(minutes / (24 * 60), 'day');
  } else if (minutes % 60 === 0) {
    span = plural(minutes / 60, 'hour');
  }
  return `Drift lives at most ${span} (p95, 30 days)`;
}

function erasedShareLabel(share: number) {
  return `${Math.round(share * 100)}% of drift erased automatically (30 days)`;
}

/** What an initiative's goal asks, in words. */
export function goalLabel(goal: Initiative['goal']): string {
  switch (goal.kind) {
    case 'level':
      return `Level ${goal.value} or better`;
    case 'check':
      return `Check "${goal.value}" passing`;
    case 'driftLifetime':
      return driftLifetimeLabel(goal.value);
    case 'erasedShare':
      return erasedShareLabel(goal.value);
    default:
      return JSON.stringify(goal);
  }
}

/** The request's goal of a `kind:value` choice. */
function goalOf(choice: string): CreateInitiativeRequest['goal'] {
  const [kind, value] = choice.split(':');
  return (
    kind === 'driftLifetime' || kind === 'erasedShare'
      ? { kind, value: Number(value) }
      : { kind, value }
  ) as CreateInitiativeRequest['goal'];
}

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
    await api.createInitiative({
      title,
      goal: goalOf(goal),
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
