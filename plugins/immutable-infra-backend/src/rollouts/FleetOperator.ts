import {
  IMAGE_VERSION_TAG,
  ROLLOUT_ID_TAG,
  RolloutFleet,
} from '@immutable-infra/backstage-plugin-common';
import { createHash } from 'node:crypto';
import { RolloutInstance, RolloutProvider } from '../providers/RolloutProvider';
import {
  FleetDecision,
  ObservedInstance,
  PRESENT,
  replacedBy,
  scaledInCapacity,
} from './decide';
import { fetchProbe, ProbeFetch, probeInstances } from './probe';
import { RolloutRecord } from './RolloutStore';

/** What the engine does to one fleet this tick, and what it saw there. @internal */
export type FleetAction = {
  fleet: RolloutFleet;
  decision: FleetDecision;
  /** The group's desired capacity as observed (0 for standalone instances). */
  desiredCapacity: number;
};

/** The tags that make an instance part of the rollout's fleet. @internal */
export function fleetTags(rollout: RolloutRecord): Record<string, string> {
  return {
    ...Object.fromEntries(rollout.plan.selector.map(t => [t.key, t.value])),
    [rollout.plan.environmentTag]: rollout.environment,
  };
}

/** A launch's client token: the same launch asked again carries the same. @internal */
export function clientToken(...parts: (string | number)[]): string {
  return createHash('sha256')
    .update(parts.join('/'))
    .digest('hex')
    .slice(0, 64);
}

/**
 * What the rollout engine does to one fleet in the cloud: observes it (the
 * gate, the probe, standalone instances into their target groups) and acts
 * on a decision. The engine keeps the rollout's state; this keeps no state.
 *
 * @internal
 */
export class FleetOperator {
  constructor(
    private readonly options: {
      provider: RolloutProvider;
      /** The HTTP probe of the gate: hosts it may reach beyond the instances', and how it asks. */
      probe?: { allowedHosts?: string[]; fetch?: ProbeFetch };
    },
  ) {}

  /**
   * A fleet now: its instances with the gate's verdict on the new ones, and
   * for a group the desired capacity it is launching towards.
   */
  async observe(
    rollout: RolloutRecord,
    fleet: RolloutFleet,
  ): Promise<{ instances: ObservedInstance[]; desiredCapacity: number }> {
    const { plan } = rollout;
    const location = { region: fleet.region, account: plan.account };
    let instances: RolloutInstance[];
    let desiredCapacity = 0;
    if (fleet.kind === 'autoscaling-group') {
      ({ instances, desiredCapacity } =
        await this.options.provider.groupInstances({
          ...location,
          group: fleet.name,
        }));
    } else {
      instances = await this.options.provider.standaloneInstances({
        ...location,
        tags: [
          ...plan.selector,
          { key: plan.environmentTag, value: rollout.environment },
        ],
      });
    }
    const isOld = replacedBy(fleet);
    const onTarget = instances.filter(
      i => PRESENT.has(i.state ?? '') && !isOld(i),
    );
    const verdicts = await this.options.provider.gate({
      ...location,
      instanceIds: onTarget.map(i => i.instanceId),
      targetGroupArns: fleet.targetGroupArns,
    });
    if (plan.probe && rollout.state === 'running') {
      const probed = await probeInstances({
        template: plan.probe,
        instances: onTarget.filter(
          i => i.state === 'running' && verdicts.get(i.instanceId)?.healthy,
        ),
        allowedHosts: this.options.probe?.allowedHosts ?? [],
        fetch: this.options.probe?.fetch ?? fetchProbe,
      });
      for (const [id, why] of probed) {
        verdicts.set(id, { healthy: false, waiting: why });
      }
    }
    if (
      fleet.kind === 'instances' &&
      fleet.targetGroupArns.length > 0 &&
      rollout.state === 'running'
    ) {
      // A group registers what it launches; standalone instances this
      // rollout launched are registered here, once running (again on a
      // replay: registering twice changes nothing).
      const unregistered = onTarget.filter(
        i =>
          i.state === 'running' &&
          i.tags[ROLLOUT_ID_TAG] === rollout.id &&
          verdicts.get(i.instanceId)?.unregistered,
      );
      if (unregistered.length > 0) {
        await this.options.provider.setTargetMembership({
          ...location,
          targetGroupArns: fleet.targetGroupArns,
          instanceIds: unregistered.map(i => i.instanceId),
          registered: true,
        });
      }
    }
    return {
      desiredCapacity,
      instances: instances.map(i => ({
        instanceId: i.instanceId,
        imageId: i.imageId,
        state: i.state,
        launchTime: i.launchTime,
        launchedByRollout: i.tags[ROLLOUT_ID_TAG] === rollout.id,
        protectedFromScaleIn: i.protectedFromScaleIn,
        healthy: verdicts.get(i.instanceId)?.healthy,
        waiting: verdicts.get(i.instanceId)?.waiting,
      })),
    };
  }

  async act(rollout: RolloutRecord, action: FleetAction) {
    const { fleet, decision } = action;
    const location = { region: fleet.region, account: rollout.plan.account };
    const provider = this.options.provider;
    if (fleet.kind === 'autoscaling-group') {
      if (decision.scaleIn) {
        // Absolute: a replay before the group settled asks for the same
        // capacity (and a group still scaling in is waited for).
        await provider.setGroupDesiredCapacity({
          ...location,
          group: fleet.name,
          desired: scaledInCapacity(decision),
        });
        return;
      }
      // Absolute, and only upwards from what the group already launches
      // towards: a replay asks for the same capacity, not more.
      const desired = decision.present + decision.launch;
      if (decision.launch > 0 && desired > action.desiredCapacity) {
        await provider.setGroupDesiredCapacity({
          ...location,
          group: fleet.name,
          desired,
        });
      }
      if (decision.terminate.length > 0) {
        await provider.terminateInGroup({
          ...location,
          instanceIds: decision.terminate,
        });
      }
      return;
    }
    if (decision.launch > 0) {
      await provider.launchInstances({
        ...location,
        templateId: fleet.launchTemplate!.id,
        version: fleet.newTemplateVersion!,
        count: decision.launch,
        tags: {
          ...fleetTags(rollout),
          [ROLLOUT_ID_TAG]: rollout.id,
          [IMAGE_VERSION_TAG]: rollout.toVersion,
          'immutable-infra:rollout-step': String(rollout.currentStep),
        },
        // The same launch asked again carries the same token; the count of
        // what already runs on the target (observed before) is the proof.
        clientToken: clientToken(
          rollout.id,
          fleet.key,
          rollout.currentStep,
          decision.status.newInstances,
        ),
      });
    }
    if (decision.terminate.length > 0) {
      await this.retireStandalone(rollout, fleet, decision.terminate);
    }
  }

  /**
   * Terminates standalone instances, out of the fleet's target groups first
   * so that the load balancer stops sending them requests.
   */
  async retireStandalone(
    rollout: RolloutRecord,
    fleet: RolloutFleet,
    instanceIds: string[],
  ) {
    const location = { region: fleet.region, account: rollout.plan.account };
    if (fleet.targetGroupArns.length > 0) {
      await this.options.provider.setTargetMembership({
        ...location,
        targetGroupArns: fleet.targetGroupArns,
        instanceIds,
        registered: false,
      });
    }
    await this.options.provider.terminateInstances({
      ...location,
      instanceIds,
    });
  }

  /**
   * The group's instances this rollout launched were protected from
   * scale-in for the rollout's sake only: the group's own scaling may
   * choose them again (unless the group protected new instances before).
   */
  async releaseProtection(rollout: RolloutRecord, fleet: RolloutFleet) {
    if (fleet.newInstancesProtected !== false) {
      // Protected before the rollout, or planned by a version that did not
      // protect: left as it is.
      return;
    }
    const location = {
      region: fleet.region,
      account: rollout.plan.account,
      group: fleet.name,
    };
    const { instances } = await this.options.provider.groupInstances(location);
    const instanceIds = instances
      .filter(
        i => i.protectedFromScaleIn && i.tags[ROLLOUT_ID_TAG] === rollout.id,
      )
      .map(i => i.instanceId);
    if (instanceIds.length > 0) {
      await this.options.provider.unprotectInstances({
        ...location,
        instanceIds,
      });
    }
  }
}
