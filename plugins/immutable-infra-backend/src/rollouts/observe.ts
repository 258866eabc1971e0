import {
  ROLLOUT_ID_TAG,
  RolloutFleet,
} from '@immutable-infra/backstage-plugin-common';
import { RolloutInstance, RolloutProvider } from '../providers/RolloutProvider';
import { ObservedInstance, PRESENT, replacedBy } from './decide';
import { SLOT_TAG } from './launches';
import { fetchProbe, ProbeFetch, probeInstances } from './probe';
import { RolloutRecord } from './RolloutStore';

/** An Auto Scaling group's sizes as read this tick. @internal */
export type GroupSizes = {
  desiredCapacity: number;
  minSize: number;
  maxSize: number;
};

/** A fleet as observed this tick. @internal */
export type FleetObservation = {
  instances: ObservedInstance[];
  /** For an Auto Scaling group: its sizes now. */
  group?: GroupSizes;
};

/**
 * The target groups the rollout's new instances of a fleet belong in now:
 * a blue-green's preview target groups until the switch (standalone
 * instances only: a group registers what it launches in its own; a plan
 * with no switch never moves them), then the fleet's.
 *
 * @internal
 */
export function newInstanceTargets(
  plan: { switched?: boolean; steps: { kind: string }[] },
  fleet: RolloutFleet,
): string[] {
  return fleet.kind === 'instances' &&
    fleet.previewTargetGroupArns?.length &&
    plan.steps.some(step => step.kind === 'switch') &&
    !plan.switched
    ? fleet.previewTargetGroupArns
    : fleet.targetGroupArns;
}

/**
 * A fleet now: its instances with the gate's verdict on the new ones, and
 * for a group its sizes (read every tick: a scaling policy or a person
 * may have changed them).
 */
export async function observeFleet(
  options: {
    provider: RolloutProvider;
    probe?: { allowedHosts?: string[]; fetch?: ProbeFetch };
  },
  rollout: RolloutRecord,
  fleet: RolloutFleet,
): Promise<FleetObservation> {
  const provider = options.provider;
  const { plan } = rollout;
  const location = { region: fleet.region, account: plan.account };
  let instances: RolloutInstance[];
  let group: GroupSizes | undefined;
  if (fleet.kind === 'autoscaling-group') {
    const state = await provider.groupInstances({
      ...location,
      group: fleet.name,
    });
    instances = state.instances;
    group = {
      desiredCapacity: state.desiredCapacity,
      minSize: state.minSize,
      maxSize: state.maxSize,
    };
  } else {
    instances = await provider.standaloneInstances({
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
  const onTargetIds = new Set(onTarget.map(i => i.instanceId));
  const greenTargets = newInstanceTargets(plan, fleet);
  const previewed = greenTargets !== fleet.targetGroupArns;
  // Old instances too: a standalone one out of its target groups
  // (draining, or gone from them: being retired) serves nothing and is not
  // counted as serving. (A group deregisters what it terminates itself.)
  const verdicts = await provider.gate({
    ...location,
    instanceIds: instances
      .filter(
        i =>
          PRESENT.has(i.state ?? '') &&
          !(previewed && onTargetIds.has(i.instanceId)),
      )
      .map(i => i.instanceId),
    targetGroupArns: fleet.targetGroupArns,
  });
  if (previewed) {
    // Before the switch, the new instances are gated in the preview
    // target groups, where they serve no production traffic.
    const preview = await provider.gate({
      ...location,
      instanceIds: [...onTargetIds],
      targetGroupArns: greenTargets,
    });
    for (const [id, verdict] of preview) {
      verdicts.set(id, verdict);
    }
  }
  if (plan.probe && rollout.state === 'running') {
    const probed = await probeInstances({
      template: plan.probe,
      instances: onTarget.filter(
        i => i.state === 'running' && verdicts.get(i.instanceId)?.healthy,
      ),
      allowedHosts: options.probe?.allowedHosts ?? [],
      fetch: options.probe?.fetch ?? fetchProbe,
    });
    for (const [id, why] of probed) {
      verdicts.set(id, {
        healthy: false,
        waiting: why,
        hold: { check: 'probe', description: why },
      });
    }
  }
  if (
    fleet.kind === 'instances' &&
    greenTargets.length > 0 &&
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
      await provider.setTargetMembership({
        ...location,
        targetGroupArns: greenTargets,
        instanceIds: unregistered.map(i => i.instanceId),
        registered: true,
      });
    }
  }
  return {
    group,
    instances: instances.map(i => ({
      instanceId: i.instanceId,
      imageId: i.imageId,
      state: i.state,
      launchTime: i.launchTime,
      subnetId: i.subnetId,
      launchedByRollout: i.tags[ROLLOUT_ID_TAG] === rollout.id,
      slot: i.tags[SLOT_TAG],
      protectedFromScaleIn: i.protectedFromScaleIn,
      ...(onTargetIds.has(i.instanceId)
        ? {
            healthy: verdicts.get(i.instanceId)?.healthy,
            waiting: verdicts.get(i.instanceId)?.waiting,
            hold: verdicts.get(i.instanceId)?.hold,
          }
        : {}),
      ...(fleet.kind === 'instances' &&
      (verdicts.get(i.instanceId)?.draining ||
        verdicts.get(i.instanceId)?.unregistered)
        ? { deregistered: true }
        : {}),
    })),
  };
}
