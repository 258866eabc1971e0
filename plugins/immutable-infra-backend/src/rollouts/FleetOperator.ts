import { RolloutFleet } from '@immutable-infra/backstage-plugin-common';
import { checkAlarms } from './alarms';
import {
  FleetGroupOperations,
  FleetOperatorOptions,
} from './FleetGroupOperations';
import { LaunchOptions, launchStandalone } from './launches';
import { FleetObservation, GroupSizes, observeFleet } from './observe';
import { RolloutRecord } from './RolloutStore';

export type { FleetObservation, FleetOperatorOptions, GroupSizes };

/**
 * Every call the rollout engine makes to AWS goes through here: observing a
 * fleet (the gate, the probe, standalone instances into their target
 * groups), standalone instances launched, moved between target groups and
 * retired, alarms; and, through {@link FleetGroupOperations}, Auto Scaling
 * groups and launch templates prepared, acted on and restored.
 * The engine keeps the rollout's state; this keeps none.
 *
 * @internal
 */
export class FleetOperator extends FleetGroupOperations {
  /**
   * A fleet now: its instances with the gate's verdict on the new ones, and
   * for a group its sizes (see {@link observeFleet}).
   */
  observe(
    rollout: RolloutRecord,
    fleet: RolloutFleet,
  ): Promise<FleetObservation> {
    return observeFleet(this.options, rollout, fleet);
  }

  /** Which of these instances are healthy in every target group of the fleet (and running). */
  async healthyInTargets(
    rollout: RolloutRecord,
    fleet: RolloutFleet,
    instanceIds: string[],
    targetGroupArns = fleet.targetGroupArns,
  ): Promise<Set<string>> {
    const verdicts = await this.provider.gate({
      ...this.location(rollout, fleet),
      instanceIds,
      targetGroupArns,
    });
    return new Set(instanceIds.filter(id => verdicts.get(id)?.healthy));
  }

  /**
   * Registers those of these instances that are missing from a target group
   * of the fleet; answers whether any is not settled yet (just registered,
   * or its status checks still initializing, before which the target
   * groups are not asked).
   */
  async registerMissing(
    rollout: RolloutRecord,
    fleet: RolloutFleet,
    instanceIds: string[],
  ): Promise<boolean> {
    if (instanceIds.length === 0 || fleet.targetGroupArns.length === 0) {
      return false;
    }
    const verdicts = await this.provider.gate({
      ...this.location(rollout, fleet),
      instanceIds,
      targetGroupArns: fleet.targetGroupArns,
    });
    const missing = instanceIds.filter(id => verdicts.get(id)?.unregistered);
    if (missing.length > 0) {
      await this.setMembership(rollout, fleet, missing, true);
    }
    return instanceIds.some(
      id =>
        verdicts.get(id)?.unregistered ||
        /initializing|no status|: initial /.test(
          verdicts.get(id)?.waiting ?? '',
        ),
    );
  }

  /** The alarms' verdict (see {@link checkAlarms}). */
  alarms(rollout: RolloutRecord, refs: string[]) {
    return checkAlarms(this.provider, rollout, refs);
  }

  /** Launches standalone instances into their slots (see {@link launchStandalone}). */
  async launchStandalone(
    rollout: RolloutRecord,
    fleet: RolloutFleet,
    options: LaunchOptions,
  ): Promise<{ spentToken: boolean; launched: string[] }> {
    return launchStandalone(
      this.provider,
      { ...this.location(rollout, fleet), rolloutId: rollout.id },
      fleet,
      options,
    );
  }

  async setMembership(
    rollout: RolloutRecord,
    fleet: RolloutFleet,
    instanceIds: string[],
    registered: boolean,
    targetGroupArns = fleet.targetGroupArns,
  ) {
    if (instanceIds.length === 0 || targetGroupArns.length === 0) {
      return;
    }
    await this.provider.setTargetMembership({
      ...this.location(rollout, fleet),
      targetGroupArns,
      instanceIds,
      registered,
    });
  }

  /**
   * Retires standalone instances: out of the fleet's target groups first, so
   * that the load balancer stops sending them requests, and terminated once
   * their connections have drained. Answers which were terminated and which
   * still drain (a later call terminates those).
   */
  async retireStandalone(
    rollout: RolloutRecord,
    fleet: RolloutFleet,
    instanceIds: string[],
  ): Promise<{ terminated: string[]; draining: string[] }> {
    let done = instanceIds;
    let draining: string[] = [];
    const targetGroupArns = [
      ...fleet.targetGroupArns,
      ...(fleet.previewTargetGroupArns ?? []),
    ];
    if (targetGroupArns.length > 0) {
      // Deregistered first (again on a replay: a draining target stays
      // draining), then terminated only once no target group still drains
      // its connections: "Elastic Load Balancing waits for in-flight
      // requests to complete" for the deregistration delay,
      // https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-target-group-attributes.html#deregistration-delay
      await this.setMembership(
        rollout,
        fleet,
        instanceIds,
        false,
        targetGroupArns,
      );
      const verdicts = await this.provider.gate({
        ...this.location(rollout, fleet),
        instanceIds,
        targetGroupArns,
      });
      draining = instanceIds.filter(id => verdicts.get(id)?.draining);
      done = instanceIds.filter(id => !draining.includes(id));
    }
    if (done.length > 0) {
      await this.provider.terminateInstances({
        ...this.location(rollout, fleet),
        instanceIds: done,
      });
    }
    return { terminated: done, draining };
  }
}
