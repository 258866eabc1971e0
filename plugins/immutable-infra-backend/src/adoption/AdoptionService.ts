import {
  RELATION_CHILD_OF,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  AdoptionSnapshotRequest,
  AdoptionSnapshotResponse,
  immutableInfraFleetSyncPermission,
  AdoptionFilterQuery,
  AdoptionHistoryQuery,
  AdoptionHistoryResponse,
  AdoptionQuery,
  AdoptionResponse,
} from '@immutable-infra/backstage-plugin-common';
import { createHash } from 'node:crypto';
import { Caller, principalRef } from '../audit/principalRef';
import { EntityAccess } from '../catalog/EntityAccess';
import { RegistryStores } from '../registry/RegistryStores';
import { RolloutStore } from '../rollouts/RolloutStore';
import { adoptionCsv } from './adoptionCsv';
import { AdoptionDelivery } from './AdoptionDelivery';
import { AdoptionSnapshotter, dayOf } from './AdoptionSnapshotter';
import { DatabaseAdoptionStore } from './AdoptionStore';
import { DatabaseNoticeStore } from './NoticeStore';
import { descendantsOf, rollUp } from './rollUp';
import { orderServices, serviceRow } from './serviceRows';
import {
  AdoptionDay,
  AdoptionSnapshot,
  GroupTree,
  SnapshotFilter,
} from './types';

const DAY = 86_400_000;

/** Histories kept in memory, at most. */
const HISTORY_CACHE_ENTRIES = 100;

/** A digest of the components a view covers. */
function digest(rows: AdoptionSnapshot[]): string {
  return createHash('sha256')
    .update(rows.map(r => r.entityRef).join('\n'))
    .digest('hex');
}

/**
 * Adoption across the catalog for one caller: the figures of the components
 * they may read in the catalog (of the last day's snapshots), their roll-ups,
 * history and delivery metrics, and the view as CSV.
 *
 * @internal
 */
export class AdoptionService {
  /** Histories by view and snapshot (see `history`), oldest first. */
  private readonly historyCache = new Map<string, AdoptionDay[]>();
  private readonly delivery: AdoptionDelivery;

  constructor(
    private readonly options: {
      store: DatabaseAdoptionStore;
      access: EntityAccess;
      catalog: CatalogService;
      rollouts: Pick<RolloutStore, 'listFinished'>;
      stores: Pick<RegistryStores, 'versions'>;
      snapshotter: Pick<AdoptionSnapshotter, 'run'>;
      /** Revoked versions seen running, for the time to replace them. */
      exposures: Pick<DatabaseNoticeStore, 'listExposures'>;
      /** The window of the delivery metrics (default 90 days). */
      deliveryWindowDays?: number;
    },
  ) {
    this.delivery = new AdoptionDelivery({
      rollouts: options.rollouts,
      stores: options.stores,
      exposures: options.exposures,
      windowDays: options.deliveryWindowDays,
    });
  }

  async view(
    query: AdoptionQuery,
    credentials: Caller,
  ): Promise<AdoptionResponse> {
    const { day, rows, tree } = await this.readable(query, credentials, {
      needTree: query.groupBy === 'owner',
    });
    const ordered = orderServices(rows, query);
    const offset = query.cursor ? Number(query.cursor) : 0;
    const countBy = (pick: (s: AdoptionSnapshot) => string | undefined) => {
      const counts = new Map<string, { services: number; enrolled: number }>();
      for (const s of rows) {
        const key = pick(s) ?? '(none)';
        const entry = counts.get(key) ?? { services: 0, enrolled: 0 };
        entry.services += 1;
        entry.enrolled += s.enrolled ? 1 : 0;
        counts.set(key, entry);
      }
      return [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    };
    const rolledUp = rollUp(rows, query.groupBy, tree);
    return {
      day,
      takenAt: rows.reduce<string | undefined>(
        (latest, s) => (!latest || s.takenAt > latest ? s.takenAt : latest),
        undefined,
      ),
      figures: rolledUp.figures,
      byType: countBy(s => s.type).map(([type, c]) => ({ type, ...c })),
      byLifecycle: countBy(s => s.lifecycle).map(([lifecycle, c]) => ({
        lifecycle,
        ...c,
      })),
      groupBy: query.groupBy,
      groups: rolledUp.rows,
      services: {
        items: ordered.slice(offset, offset + query.limit).map(serviceRow),
        total: ordered.length,
        nextCursor:
          offset + query.limit < ordered.length
            ? String(offset + query.limit)
            : undefined,
      },
      delivery: await this.delivery.metrics(rows),
    };
  }

  /**
   * Writes today's snapshot now (and rebuilds `backfillDays` before it): a
   * user needs the fleet-sync permission; audited.
   */
  async snapshot(
    request: AdoptionSnapshotRequest,
    credentials: Caller,
  ): Promise<AdoptionSnapshotResponse> {
    if (credentials.principal.type === 'user') {
      await this.options.access.authorizeBasic({
        permission: immutableInfraFleetSyncPermission,
        credentials,
        message: 'You may not take adoption snapshots',
      });
    }
    return this.options.snapshotter.run(new Date(), {
      backfillDays: request.backfillDays,
      actor: principalRef(credentials),
    });
  }

  async history(
    query: AdoptionHistoryQuery,
    credentials: Caller,
  ): Promise<AdoptionHistoryResponse> {
    const { day, rows, filter, allReadable, everyEntity } = await this.readable(
      query,
      credentials,
      { needTree: false },
    );
    if (!day) {
      return { days: [] };
    }
    const to = Date.parse(`${day}T00:00:00.000Z`);
    const from = dayOf(to - (query.days - 1) * DAY);
    // Which components each day counts: a caller who may read any entity,
    // all of that day's; otherwise only those they may read now (one gone
    // from the catalog cannot be checked, so it is left out), named by the
    // last day when they may read every one of it.
    let entityRefs: SnapshotFilter['entityRefs'] = rows.map(r => r.entityRef);
    if (everyEntity) {
      entityRefs = 'all';
    } else if (allReadable) {
      entityRefs = { presentOn: day };
    }
    // The days before the last snapshot do not change until the next one:
    // the same view of the same snapshot is answered from memory.
    const cacheKey = JSON.stringify([
      from,
      day,
      rows.reduce((t, r) => (r.takenAt > t ? r.takenAt : t), ''),
      {
        ...filter,
        entityRefs: Array.isArray(entityRefs) ? digest(rows) : entityRefs,
      },
    ]);
    let days = this.historyCache.get(cacheKey);
    if (!days) {
      days = await this.historyDays({
        from,
        to: day,
        filter: { ...filter, entityRefs },
      });
      this.historyCache.set(cacheKey, days);
      if (this.historyCache.size > HISTORY_CACHE_ENTRIES) {
        this.historyCache.delete(this.historyCache.keys().next().value!);
      }
    }
    const { leadTimes, replaceTimes } = await this.delivery.daily(
      rows,
      query.days,
    );
    return {
      days: days.map(d => ({
        ...d,
        leadTimeMedianHours: leadTimes.get(d.day),
        revokedReplaceMedianHours: replaceTimes.get(d.day),
      })),
    };
  }

  /**
   * The figures of each day: those kept with the snapshots for every
   * component, when the filter narrows nothing and they reach the last
   * day; otherwise grouped from the snapshot rows.
   */
  private async historyDays(options: {
    from: string;
    to: string;
    filter: SnapshotFilter;
  }): Promise<AdoptionDay[]> {
    const { entityRefs, ...narrowing } = options.filter;
    if (
      entityRefs === 'all' &&
      Object.values(narrowing).every(v => v === undefined)
    ) {
      const kept = await this.options.store.dailyFigures(options);
      if (kept[kept.length - 1]?.day === options.to) {
        return kept;
      }
    }
    return this.options.store.historyFigures(options);
  }

  /** The view's services (every one, not a page) as CSV. */
  async csv(query: AdoptionQuery, credentials: Caller): Promise<string> {
    const { rows } = await this.readable(query, credentials, {
      needTree: false,
    });
    return adoptionCsv(rows, query);
  }

  /**
   * The last day's snapshots the filters cover and the caller may read in
   * the catalog (a check that cannot be made fails the request).
   */
  private async readable(
    query: AdoptionFilterQuery,
    credentials: Caller,
    options: { needTree: boolean },
  ): Promise<{
    day?: string;
    rows: AdoptionSnapshot[];
    tree: GroupTree;
    filter: SnapshotFilter;
    allReadable: boolean;
    everyEntity: boolean;
  }> {
    const groups: Promise<GroupTree> =
      options.needTree || query.owner
        ? this.groupTree(credentials)
        : Promise.resolve(new Map());
    // An owner filter needs the groups below it first; otherwise the groups
    // and the snapshots are read at once.
    const owners = query.owner
      ? [...descendantsOf(query.owner, await groups)]
      : undefined;
    const filter: SnapshotFilter = {
      entityRefs: 'all',
      owners,
      systems: query.system,
      domains: query.domain,
      lifecycles: query.lifecycle,
      types: query.type,
      levels: query.level,
      enrolled:
        query.enrolled === undefined ? undefined : query.enrolled === 'true',
    };
    const [tree, readable] = await Promise.all([
      groups,
      this.readableRows(filter, credentials),
    ]);
    return { ...readable, tree, filter };
  }

  /**
   * The last day's snapshots of the filter that the caller may read in the
   * catalog (a check that cannot be made fails the request). `everyEntity`
   * when the caller may read any entity at all, so also those of earlier
   * days that the catalog no longer lists; `allReadable` when they may read
   * every one of these.
   */
  async readableRows(
    filter: SnapshotFilter,
    credentials: Caller,
  ): Promise<{
    day?: string;
    rows: AdoptionSnapshot[];
    allReadable: boolean;
    everyEntity: boolean;
  }> {
    const [day, everyEntity] = await Promise.all([
      this.options.store.latestDay(),
      this.options.access.mayReadEvery(credentials),
    ]);
    if (!day) {
      return { rows: [], allReadable: true, everyEntity };
    }
    const candidates = await this.options.store.listDay(day, filter);
    if (everyEntity) {
      return { day, rows: candidates, allReadable: true, everyEntity };
    }
    const allowed = await this.options.access.mayRead(
      candidates.map(s => s.entityRef),
      credentials,
    );
    const rows = candidates.filter((_, i) => allowed[i]);
    return {
      day,
      rows,
      allReadable: rows.length === candidates.length,
      everyEntity,
    };
  }

  /** The catalog's groups the caller may read, each with its parent. */
  async groupTree(credentials: Caller): Promise<GroupTree> {
    const { items } = await this.options.catalog.getEntities(
      {
        filter: { kind: 'group' },
        fields: [
          'kind',
          'metadata.name',
          'metadata.namespace',
          'metadata.title',
          'spec.profile.displayName',
          'relations',
        ],
      },
      { credentials },
    );
    return new Map(
      items.map(group => [
        stringifyEntityRef(group),
        {
          parent: group.relations?.find(r => r.type === RELATION_CHILD_OF)
            ?.targetRef,
          title: group.metadata.title,
        },
      ]),
    );
  }
}
