import {
  Content,
  ContentHeader,
  Header,
  InfoCard,
  Page,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import {
  ADOPTION_GROUPINGS,
  ADOPTION_LEVELS,
  AdoptionGroup,
  AdoptionViewRequest,
} from '@immutable-infra/backstage-plugin-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Chip from '@material-ui/core/Chip';
import FormControl from '@material-ui/core/FormControl';
import Grid from '@material-ui/core/Grid';
import InputLabel from '@material-ui/core/InputLabel';
import MenuItem from '@material-ui/core/MenuItem';
import Select from '@material-ui/core/Select';
import Typography from '@material-ui/core/Typography';
import { memo, useCallback, useRef, useState } from 'react';
import { immutableInfraApiRef } from '../../api';
import {
  useAdoption,
  useAdoptionHistory,
  useAdoptionView,
} from '../../hooks/useAdoption';
import { GroupTable } from './GroupTable';
import { Headlines } from './Headlines';
import { InitiativesCard } from './InitiativesCard';
import { ServiceTable } from './ServiceTable';

const ANY = '';

/** The initiatives: their own data, not drawn again with the view. */
const Initiatives = memo(InitiativesCard);

/**
 * The value, or the one before it while the new one has the same content:
 * the parts of the page whose data a new answer did not change (paging the
 * services changes only them) are not drawn again.
 */
function useSameContent<T>(value: T): T {
  const last = useRef<{ key: string; value: T }>();
  const key = JSON.stringify(value) ?? '';
  if (!last.current || last.current.key !== key) {
    last.current = { key, value };
  }
  return last.current.value;
}

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

/** Downloads the view's services as CSV, with the user's credentials. */
function CsvButton(props: { view: AdoptionViewRequest }) {
  const api = useApi(immutableInfraApiRef);
  const [error, setError] = useState<Error>();
  const download = async () => {
    setError(undefined);
    try {
      const csv = await api.getAdoptionCsv({
        ...props.view,
        cursor: undefined,
        limit: undefined,
      });
      const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
      const link = document.createElement('a');
      link.href = url;
      link.download = `adoption-${new Date().toISOString().slice(0, 10)}.csv`;
      document.body.appendChild(link);
      link.click();
      link.remove();
      URL.revokeObjectURL(url);
    } catch (e) {
      setError(e as Error);
    }
  };
  return (
    <>
      <Button variant="outlined" onClick={download}>
        Download CSV
      </Button>
      {error && (
        <Typography color="error" variant="body2" role="alert">
          The CSV could not be downloaded: {error.message}
        </Typography>
      )}
    </>
  );
}

/**
 * The adoption dashboard: immutability across the catalog for platform
 * leads, over the components the user may read. Headline figures with their
 * 90-day trends, roll-ups by owner (teams under their departments), system
 * or domain, and the services, all filtered by the view in the URL.
 *
 * @public
 */
export function AdoptionPage() {
  const [view, update] = useAdoptionView();
  const adoption = useAdoption(view);
  const history = useAdoptionHistory(view);
  const groupBy = view.groupBy ?? 'owner';

  const figures = useSameContent(adoption.value?.figures);
  const delivery = useSameContent(adoption.value?.delivery);
  const byLifecycle = useSameContent(adoption.value?.byLifecycle);
  const byType = useSameContent(adoption.value?.byType);
  const groups = useSameContent(adoption.value?.groups);
  const days = useSameContent(history.value?.days ?? []);

  // The latest `update`, so that the drill-down (and the roll-up's table)
  // stays the same while the view changes.
  const latestUpdate = useRef(update);
  latestUpdate.current = update;
  const drillDown = useCallback(
    (group: AdoptionGroup) => {
      if (groupBy === 'owner') {
        latestUpdate.current({
          owner: group.key === '(none)' ? undefined : [group.key],
        });
      } else if (group.key !== '(none)') {
        latestUpdate.current({ [groupBy]: [group.key] });
      }
    },
    [groupBy],
  );

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
    <Page themeId="tool">
      <Header
        title="Immutability adoption"
        subtitle="Golden images, drift and rollouts across the catalog"
      />
      <Content>
        <ContentHeader
          title={
            adoption.value?.day
              ? `Snapshot of ${adoption.value.day}`
              : 'Adoption'
          }
        >
          <CsvButton view={view} />
        </ContentHeader>
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
            value={
              view.enrolled === undefined ? undefined : String(view.enrolled)
            }
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
            options={(adoption.value?.byLifecycle ?? [])
              .filter(l => l.lifecycle !== '(none)')
              .map(l => ({ value: l.lifecycle, label: l.lifecycle }))}
            onChange={value =>
              update({ lifecycle: value ? [value] : undefined })
            }
          />
          <Choice
            label="Type"
            value={view.type?.[0]}
            options={(adoption.value?.byType ?? [])
              .filter(t => t.type !== '(none)')
              .map(t => ({ value: t.type, label: t.type }))}
            onChange={value => update({ type: value ? [value] : undefined })}
          />
          {adoption.value && view.enrolled === undefined && (
            <Button
              variant="outlined"
              size="small"
              onClick={() => update({ enrolled: false })}
            >
              Not enrolled (
              {adoption.value.figures.services -
                adoption.value.figures.enrolled}
              )
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
        {adoption.loading && !adoption.value && <Progress />}
        {adoption.error && <ResponseErrorPanel error={adoption.error} />}
        {adoption.value && !adoption.value.day && (
          <InfoCard title="No snapshot yet">
            The first adoption snapshot is written within an hour of the backend
            starting; the figures show then.
          </InfoCard>
        )}
        {adoption.value?.day && (
          <Grid container spacing={3}>
            <Grid item xs={12}>
              <Headlines
                figures={figures!}
                delivery={delivery!}
                history={days}
                byLifecycle={byLifecycle!}
                byType={byType!}
              />
            </Grid>
            <Grid item xs={12}>
              <Initiatives />
            </Grid>
            <Grid item xs={12}>
              <InfoCard title={`By ${groupBy}`} noPadding>
                <GroupTable
                  groups={groups!}
                  groupBy={adoption.value.groupBy}
                  onDrillDown={drillDown}
                />
              </InfoCard>
            </Grid>
            <Grid item xs={12}>
              <InfoCard
                title={`Services (${adoption.value.services.total})`}
                subheader="Not enrolled ones link to the template that enrolls them"
                noPadding
              >
                <ServiceTable
                  adoption={adoption.value}
                  view={view}
                  onChange={update}
                />
              </InfoCard>
            </Grid>
          </Grid>
        )}
      </Content>
    </Page>
  );
}
