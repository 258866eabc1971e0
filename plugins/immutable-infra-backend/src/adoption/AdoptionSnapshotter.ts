import { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import {
  Entity,
  RELATION_OWNED_BY,
  RELATION_PART_OF,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { parseImmutableInfraAnnotations } from '@immutable-infra/backstage-plugin-common';
import { countBySeverity } from '../drift/grouping';
import { FleetAnalysis, FleetAnalyzer } from '../drift/FleetAnalyzer';
import { quantile } from '../drift/views';
import {
  FindingLifetime,
  FindingLifetimeStore,
} from '../fleet/FindingLifetimeStore';
import { erasedAutomatically, lifeSeconds } from '../fleet/driftLifetime';
import { EntityFleetData, EntityReadModel } from '../entities/EntityReadModel';
import { FinishedRollout, RolloutStore } from '../rollouts/RolloutStore';
import { DatabaseAdoptionStore } from './AdoptionStore';
import { AdoptionSnapshot } from './types';

const DAY = 86_400_000;

/** The days before a snapshot whose gone findings its drift figures take. */
const DRIFT_WINDOW_DAYS = 30;

/**
 * The steps a drift lifetime in minutes is rounded up to, below a day; whole
 * days above. The history groups the snapshots per value of a percentile's
 * column on SQLite: few values keep that grouping small.
 */
const LIFETIME_STEPS_MINUTES = [
  1, 2, 5, 10, 15, 30, 45, 60, 90, 120, 180, 240, 360, 480, 720, 1080, 1440,
];

/** A lifetime in minutes, rounded up to its step. @internal */
export function lifetimeStep(minutes: number): number {
  return (
    LIFETIME_STEPS_MINUTES.find(step => minutes <= step) ??
    Math.ceil(minutes / 1440) * 1440
  );
}

/** The UTC day of a moment, YYYY-MM-DD. @internal */
export function dayOf(at: Date | number): string {
  return new Date(at).toISOString().slice(0, 10);
}

/** The first target of an entity's relations of a type. */
function related(entity: Entity, type: string): string | undefined {
  return entity.relations?.find(r => r.type === type)?.targetRef;
}

/**
 * The adoption figures of one enrolled component's fleet, as its pages
 * would show them now.
 *
 * @internal
 */
export function fleetFigures(analysis: FleetAnalysis, now: number) {
  const channelVersion = new Map(
    analysis.channels.map(c => [c.name, c.version]),
  );
  let onChannel = 0;
  let oldest: number | undefined;
  for (const instance of analysis.inventory.instances) {
    const version = instance.imageId
      ? analysis.versionsByImage.get(instance.imageId)
      : undefined;
    if (
      version &&
      instance.environment &&
      channelVersion.get(instance.environment) === version.id
    ) {
      onChannel += 1;
    }
    if (version) {
      const age = Math.floor((now - Date.parse(version.createdAt)) / DAY);
      oldest = oldest === undefined ? age : Math.max(oldest, age);
    }
  }
  return {
    level: analysis.score.level,
    score: analysis.score.score,
    passingChecks: analysis.score.checks
      .filter(c => c.status === 'pass')
      .map(c => c.id),
    findings: countBySeverity(analysis.findings),
    instances: analysis.inventory.instances.length,
    instancesOnChannel: onChannel,
    imageAgeDays: oldest,
  };
}

/**
 * A component's drift figures at `at`: of its findings gone in the 30 days
 * before, the median and p95 of their lives in minutes (rounded up to a
 * step of {@link lifetimeStep}: a finding erased within a minute lived 1),
 * how many went, and how many an automatic rollout erased.
 *
 * @internal
 */
export function driftFigures(
  lives: FindingLifetime[],
  at: number,
): AdoptionSnapshot['drift'] {
  const since = at - DRIFT_WINDOW_DAYS * DAY;
  const within = lives.filter(l => {
    const gone = l.goneAt === undefined ? NaN : Date.parse(l.goneAt);
    return gone > since && gone <= at;
  });
  const minutes = within
    .map(l => lifetimeStep((lifeSeconds(l) ?? 0) / 60))
    .sort((a, b) => a - b);
  return {
    lifetimeP50Minutes: quantile(minutes, 0.5),
    lifetimeP95Minutes: quantile(minutes, 0.95),
    gone: within.length,
    erasedAutomatically: within.filter(erasedAutomatically).length,
  };
}

/**
 * An entity's fleet data as it stood at `at`: families registered by then
 * (or with an image built by then running), instances launched by then,
 * versions built by then, channels pointing at a version built by then.
 */
function dataAsOf(data: EntityFleetData, at: number): EntityFleetData {
  const by = (iso?: string) => iso !== undefined && Date.parse(iso) <= at;
  const versionsByImage = new Map(
    [...data.versionsByImage].filter(([, v]) => by(v.createdAt)),
  );
  const channels = new Map(
    [...data.channels].map(([family, list]) => [
      family,
      list.map(c => {
        const version = c.version
          ? data.channelVersions.get(c.version)
          : undefined;
        return version && by(version.createdAt)
          ? c
          : { ...c, version: undefined };
      }),
    ]),
  );
  return {
    ...data,
    // On the pipeline from its registration, or from the first image of it
    // that runs (a family registered after its images were baked).
    families: data.families.filter(
      f =>
        by(f.createdAt) ||
        [...versionsByImage.values()].some(v => v.family === f.name),
    ),
    inventory: {
      ...data.inventory,
      instances: data.inventory.instances.filter(
        i => i.launchTime === undefined || by(i.launchTime),
      ),
    },
    versionsByImage,
    channels,
  };
}

/**
 * Writes today's adoption snapshot of every component of the catalog (a
 * scheduled task of one replica at a time; each run replaces the day's rows,
 * so a day ends with its last run's figures), from the same read model and
 * analysis as the entity pages.
 *
 * @internal
 */
export class AdoptionSnapshotter {
  constructor(
    private readonly options: {
      catalog: CatalogService;
      auth: AuthService;
      readModel: EntityReadModel;
      analyzer: FleetAnalyzer;
      rollouts: Pick<RolloutStore, 'listFinished'>;
      /** The recorded lives of drift findings: the drift figures. */
      lifetimes?: Pick<FindingLifetimeStore, 'listGone'>;
      store: DatabaseAdoptionStore;
      policy: { maxImageAgeDays: number };
      logger: LoggerService;
      /** How many days of snapshots to keep (default 400). */
      retentionDays?: number;
    },
  ) {}

  private dailyFiguresFilled = false;

  /**
   * Writes today's snapshot; with `backfillDays`, also rebuilds that many
   * days before it from what the registry and the fleet recorded (each
   * component enrolled from its family's registration or the build of the
   * first of its images that runs, instances from their
   * launch, versions and channels as they existed that day, the rollouts
   * that ended that day): what a new install or the demo shows as trends.
   * Instances already gone are not known, so a rebuilt day can only count
   * the instances that still run.
   */
  async run(
    now: Date = new Date(),
    options: { backfillDays?: number; actor?: string } = {},
  ): Promise<{
    day: string;
    components: number;
    enrolled: number;
    backfilled: number;
  }> {
    const { catalog, auth, logger } = this.options;
    const credentials = await auth.getOwnServiceCredentials();
    const backfillDays = options.backfillDays ?? 0;
    const [components, systems, finished, gone] = await Promise.all([
      catalog.getEntities(
        {
          filter: { kind: 'component' },
          fields: [
            'kind',
            'metadata.name',
            'metadata.namespace',
            'metadata.annotations',
            'spec.type',
            'spec.lifecycle',
            'relations',
          ],
        },
        { credentials },
      ),
      catalog.getEntities(
        {
          filter: { kind: 'system' },
          fields: ['kind', 'metadata.name', 'metadata.namespace', 'relations'],
        },
        { credentials },
      ),
      this.options.rollouts.listFinished({
        since: `${dayOf(now.getTime() - backfillDays * DAY)}T00:00:00.000Z`,
      }),
      this.options.lifetimes?.listGone({
        since: `${dayOf(
          now.getTime() - (backfillDays + DRIFT_WINDOW_DAYS) * DAY,
        )}T00:00:00.000Z`,
      }) ?? [],
    ]);
    const goneOf = new Map<string, FindingLifetime[]>();
    for (const life of gone) {
      goneOf.set(life.entityRef, [...(goneOf.get(life.entityRef) ?? []), life]);
    }
    const domainOf = new Map(
      systems.items.map(s => [
        stringifyEntityRef(s),
        related(s, RELATION_PART_OF),
      ]),
    );
    const snapshotsAt = async (at: number, asOf: boolean) => {
      const day = dayOf(at);
      const ended = new Map<string, FinishedRollout[]>();
      for (const rollout of finished) {
        if (rollout.finishedAt.slice(0, 10) === day) {
          ended.set(rollout.entityRef, [
            ...(ended.get(rollout.entityRef) ?? []),
            rollout,
          ]);
        }
      }
      const snapshots: AdoptionSnapshot[] = [];
      for (const entity of components.items) {
        snapshots.push(
          await this.snapshotOf(entity, {
            day,
            now: at,
            asOf,
            domainOf,
            ended: ended.get(stringifyEntityRef(entity)) ?? [],
            gone: goneOf.get(stringifyEntityRef(entity)) ?? [],
          }),
        );
      }
      return { day, snapshots };
    };

    if (!this.dailyFiguresFilled) {
      // Once per process: the days written before their figures were kept.
      const filled = await this.options.store.fillDailyFigures();
      if (filled > 0) {
        logger.info(`Adoption figures computed for ${filled} earlier days`);
      }
      this.dailyFiguresFilled = true;
    }
    const today = await snapshotsAt(now.getTime(), false);
    await this.options.store.writeDay(today.day, today.snapshots, {
      actor: options.actor,
      backfillDays,
    });
    for (let back = 1; back <= backfillDays; back++) {
      // The end of that day: what it ended with.
      const at = Date.parse(
        `${dayOf(now.getTime() - back * DAY)}T23:59:59.999Z`,
      );
      const past = await snapshotsAt(at, true);
      await this.options.store.writeDay(past.day, past.snapshots);
    }
    await this.options.store.pruneBefore(
      dayOf(now.getTime() - (this.options.retentionDays ?? 400) * DAY),
    );
    const enrolled = today.snapshots.filter(s => s.enrolled).length;
    logger.info(
      `Adoption snapshot of ${today.day}: ${
        today.snapshots.length
      } components, ${enrolled} enrolled${
        backfillDays ? `; ${backfillDays} days before it rebuilt` : ''
      }`,
    );
    return {
      day: today.day,
      components: today.snapshots.length,
      enrolled,
      backfilled: backfillDays,
    };
  }

  private async snapshotOf(
    entity: Entity,
    context: {
      day: string;
      now: number;
      /** Rebuilding a past day: only what existed then. */
      asOf: boolean;
      domainOf: Map<string, string | undefined>;
      ended: FinishedRollout[];
      /** Its findings' lives gone before `now`, as far back as the window. */
      gone: FindingLifetime[];
    },
  ): Promise<AdoptionSnapshot> {
    const entityRef = stringifyEntityRef(entity);
    const system = related(entity, RELATION_PART_OF);
    const spec = (entity.spec ?? {}) as { type?: unknown; lifecycle?: unknown };
    const count = (state: FinishedRollout['state']) =>
      context.ended.filter(r => r.state === state).length;
    const base: AdoptionSnapshot = {
      day: context.day,
      entityRef,
      owner: related(entity, RELATION_OWNED_BY),
      system,
      domain: system ? context.domainOf.get(system) : undefined,
      type: typeof spec.type === 'string' ? spec.type.slice(0, 64) : undefined,
      lifecycle:
        typeof spec.lifecycle === 'string'
          ? spec.lifecycle.slice(0, 64)
          : undefined,
      enrolled: false,
      passingChecks: [],
      findings: { critical: 0, high: 0, medium: 0, low: 0 },
      instances: 0,
      instancesOnChannel: 0,
      rollouts: {
        succeeded: count('succeeded'),
        failed: count('failed'),
        aborted: count('aborted'),
      },
      drift: driftFigures(context.gone, context.now),
      takenAt: new Date(context.now).toISOString(),
    };
    const { annotations } = parseImmutableInfraAnnotations(entity);
    if (!annotations.imageFamily) {
      return base;
    }
    const enrolled: AdoptionSnapshot = {
      ...base,
      enrolled: true,
      level: 'none',
      imageAgePolicyDays:
        annotations.maxImageAgeDays ?? this.options.policy.maxImageAgeDays,
    };
    const loaded = await this.options.readModel.load(entityRef, { entity });
    const data =
      loaded && context.asOf ? dataAsOf(loaded, context.now) : loaded;
    const family = data?.families.find(f => f.name === annotations.imageFamily);
    if (context.asOf && !family) {
      // Before its family was registered: not enrolled yet.
      return base;
    }
    if (!data || !family || family.entityRef !== entityRef) {
      // Annotated, its family not (yet) registered to it: enrolled, no level.
      return enrolled;
    }
    const analysis = this.options.analyzer.analyze({
      annotations,
      family,
      data,
      now: context.now,
    });
    return { ...enrolled, ...fleetFigures(analysis, context.now) };
  }
}
