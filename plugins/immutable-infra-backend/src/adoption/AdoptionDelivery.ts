import { DeliveryMetrics } from '@immutable-infra/backstage-plugin-common';
import { quantile } from '../drift/views';
import { RegistryStores } from '../registry/RegistryStores';
import { RolloutStore } from '../rollouts/RolloutStore';
import { DatabaseNoticeStore } from './NoticeStore';
import { AdoptionSnapshot } from './types';

const DAY = 86_400_000;
const HOUR = 3_600_000;

/** The environment whose rollouts count for the lead time to production. */
const PRODUCTION = 'production';

/** What `count` of `total` is, undefined for none. */
const share = (count: number, total: number) =>
  total > 0 ? count / total : undefined;

/** The hours of the events, ascending. */
function sortedHours(events: Array<{ hours: number }>): number[] {
  return events.map(e => e.hours).sort((a, b) => a - b);
}

/** Per day, the median hours of that day's events. */
function dailyMedians(
  events: Array<{ day: string; hours: number }>,
): Map<string, number | undefined> {
  const byDay = new Map<string, number[]>();
  for (const e of events) {
    byDay.set(e.day, [...(byDay.get(e.day) ?? []), e.hours]);
  }
  return new Map(
    [...byDay].map(([day, hours]) => [
      day,
      quantile(
        hours.sort((a, b) => a - b),
        0.5,
      ),
    ]),
  );
}

/**
 * Delivery of the enrolled components of a view, from the rollouts and
 * images the plugin records: deployment frequency, lead time from build to
 * production, rollout failure rate, time to replace a revoked image.
 *
 * @internal
 */
export class AdoptionDelivery {
  constructor(
    private readonly options: {
      rollouts: Pick<RolloutStore, 'listFinished'>;
      stores: Pick<RegistryStores, 'versions'>;
      /** Revoked versions seen running, for the time to replace them. */
      exposures: Pick<DatabaseNoticeStore, 'listExposures'>;
      /** The window of the metrics (default 90 days). */
      windowDays?: number;
    },
  ) {}

  /**
   * What delivery is measured from, over the window, for the enrolled
   * components of `rows`: the rollouts that ended, each production success's
   * lead time, each revoked version's time to replace, with their days.
   */
  private async events(rows: AdoptionSnapshot[], windowDays: number) {
    const enrolled = new Set(
      rows.filter(r => r.enrolled).map(r => r.entityRef),
    );
    const since = new Date(Date.now() - windowDays * DAY).toISOString();
    const finished = (
      await this.options.rollouts.listFinished({ since })
    ).filter(r => enrolled.has(r.entityRef));
    const production = finished.filter(
      r => r.state === 'succeeded' && r.environment === PRODUCTION,
    );
    const versions = await this.options.stores.versions.getVersionsByRefs([
      ...new Set(production.map(r => r.toVersion)),
    ]);
    const leadTimes = production.flatMap(r => {
      const built = versions.get(r.toVersion)?.createdAt;
      const hours = built
        ? (Date.parse(r.finishedAt) - Date.parse(built)) / HOUR
        : -1;
      return hours >= 0 ? [{ day: r.finishedAt.slice(0, 10), hours }] : [];
    });
    const exposures = (
      await this.options.exposures.listExposures({ since })
    ).filter(e => enrolled.has(e.entityRef));
    const replaceTimes = exposures.flatMap(e => {
      const hours = e.replacedAt
        ? (Date.parse(e.replacedAt) - Date.parse(e.revokedAt)) / HOUR
        : -1;
      return hours >= 0 ? [{ day: e.replacedAt!.slice(0, 10), hours }] : [];
    });
    return {
      enrolled: enrolled.size,
      finished,
      production,
      leadTimes,
      replaceTimes,
      stillRunning: exposures.filter(e => e.replacedAt === undefined).length,
    };
  }

  /** Per day of the last `days`, the median lead time and time to replace. */
  async daily(
    rows: AdoptionSnapshot[],
    days: number,
  ): Promise<{
    leadTimes: Map<string, number | undefined>;
    replaceTimes: Map<string, number | undefined>;
  }> {
    const events = await this.events(rows, days);
    return {
      leadTimes: dailyMedians(events.leadTimes),
      replaceTimes: dailyMedians(events.replaceTimes),
    };
  }

  /** Delivery over the window. */
  async metrics(rows: AdoptionSnapshot[]): Promise<DeliveryMetrics> {
    const windowDays = this.options.windowDays ?? 90;
    const events = await this.events(rows, windowDays);
    const count = (state: string) =>
      events.finished.filter(r => r.state === state).length;
    const [succeeded, failed, aborted] = [
      count('succeeded'),
      count('failed'),
      count('aborted'),
    ];
    const total = succeeded + failed + aborted;
    const leadTimes = sortedHours(events.leadTimes);
    const replaceTimes = sortedHours(events.replaceTimes);
    return {
      windowDays,
      deploymentsPerServicePerWeek:
        events.enrolled > 0
          ? succeeded / events.enrolled / (windowDays / 7)
          : undefined,
      succeeded,
      failed,
      aborted,
      failureRate: share(failed + aborted, total),
      abortRate: share(aborted, total),
      leadTimeMedianHours: quantile(leadTimes, 0.5),
      leadTimeP95Hours: quantile(leadTimes, 0.95),
      productionRollouts: events.production.length,
      revokedReplaced: replaceTimes.length,
      revokedStillRunning: events.stillRunning,
      revokedReplaceMedianHours: quantile(replaceTimes, 0.5),
      revokedReplaceMaxHours: replaceTimes.at(-1),
    };
  }
}
