import { InfoCard } from '@backstage/core-components';
import {
  AdoptionFigures,
  AdoptionHistoryResponse,
  DeliveryMetrics,
} from '@immutable-infra/backstage-plugin-common';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import { Line, LineChart, Tooltip, YAxis } from 'recharts';
import { memo } from 'react';

type Day = AdoptionHistoryResponse['days'][number];

const percent = (share?: number) =>
  share === undefined ? '–' : `${Math.round(share * 100)}%`;

const days = (value?: number) => (value === undefined ? '–' : `${value} d`);
/** Minutes below two hours, hours below two days, days beyond. */
const minutes = (value?: number) => {
  if (value === undefined) return '–';
  if (value < 120) return `${value} min`;
  if (value < 2880) return `${Math.round(value / 60)} h`;
  return `${Math.round(value / 1440)} d`;
};

const hours = (value?: number) => {
  if (value === undefined) {
    return '–';
  }
  return value < 48 ? `${Math.round(value)} h` : `${Math.round(value / 24)} d`;
};

/** A figure of the last 90 days, one point a day. */
function Trend(props: {
  label: string;
  history: Day[];
  value: (day: Day) => number | undefined;
}) {
  const data = props.history.map(day => ({
    day: day.day,
    value: props.value(day) ?? null,
  }));
  if (data.length < 2) {
    return (
      <Typography variant="caption" color="textSecondary">
        No trend yet
      </Typography>
    );
  }
  return (
    <div role="img" aria-label={`${props.label}, last ${data.length} days`}>
      <LineChart width={180} height={40} data={data}>
        <YAxis hide domain={['dataMin', 'dataMax']} />
        <Tooltip
          labelFormatter={(_, payload) => payload?.[0]?.payload?.day ?? ''}
          formatter={value => [String(value), props.label]}
        />
        <Line
          type="monotone"
          dataKey="value"
          dot={false}
          strokeWidth={2}
          isAnimationActive={false}
          connectNulls
        />
      </LineChart>
    </div>
  );
}

/** One headline figure with its trend. */
function Headline(props: {
  title: string;
  value: string;
  /** One line, or several. */
  detail?: string | string[];
  history: Day[];
  /** The figure on a day of the history, where the history has it. */
  trend?: (day: Day) => number | undefined;
}) {
  return (
    <Grid item xs={12} sm={6} md={3}>
      <InfoCard title={props.title} noPadding={false}>
        <Typography variant="h4" component="p" aria-label={props.title}>
          {props.value}
        </Typography>
        {(Array.isArray(props.detail)
          ? props.detail
          : [props.detail ?? '\u00a0']
        ).map((line, index) => (
          <Typography key={index} variant="body2" color="textSecondary">
            {line}
          </Typography>
        ))}
        {props.trend && (
          <Trend
            label={props.title}
            history={props.history}
            value={props.trend}
          />
        )}
      </InfoCard>
    </Grid>
  );
}

/**
 * The view's headline figures, each with its trend over the last 90 days:
 * enrolment, levels, instances on their channel image, critical findings,
 * image age against policy, and delivery. Drawn again only when they
 * change, not when the services are paged.
 */
export const Headlines = memo(function HeadlineFigures(props: {
  figures: AdoptionFigures;
  delivery: DeliveryMetrics;
  history: Day[];
  /** Services and enrolled ones per lifecycle, and per type. */
  byLifecycle: Array<{ lifecycle: string; services: number; enrolled: number }>;
  byType: Array<{ type: string; services: number; enrolled: number }>;
}) {
  const { figures, delivery, history, byLifecycle, byType } = props;
  const { levels } = figures;
  return (
    <Grid container spacing={2}>
      <Headline
        title="Services enrolled"
        value={`${figures.enrolled} of ${figures.services}`}
        detail={[
          `${percent(
            figures.services ? figures.enrolled / figures.services : undefined,
          )} · ${byLifecycle
            .map(l => `${l.lifecycle} ${l.enrolled}/${l.services}`)
            .join(' · ')}`,
          byType.map(t => `${t.type} ${t.enrolled}/${t.services}`).join(' · '),
        ]}
        history={history}
        trend={d => d.enrolled}
      />
      <Headline
        title="Levels"
        value={`${levels.gold} gold`}
        detail={`${levels.silver} silver · ${levels.bronze} bronze · ${levels.none} none`}
        history={history}
        trend={d => d.levels.gold}
      />
      <Headline
        title="Instances on their channel image"
        value={percent(figures.onChannelShare)}
        detail={`${figures.instancesOnChannel} of ${figures.instances} instances`}
        history={history}
        trend={d =>
          d.onChannelShare === undefined
            ? undefined
            : Math.round(d.onChannelShare * 100)
        }
      />
      <Headline
        title="Critical findings"
        value={String(figures.criticalFindings)}
        history={history}
        trend={d => d.criticalFindings}
      />
      <Headline
        title="Running image age"
        value={`${days(figures.imageAgeMedianDays)} median`}
        detail={`p95 ${days(figures.imageAgeP95Days)} · ${percent(
          figures.withinPolicyShare,
        )} within policy`}
        history={history}
        trend={d => d.imageAgeMedianDays}
      />
      <Headline
        title="Drift lifetime"
        value={`${minutes(figures.driftLifetimeP50Minutes)} median`}
        detail={`p95 ${minutes(
          figures.driftLifetimeP95Minutes,
        )} · findings gone in the last 30 days`}
        history={history}
        trend={d => d.driftLifetimeP50Minutes}
      />
      <Headline
        title="Erased automatically"
        value={percent(figures.erasedAutomaticallyShare)}
        detail="of findings gone in the last 30 days, replaced by an automatic rollout"
        history={history}
        trend={d =>
          d.erasedAutomaticallyShare === undefined
            ? undefined
            : Math.round(d.erasedAutomaticallyShare * 100)
        }
      />
      <Headline
        title="Deployment frequency"
        value={
          delivery.deploymentsPerServicePerWeek === undefined
            ? '–'
            : `${delivery.deploymentsPerServicePerWeek.toFixed(2)} / week`
        }
        detail={`successful rollouts per service, last ${delivery.windowDays} days`}
        history={history}
        trend={d => d.rollouts.succeeded}
      />
      <Headline
        title="Lead time to production"
        value={hours(delivery.leadTimeMedianHours)}
        detail={`p95 ${hours(
          delivery.leadTimeP95Hours,
        )} · image build to production, ${
          delivery.productionRollouts
        } rollouts`}
        history={history}
      />
      <Headline
        title="Time to replace a revoked image"
        value={hours(delivery.revokedReplaceMedianHours)}
        detail={`median of ${delivery.revokedReplaced} replaced · ${delivery.revokedStillRunning} still running`}
        history={history}
        trend={d => d.revokedReplaceMedianHours}
      />
      <Headline
        title="Rollout failure rate"
        value={percent(delivery.failureRate)}
        detail={`${delivery.failed} failed · ${delivery.aborted} aborted · ${delivery.succeeded} succeeded`}
        history={history}
        trend={d => d.rollouts.failed + d.rollouts.aborted}
      />
    </Grid>
  );
});
