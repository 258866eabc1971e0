import {
  CompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { InputError, NotFoundError } from '@backstage/errors';
import {
  AuditEventPage,
  DriftResponse,
  EntitySummary,
  FleetInstanceView,
  ImageAgeResponse,
  ImageFamily,
  ImageVersionPage,
  ImmutableInfraAnnotations,
  ParsedAnnotations,
  parseImmutableInfraAnnotations,
  Rollout,
} from '@immutable-infra/backstage-plugin-common';
import { AuditLog } from '../audit/AuditLog';
import { Caller } from '../audit/principalRef';
import { EntityAccess, entityNotFound } from '../catalog/EntityAccess';
import { FleetAnalysis, FleetAnalyzer } from '../drift/FleetAnalyzer';
import {
  driftView,
  fleetSummary,
  imageAgeView,
  instanceViews,
  withFindingsPerGroup,
} from '../drift/views';
import { FindingLifetimeStore } from '../fleet/FindingLifetimeStore';
import {
  DRIFT_LIFETIME_WINDOWS,
  withDriftLifetime,
} from '../fleet/driftLifetime';
import { RegistryStores } from '../registry/RegistryStores';
import { EntityFleetData, EntityReadModel } from './EntityReadModel';

/**
 * How long the analysis of one read of an entity's data serves its pages.
 * Everything the analysis reads is in that read, so only what time changes
 * waits: an age passing its limit, a grace period ending or an inventory
 * going stale shows at most this late; a sync, a revocation or a channel
 * move is a new read and shows at once.
 */
export const ANALYSIS_REUSE_MS = 30_000;

/** The analysis of one read, and the views made from it. */
type Analysed = {
  at: number;
  family: ImageFamily;
  analysis: FleetAnalysis;
  drift?: DriftResponse;
  instances?: FleetInstanceView[];
};

/** What an entity page is built from. @internal */
export type EntityPage = {
  entityRef: string;
  annotations: ImmutableInfraAnnotations;
  /** The entity's fleet and registry data, when it is enrolled. */
  data?: EntityFleetData;
};

/** Parsed annotations of an entity; 400 naming each malformed one. */
function wellFormed(
  entityRef: string,
  { annotations, errors }: ParsedAnnotations,
): ImmutableInfraAnnotations {
  if (errors.length > 0) {
    throw new InputError(
      `Entity ${entityRef} has malformed annotations: ${errors
        .map(e => `${e.annotation}="${e.value}" ${e.message}`)
        .join('; ')}`,
    );
  }
  return annotations;
}

/** A page of a list held in memory, by offset. */
function pageOf<T>(all: T[], cursor: string | undefined, limit: number) {
  const offset = cursor && /^\d+$/.test(cursor) ? Number(cursor) : 0;
  return {
    items: all.slice(offset, offset + limit),
    total: all.length,
    nextCursor:
      offset + limit < all.length ? String(offset + limit) : undefined,
  };
}

/**
 * What one catalog entity's pages show: summary, versions, audit log,
 * instances, drift and image age. Each read checks that the caller may read
 * the entity in the catalog, so one the caller may not read answers 404,
 * and reads without writing.
 *
 * @internal
 */
export class EntityPages {
  constructor(
    private readonly options: {
      access: EntityAccess;
      /** The read model, or an {@link EntityReadCache} of it. */
      readModel: Pick<EntityReadModel, 'load'>;
      stores: RegistryStores;
      auditLog: AuditLog;
      analyzer: FleetAnalyzer;
      policy: { maxImageAgeDays: number };
      /**
       * The entity's rollouts that hold an environment: the summary lists
       * them, and the score reads how far they are.
       */
      activeRollouts?: (
        entityRef: string,
      ) => Promise<Omit<Rollout, 'events'>[]>;
      /** The recorded lives of findings: the drift answer's ages. */
      lifetimes?: Pick<
        FindingLifetimeStore,
        'countOpen' | 'listOpenSince' | 'listGone'
      >;
      /** The remediation policy of the entity and of each drift group. */
      remediation?: (options: {
        view: DriftResponse;
        annotations: ImmutableInfraAnnotations;
      }) => Promise<DriftResponse>;
      /** The time, in milliseconds since the epoch; `Date.now` by default. */
      now?: () => number;
    },
  ) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /**
   * Analyses by read: the same read (from an {@link EntityReadCache}) is
   * analysed once for all the pages that ask within
   * {@link ANALYSIS_REUSE_MS}.
   */
  private readonly analysed = new WeakMap<EntityFleetData, Analysed>();

  /**
   * The analysis of a read of the entity's data. With rollouts (the
   * summary's score reads how far they are) it is always made afresh.
   */
  private analysisOf(options: {
    annotations: ImmutableInfraAnnotations;
    family: ImageFamily;
    data: EntityFleetData;
    rollouts?: Omit<Rollout, 'events'>[];
  }): Analysed {
    const now = this.now();
    if (options.rollouts?.length) {
      return {
        at: now,
        family: options.family,
        analysis: this.options.analyzer.analyze({ ...options, now }),
      };
    }
    const known = this.analysed.get(options.data);
    if (
      known &&
      known.family === options.family &&
      now - known.at < ANALYSIS_REUSE_MS &&
      now >= known.at
    ) {
      return known;
    }
    const fresh: Analysed = {
      at: now,
      family: options.family,
      analysis: this.options.analyzer.analyze({
        annotations: options.annotations,
        family: options.family,
        data: options.data,
        now,
      }),
    };
    this.analysed.set(options.data, fresh);
    return fresh;
  }

  /**
   * The entity with its fleet data, if the caller may read it in the
   * catalog; else 404. An enrolled entity is answered from the plugin's
   * copy of its annotations, while the catalog's read permission is checked
   * for the caller at the same time, so the page costs one database round
   * trip and no catalog request. An entity the plugin has no copy of (not
   * enrolled, or enrolled since the last refresh) is read from the catalog
   * as the caller.
   */
  async load(ref: CompoundEntityRef, credentials: Caller): Promise<EntityPage> {
    const entityRef = stringifyEntityRef(ref);
    const [[mayRead], data] = await Promise.all([
      this.options.access.mayRead([entityRef], credentials),
      this.options.readModel.load(entityRef),
    ]);
    if (data) {
      if (!mayRead) {
        throw entityNotFound(entityRef);
      }
      return {
        entityRef,
        annotations: wellFormed(entityRef, data.snapshot.parsed),
        data,
      };
    }
    const entity = await this.options.access.requireEntity(
      entityRef,
      credentials,
    );
    const annotations = wellFormed(
      entityRef,
      parseImmutableInfraAnnotations(entity),
    );
    if (!annotations.imageFamily) {
      return { entityRef, annotations };
    }
    return {
      entityRef,
      annotations,
      data: await this.options.readModel.load(entityRef, { entity }),
    };
  }

  async summary(
    ref: CompoundEntityRef,
    credentials: Caller,
  ): Promise<EntitySummary> {
    const { entityRef, annotations, data } = await this.load(ref, credentials);
    const { imageFamily } = annotations;
    const [family, rollouts] = await Promise.all([
      imageFamily
        ? data?.families.find(f => f.name === imageFamily) ??
          this.options.stores.families.getFamily(imageFamily)
        : undefined,
      imageFamily ? this.options.activeRollouts?.(entityRef) : undefined,
    ]);
    const summary: EntitySummary = {
      entityRef,
      enrolled: imageFamily !== undefined,
      annotations,
    };
    if (family && family.entityRef === entityRef && data) {
      summary.family = family;
      summary.fleet = fleetSummary({
        analysis: this.analysisOf({ annotations, family, data, rollouts })
          .analysis,
        environments: annotations.environments,
      });
    } else if (family) {
      const owner = await this.options.access.readEntity(
        family.entityRef,
        credentials,
      );
      summary.familyOwnedBy = owner
        ? family.entityRef
        : 'an entity you may not read';
    }
    if (rollouts?.length) {
      summary.activeRollouts = rollouts.map(r => ({
        id: r.id,
        environment: r.environment,
        toVersion: r.toVersion,
        strategy: r.strategy,
        state: r.state,
        currentStep: r.currentStep,
        stepCount: r.steps.length,
        awaitingPromotion: r.awaitingPromotion,
      }));
    }
    return summary;
  }

  async auditEvents(
    ref: CompoundEntityRef,
    page: { cursor?: string; limit: number },
    credentials: Caller,
  ): Promise<AuditEventPage> {
    const { entityRef } = await this.load(ref, credentials);
    return this.options.auditLog.listEntityEvents({ entityRef, ...page });
  }

  async images(
    ref: CompoundEntityRef,
    page: { cursor?: string; limit: number },
    credentials: Caller,
  ): Promise<ImageVersionPage> {
    const { entityRef, annotations } = await this.load(ref, credentials);
    const { imageFamily } = annotations;
    if (!imageFamily) {
      throw new NotFoundError(
        `Entity ${entityRef} is not enrolled: it has no image family annotation`,
      );
    }
    return {
      family: imageFamily,
      ...(await this.options.stores.versions.listVersions({
        family: imageFamily,
        ...page,
      })),
    };
  }

  async instances(
    ref: CompoundEntityRef,
    query: {
      environment?: string;
      rule?: string;
      state?: string;
      cursor?: string;
      limit: number;
    },
    credentials: Caller,
  ): Promise<{
    items: FleetInstanceView[];
    total: number;
    nextCursor?: string;
  }> {
    const { analysed } = await this.analyse(ref, credentials);
    analysed.instances ??= instanceViews(analysed.analysis, analysed.at);
    const all = analysed.instances.filter(
      i =>
        (!query.environment || i.environment === query.environment) &&
        (!query.rule || (i.rules as string[]).includes(query.rule)) &&
        (!query.state || i.state === query.state),
    );
    return pageOf(all, query.cursor, query.limit);
  }

  /**
   * The drift answer; with `findingsPerGroup`, each group lists that many
   * of its findings and instances (its count and environments stay whole),
   * once the remediation policy and the lifetimes have read them all.
   */
  async drift(
    ref: CompoundEntityRef,
    credentials: Caller,
    query: { findingsPerGroup?: number } = {},
  ): Promise<DriftResponse> {
    const { entityRef, annotations, analysed } = await this.analyse(
      ref,
      credentials,
    );
    analysed.drift ??= driftView(entityRef, analysed.analysis);
    const { lifetimes, remediation } = this.options;
    const view = remediation
      ? await remediation({ view: analysed.drift, annotations })
      : analysed.drift;
    const bound = query.findingsPerGroup;
    const shown = withFindingsPerGroup(view, bound);
    if (!lifetimes) {
      return shown;
    }
    const now = this.now();
    const longest = Math.max(...DRIFT_LIFETIME_WINDOWS);
    // A page of a large fleet looks up the few findings it shows; the
    // groups' ages and the totals are counted by the database.
    const [openGroups, open, gone] = await Promise.all([
      lifetimes.countOpen(entityRef),
      lifetimes.listOpenSince(
        entityRef,
        bound === undefined ? undefined : shown.groups.flatMap(g => g.findings),
      ),
      lifetimes.listGone({
        entityRef,
        since: new Date(now - longest * 86_400_000).toISOString(),
      }),
    ]);
    return withDriftLifetime({ view: shown, openGroups, open, gone, now });
  }

  async imageAge(
    ref: CompoundEntityRef,
    credentials: Caller,
  ): Promise<ImageAgeResponse> {
    const { entityRef, annotations, analysed } = await this.analyse(
      ref,
      credentials,
    );
    analysed.instances ??= instanceViews(analysed.analysis, analysed.at);
    return imageAgeView({
      entityRef,
      analysis: analysed.analysis,
      now: analysed.at,
      views: analysed.instances,
      environments: annotations.environments,
      policyDays:
        annotations.maxImageAgeDays ?? this.options.policy.maxImageAgeDays,
    });
  }

  /** The entity, its annotations and the analysis of its fleet. */
  private async analyse(
    ref: CompoundEntityRef,
    credentials: Caller,
  ): Promise<{
    entityRef: string;
    annotations: ImmutableInfraAnnotations;
    analysed: Analysed;
  }> {
    const { entityRef, annotations, data } = await this.load(ref, credentials);
    const family = data?.families.find(f => f.name === annotations.imageFamily);
    if (!family || !data) {
      throw new NotFoundError(
        `Entity ${entityRef} is not enrolled: its image family is not registered to it`,
      );
    }
    return {
      entityRef,
      annotations,
      analysed: this.analysisOf({ annotations, family, data }),
    };
  }
}
