import { Knex } from 'knex';

/** Ids in one `in (...)` list (SQLite binds at most 999 values). */
const BATCH = 500;

/**
 * Which entities the stored inventory says an AWS resource belongs to: the
 * drift events consumer's reads, so that an event resyncs only what it
 * touches.
 *
 * @internal
 */
export interface FleetResourceIndex {
  /** The entity of each of these instances that the inventory holds. */
  entitiesOfInstances(options: {
    region: string;
    instanceIds: string[];
  }): Promise<{ entityRef: string; instanceId: string }[]>;

  /** Entities with instances in this Auto Scaling group. */
  entitiesOfAutoScalingGroup(options: {
    region: string;
    name: string;
  }): Promise<string[]>;

  /** Entities with instances launched from this launch template. */
  entitiesOfLaunchTemplate(options: {
    region: string;
    launchTemplateId: string;
  }): Promise<string[]>;
}

/**
 * Knex implementation of {@link FleetResourceIndex}, on the `instances`
 * table fleet sync writes.
 *
 * @internal
 */
export class DatabaseFleetResourceIndex implements FleetResourceIndex {
  static create(options: { knex: Knex }): DatabaseFleetResourceIndex {
    return new DatabaseFleetResourceIndex(options.knex);
  }

  private constructor(private readonly db: Knex) {}

  async entitiesOfInstances(options: {
    region: string;
    instanceIds: string[];
  }): Promise<{ entityRef: string; instanceId: string }[]> {
    const ids = [...new Set(options.instanceIds)];
    const found: { entityRef: string; instanceId: string }[] = [];
    for (let i = 0; i < ids.length; i += BATCH) {
      const rows = await this.db('instances')
        .whereIn('instance_id', ids.slice(i, i + BATCH))
        .andWhere('region', options.region)
        .select<{ entity_ref: string; instance_id: string }[]>(
          'entity_ref',
          'instance_id',
        )
        .orderBy([{ column: 'entity_ref' }, { column: 'instance_id' }]);
      found.push(
        ...rows.map(r => ({
          entityRef: r.entity_ref,
          instanceId: r.instance_id,
        })),
      );
    }
    return found;
  }

  async entitiesOfAutoScalingGroup(options: {
    region: string;
    name: string;
  }): Promise<string[]> {
    const rows = await this.db('instances')
      .where({ asg: options.name, region: options.region })
      .distinct<{ entity_ref: string }[]>('entity_ref')
      .orderBy('entity_ref');
    return rows.map(r => r.entity_ref);
  }

  async entitiesOfLaunchTemplate(options: {
    region: string;
    launchTemplateId: string;
  }): Promise<string[]> {
    const rows = await this.db('instances')
      .where({
        launch_template_id: options.launchTemplateId,
        region: options.region,
      })
      .distinct<{ entity_ref: string }[]>('entity_ref')
      .orderBy('entity_ref');
    return rows.map(r => r.entity_ref);
  }
}
