import { Knex } from 'knex';
import { Timestamp } from '../database/timestamps';

/**
 * Who starts the rollouts the remediation policy decides: a rollout it
 * created is an automatic replacement.
 *
 * @internal
 */
export const REMEDIATION_ACTOR = 'plugin:immutable-infra/remediation';

/** The rollout that replaced an instance. @internal */
export type Replacement = {
  rolloutId: string;
  /** Started by the remediation policy, not by a person. */
  automatic: boolean;
};

type Row = {
  id: string;
  entity_ref: string;
  created_at: Timestamp;
  created_by: string;
  state: string;
  plan: string;
  updated_at: Timestamp;
};

type StepRow = {
  rollout_id: string;
  fleet: string;
  action: string;
  detail: string | null;
};

type PlannedFleet = { key: string; oldInstanceIds?: string[] };

/**
 * Which rollouts replaced which instances, from what the rollouts recorded:
 * an instance a rollout planned to replace, that it terminated (its
 * `terminate` step names it), let its group scale in (a `scale-in` step of
 * the instance's fleet, whose old instances are the only ones the group may
 * choose) or that is gone once the rollout succeeded.
 *
 * @internal
 */
export class DatabaseRolloutReplacements {
  static create(options: { knex: Knex }): DatabaseRolloutReplacements {
    return new DatabaseRolloutReplacements(options.knex);
  }

  private constructor(private readonly db: Knex) {}

  /**
   * The rollout of the entity that replaced each of these instances, among
   * those that changed since `since`; the latest when several planned to.
   */
  async replacing(options: {
    entityRef: string;
    instanceIds: string[];
    since: string;
  }): Promise<Map<string, Replacement>> {
    const found = new Map<string, Replacement>();
    if (options.instanceIds.length === 0) {
      return found;
    }
    const wanted = new Set(options.instanceIds);
    const rollouts = await this.db<Row>('rollouts')
      .where({ entity_ref: options.entityRef })
      .where('updated_at', '>=', options.since)
      .orderBy('created_at', 'asc')
      .select('id', 'created_by', 'state', 'plan', 'updated_at');
    const planned = rollouts
      .map(r => {
        const fleets: PlannedFleet[] = (() => {
          try {
            return JSON.parse(r.plan)?.fleets ?? [];
          } catch {
            return [];
          }
        })();
        return {
          row: r,
          fleets: fleets.filter(f =>
            (f.oldInstanceIds ?? []).some(i => wanted.has(i)),
          ),
        };
      })
      .filter(p => p.fleets.length > 0);
    if (planned.length === 0) {
      return found;
    }
    const steps = await this.db<StepRow>('rollout_steps')
      .whereIn(
        'rollout_id',
        planned.map(p => p.row.id),
      )
      .whereIn('action', ['terminate', 'scale-in'])
      .select('rollout_id', 'fleet', 'action', 'detail');
    for (const { row, fleets } of planned) {
      const own = steps.filter(s => s.rollout_id === row.id);
      const terminated = new Set(
        own
          .filter(s => s.action === 'terminate' && s.detail)
          .flatMap(s => {
            try {
              return (JSON.parse(s.detail!).instanceIds as string[]) ?? [];
            } catch {
              return [];
            }
          }),
      );
      const scaledIn = new Set(
        own.filter(s => s.action === 'scale-in').map(s => s.fleet),
      );
      for (const fleet of fleets) {
        for (const instanceId of fleet.oldInstanceIds ?? []) {
          if (
            wanted.has(instanceId) &&
            (terminated.has(instanceId) ||
              scaledIn.has(fleet.key) ||
              row.state === 'succeeded')
          ) {
            // Oldest first: a later rollout's claim wins.
            found.set(instanceId, {
              rolloutId: row.id,
              automatic: row.created_by === REMEDIATION_ACTOR,
            });
          }
        }
      }
    }
    return found;
  }
}
