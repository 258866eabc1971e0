import {
  IMAGE_VERSION_TAG,
  ROLLOUT_ID_TAG,
  RolloutFleet,
} from '@immutable-infra/backstage-plugin-common';
import { createHash } from 'node:crypto';
import { ImageLocation } from '../providers/ImageProvider';
import { RolloutProvider } from '../providers/RolloutProvider';
import { ObservedInstance, PRESENT } from './decide';
import { RolloutRecord } from './RolloutStore';

/** What a standalone launch fills. @internal */
export type LaunchOptions = {
  version: number;
  /** The slots to fill: `<prefix><n>`, `n` also picking the subnet. */
  prefix: string;
  slots: number[];
  subnets: string[];
  tags: Record<string, string>;
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
 * The tag naming the launch slot a standalone instance fills: the same
 * slot asked again carries the same client token, and a slot filled by an
 * instance in sight is never asked again.
 *
 * @internal
 */
export const SLOT_TAG = 'immutable-infra:rollout-slot';

/** Launch errors of one Availability Zone or subnet: another may have room. */
const ZONAL_LAUNCH_ERRORS = new Set([
  'InsufficientInstanceCapacity',
  'InsufficientFreeAddressesInSubnet',
  'Unsupported',
]);

/**
 * Launches standalone instances one by one, slot after slot from
 * `firstSlot`: the slot's subnet is fixed (`subnets` in turn, the fleet's
 * own, so that launches spread over its zones), and a subnet without
 * capacity or addresses hands the launch to the next. The slot's token is
 * `token(slot)`: the same launch asked again carries the same one, and AWS
 * answers it with the first reservation. Answers whether a token could not
 * launch again: its reservation's instances stopped or terminated since,
 * or are all already counted (seen), or it was spent in another subnet
 * (`IdempotentParameterMismatch`); the next launch then needs new tokens.
 */
export async function launchStandalone(
  provider: RolloutProvider,
  location: ImageLocation & { rolloutId: string },
  fleet: RolloutFleet,
  options: LaunchOptions,
): Promise<{ spentToken: boolean; launched: string[] }> {
  let spentToken = false;
  const launched: string[] = [];
  const { subnets } = options;
  for (const slot of options.slots) {
    const name = `${options.prefix}${slot}`;
    const tries = subnets.length
      ? subnets.map((_, k) => subnets[(slot + k) % subnets.length])
      : [undefined];
    let lastError: unknown;
    for (const subnetId of tries) {
      try {
        const result = await provider.launchInstances({
          region: location.region,
          account: location.account,
          templateId: fleet.launchTemplate!.id,
          version: options.version,
          count: 1,
          tags: { ...options.tags, [SLOT_TAG]: name },
          clientToken: clientToken(location.rolloutId, fleet.key, name),
          ...(subnetId ? { subnetId } : {}),
        });
        // Asked again, a token answers its first reservation as it is
        // now: an instance that no longer runs launched nothing now.
        spentToken ||= result.instances.some(
          i => !['pending', 'running'].includes(i.state),
        );
        launched.push(...result.instances.map(i => i.instanceId));
        lastError = undefined;
        break;
      } catch (error) {
        const code = (error as Error).name;
        if (code === 'IdempotentParameterMismatch') {
          spentToken = true;
          lastError = undefined;
          break;
        }
        lastError = error;
        if (!ZONAL_LAUNCH_ERRORS.has(code)) {
          throw error;
        }
      }
    }
    if (lastError) {
      throw lastError;
    }
  }
  return { spentToken, launched };
}

/**
 * The `count` lowest slots of `prefix` that no instance in sight fills
 * (a slot whose instance is not visible yet is asked again, and AWS
 * answers its first reservation).
 */
export function freeSlots(
  instances: ObservedInstance[],
  prefix: string,
  count: number,
): number[] {
  const taken = new Set(
    instances
      .filter(i => i.slot?.startsWith(prefix))
      .map(i => Number(i.slot!.slice(prefix.length))),
  );
  const slots: number[] = [];
  for (let n = 0; slots.length < count; n++) {
    if (!taken.has(n)) {
      slots.push(n);
    }
  }
  return slots;
}

/** The subnets a standalone fleet's instances run in, in a fixed order. */
export function subnetsOf(instances: ObservedInstance[]): string[] {
  return [
    ...new Set(
      instances
        .filter(i => i.subnetId && PRESENT.has(i.state ?? ''))
        .map(i => i.subnetId!),
    ),
  ].sort();
}

/** The new instances' tags: the fleet's, the rollout's id and version, the step. */
export function launchTags(rollout: RolloutRecord): Record<string, string> {
  return {
    ...fleetTags(rollout),
    [ROLLOUT_ID_TAG]: rollout.id,
    [IMAGE_VERSION_TAG]: rollout.toVersion,
    'immutable-infra:rollout-step': String(rollout.currentStep),
  };
}
