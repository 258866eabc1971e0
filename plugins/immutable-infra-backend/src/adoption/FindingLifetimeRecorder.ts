import { LoggerService } from '@backstage/backend-plugin-api';
import { DriftFinding } from '@immutable-infra/backstage-plugin-common';
import { FleetAnalyzer } from '../drift/FleetAnalyzer';
import { rolloutMaking, rolloutsOnTheirWay } from '../drift/rollingOut';
import { ActiveRollout } from '../drift/types';
import { EntityReadModel } from '../entities/EntityReadModel';
import {
  FindingClosure,
  FindingKey,
  FindingLifetime,
  FindingLifetimeStore,
  HowSeen,
} from '../fleet/FindingLifetimeStore';
import { Replacement } from '../rollouts/RolloutReplacements';

/**
 * Rules whose findings are not drift of the fleet: an inventory gone stale
 * says the plugin cannot see the fleet, not that it changed.
 */
const NOT_DRIFT = new Set<string>(['stale-inventory']);

const keyOf = (f: FindingKey) =>
  JSON.stringify([f.rule, f.rootCause, f.instanceId ?? '']);

/** What a good sync changes in an entity's open findings. @internal */
export type LifetimeChanges = {
  open: Array<FindingKey & { environment?: string; seenBy: HowSeen }>;
  close: FindingClosure[];
};

/**
 * The lives a good sync opens and closes: a finding not open yet opens one;
 * an open one no longer found closes, replaced when a rollout replaced its
 * instance, terminated when its instance is gone otherwise, resolved when
 * what it was about is still there. A finding a rollout on its way makes
 * (its environment half on the new version) neither opens nor closes: it is
 * the rollout's progress, and an open one stays open until the rollout ends.
 *
 * @internal
 */
export function lifetimeChanges(options: {
  open: FindingLifetime[];
  findings: DriftFinding[];
  /** The instances the sync found, whatever their findings. */
  instanceIds: Set<string>;
  rollouts: ActiveRollout[];
  replacements: Map<string, Replacement>;
  seenBy: HowSeen;
}): LifetimeChanges {
  const onTheirWay = rolloutsOnTheirWay(options.rollouts);
  const present = new Map<string, DriftFinding>();
  const masked = new Set<string>();
  for (const finding of options.findings) {
    if (NOT_DRIFT.has(finding.rule)) {
      continue;
    }
    const key = keyOf(finding);
    if (rolloutMaking(finding, onTheirWay)) {
      masked.add(key);
    } else {
      present.set(key, finding);
    }
  }
  const known = new Set(options.open.map(keyOf));
  const open = [...present.entries()]
    .filter(([key]) => !known.has(key))
    .map(([, f]) => ({
      rule: f.rule,
      rootCause: f.rootCause,
      instanceId: f.instanceId,
      environment: f.environment,
      seenBy: options.seenBy,
    }));
  const close: FindingClosure[] = [];
  for (const lifetime of options.open) {
    const key = keyOf(lifetime);
    if (present.has(key) || masked.has(key)) {
      continue;
    }
    if (
      lifetime.instanceId === undefined ||
      options.instanceIds.has(lifetime.instanceId)
    ) {
      close.push({ id: lifetime.id, goneBy: 'resolved' });
      continue;
    }
    const replacement = options.replacements.get(lifetime.instanceId);
    close.push(
      replacement
        ? { id: lifetime.id, goneBy: 'replaced', ...replacement }
        : { id: lifetime.id, goneBy: 'terminated' },
    );
  }
  return { open, close };
}

/**
 * Records the life of each drift finding after each good sync of an
 * entity: its findings now, computed as the drift API computes them (the
 * same read model and analysis), against the lives still open.
 *
 * @internal
 */
export class FindingLifetimeRecorder {
  constructor(
    private readonly options: {
      store: FindingLifetimeStore;
      readModel: Pick<EntityReadModel, 'load'>;
      analyzer: FleetAnalyzer;
      /** The entity's rollouts that hold an environment. */
      activeRollouts: (entityRef: string) => Promise<ActiveRollout[]>;
      /** The rollouts that replaced these instances of the entity. */
      replacements: (options: {
        entityRef: string;
        instanceIds: string[];
        since: string;
      }) => Promise<Map<string, Replacement>>;
      logger: LoggerService;
    },
  ) {}

  /**
   * After a good sync of the entity. A partial sync (part of the fleet
   * looked at again) only opens: what it did not look at is no evidence
   * that a finding went.
   */
  async afterSync(sync: {
    entityRef: string;
    trigger: HowSeen;
    partial?: boolean;
    now?: Date;
  }): Promise<LifetimeChanges | undefined> {
    const { entityRef } = sync;
    const data = await this.options.readModel.load(entityRef);
    if (!data || data.inventory.sync?.status !== 'ok') {
      // Not enrolled, or a failed sync since: stale data is no evidence.
      return undefined;
    }
    const { annotations, errors } = data.snapshot.parsed;
    const family = data.families.find(f => f.name === annotations.imageFamily);
    if (errors.length > 0 || !family) {
      return undefined;
    }
    const now = sync.now ?? new Date();
    const analysis = this.options.analyzer.analyze({
      annotations,
      family,
      data,
      now: now.getTime(),
    });
    const [open, rollouts] = await Promise.all([
      this.options.store.listOpen(entityRef),
      this.options.activeRollouts(entityRef),
    ]);
    const instanceIds = new Set(
      data.inventory.instances.map(i => i.instanceId),
    );
    const goneInstances = open.filter(
      l => l.instanceId !== undefined && !instanceIds.has(l.instanceId),
    );
    const replacements =
      goneInstances.length > 0 && !sync.partial
        ? await this.options.replacements({
            entityRef,
            instanceIds: [...new Set(goneInstances.map(l => l.instanceId!))],
            since: goneInstances
              .map(l => l.firstSeenAt)
              .reduce((a, b) => (a < b ? a : b)),
          })
        : new Map<string, Replacement>();
    const changes = lifetimeChanges({
      open,
      findings: analysis.findings,
      instanceIds,
      rollouts,
      replacements,
      seenBy: sync.trigger,
    });
    if (sync.partial) {
      changes.close = [];
    }
    const recorded = await this.options.store.record({
      entityRef,
      at: now.toISOString(),
      ...changes,
    });
    if (recorded.opened + recorded.closed > 0) {
      this.options.logger.debug(
        `Drift of ${entityRef}: ${recorded.opened} findings found, ${recorded.closed} gone`,
      );
    }
    return changes;
  }
}
