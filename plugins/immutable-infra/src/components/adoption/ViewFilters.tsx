import {
  ADOPTION_GROUPINGS,
  ADOPTION_LEVELS,
  AdoptionResponse,
  AdoptionViewRequest,
} from '@immutable-infra/backstage-plugin-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Chip from '@material-ui/core/Chip';
import FormControl from '@material-ui/core/FormControl';
import InputLabel from '@material-ui/core/InputLabel';
import MenuItem from '@material-ui/core/MenuItem';
import Select from '@material-ui/core/Select';

const ANY = '';

/** A filter's one-of select, empty for any. */
function Choice(props: {
  label: string;
  value?: string;
  options: Array<{ value: string; label: string }>;
  onChange: (value?: string) => void;
}) {
  const id = `adoption-${props.label
    .toLocaleLowerCase('en-US')
    .replace(/\W+/g, '-')}`;
  return (
    <FormControl variant="outlined" size="small" style={{ minWidth: 160 }}>
      <InputLabel id={id}>{props.label}</InputLabel>
      <Select
        labelId={id}
        label={props.label}
        value={props.value ?? ANY}
        onChange={event => {
          const value = String(event.target.value);
          props.onChange(value === ANY ? undefined : value);
        }}
      >
        <MenuItem value={ANY}>Any</MenuItem>
        {props.options.map(option => (
          <MenuItem key={option.value} value={option.value}>
            {option.label}
          </MenuItem>
        ))}
      </Select>
    </FormControl>
  );
}

/**
 * The view's filters: group by, enrolled, level, lifecycle and type, the
 * "Not enrolled" shortcut, and a chip to clear each owner, system or domain.
 */
export function ViewFilters(props: {
  view: AdoptionViewRequest;
  adoption?: AdoptionResponse;
  update: (change: Partial<AdoptionViewRequest>) => void;
}) {
  const { view, adoption, update } = props;
  const groupBy = view.groupBy ?? 'owner';
  const active: Array<{ label: string; clear: Partial<AdoptionViewRequest> }> =
    [
      ...(view.owner ?? []).map(o => ({
        label: `Owner: ${o}`,
        clear: { owner: view.owner!.filter(x => x !== o) },
      })),
      ...(view.system ?? []).map(s => ({
        label: `System: ${s}`,
        clear: { system: view.system!.filter(x => x !== s) },
      })),
      ...(view.domain ?? []).map(d => ({
        label: `Domain: ${d}`,
        clear: { domain: view.domain!.filter(x => x !== d) },
      })),
    ];

  return (
    <Box
      display="flex"
      flexWrap="wrap"
      alignItems="center"
      mb={2}
      style={{ gap: 12 }}
    >
      <Choice
        label="Group by"
        value={groupBy}
        options={ADOPTION_GROUPINGS.map(g => ({ value: g, label: g }))}
        onChange={value =>
          update({ groupBy: (value ?? 'owner') as typeof groupBy })
        }
      />
      <Choice
        label="Enrolled"
        value={view.enrolled === undefined ? undefined : String(view.enrolled)}
        options={[
          { value: 'true', label: 'Enrolled' },
          { value: 'false', label: 'Not enrolled' },
        ]}
        onChange={value =>
          update({
            enrolled: value === undefined ? undefined : value === 'true',
          })
        }
      />
      <Choice
        label="Level"
        value={view.level?.[0]}
        options={ADOPTION_LEVELS.map(l => ({ value: l, label: l }))}
        onChange={value =>
          update({
            level: value
              ? [value as (typeof ADOPTION_LEVELS)[number]]
              : undefined,
          })
        }
      />
      <Choice
        label="Lifecycle"
        value={view.lifecycle?.[0]}
        options={(adoption?.byLifecycle ?? [])
          .filter(l => l.lifecycle !== '(none)')
          .map(l => ({ value: l.lifecycle, label: l.lifecycle }))}
        onChange={value => update({ lifecycle: value ? [value] : undefined })}
      />
      <Choice
        label="Type"
        value={view.type?.[0]}
        options={(adoption?.byType ?? [])
          .filter(t => t.type !== '(none)')
          .map(t => ({ value: t.type, label: t.type }))}
        onChange={value => update({ type: value ? [value] : undefined })}
      />
      {adoption && view.enrolled === undefined && (
        <Button
          variant="outlined"
          size="small"
          onClick={() => update({ enrolled: false })}
        >
          Not enrolled ({adoption.figures.services - adoption.figures.enrolled})
        </Button>
      )}
      {active.map(filter => (
        <Chip
          key={filter.label}
          label={filter.label}
          onDelete={() => update(filter.clear)}
        />
      ))}
    </Box>
  );
}
