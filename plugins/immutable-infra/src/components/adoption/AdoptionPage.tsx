import {
  Content,
  ContentHeader,
  Header,
  InfoCard,
  Page,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { AdoptionGroup } from '@immutable-infra/backstage-plugin-common';
import Grid from '@material-ui/core/Grid';
import { memo, useCallback, useRef } from 'react';
import { CsvButton } from './CsvButton';
import { GroupTable } from './GroupTable';
import { Headlines } from './Headlines';
import { InitiativesCard } from './InitiativesCard';
import { ServiceTable } from './ServiceTable';
import {
  useAdoption,
  useAdoptionHistory,
  useAdoptionView,
} from './useAdoption';
import { ViewFilters } from './ViewFilters';

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
        <ViewFilters view={view} adoption={adoption.value} update={update} />
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
