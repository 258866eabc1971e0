import { LRUCache } from 'lru-cache';
import { EntityFleetData, EntityReadModel } from './EntityReadModel';

/** Instances held by default across the cached entities of one backend. */
export const DEFAULT_CACHED_INSTANCES = 20_000;

/**
 * The entity reads of the service pages, kept between requests: a page
 * first asks the database for the version of the entity's data (its last
 * sync and the read model's generation, without the instances) and reads
 * and parses the instances again only when that version moved, so every
 * tab of a 5,000-instance service does not read the same document again
 * between two syncs. Because the version is read on every request, from
 * the database every backend instance shares, a sync, a revocation or a
 * channel move shows on the very next read, as without the cache.
 *
 * Bounded by instances (least recently read entities leave first); an
 * entity larger than the bound is read each time. Entities not yet in the
 * plugin's copy of the catalog are never cached. What is cached is shared
 * by the requests: readers must not change it.
 *
 * @internal
 */
export class EntityReadCache {
  private readonly entries: LRUCache<string, EntityFleetData>;

  constructor(
    private readonly readModel: Pick<EntityReadModel, 'load' | 'version'>,
    options: { maxInstances?: number } = {},
  ) {
    this.entries = new LRUCache({
      maxSize: options.maxInstances ?? DEFAULT_CACHED_INSTANCES,
      sizeCalculation: data => data.inventory.instances.length + 1,
    });
  }

  /** As {@link EntityReadModel.load}. */
  async load(
    entityRef: string,
    options: Parameters<EntityReadModel['load']>[1] = {},
  ): Promise<EntityFleetData | undefined> {
    if (options.entity) {
      return this.readModel.load(entityRef, options);
    }
    const cached = this.entries.get(entityRef);
    if (
      cached &&
      cached.version === (await this.readModel.version(entityRef))
    ) {
      return cached;
    }
    const data = await this.readModel.load(entityRef);
    if (data) {
      this.entries.set(entityRef, data);
    } else {
      this.entries.delete(entityRef);
    }
    return data;
  }
}
