import {
  parseRolloutAlarm,
  RolloutAlarmState,
} from '@immutable-infra/backstage-plugin-common';
import { RolloutProvider } from '../providers/RolloutProvider';
import { RolloutRecord } from './RolloutStore';

/**
 * The alarms' states: `broken` names the first in ALARM, or one that
 * cannot be read (a check that cannot be made fails closed); `pending`
 * those not OK yet (insufficient data); `held` each alarm read not OK, in
 * its region, with its StateReason.
 *
 * @internal
 */
export async function checkAlarms(
  provider: RolloutProvider,
  rollout: RolloutRecord,
  refs: string[],
): Promise<{ broken?: string; pending: string[]; held: RolloutAlarmState[] }> {
  const regions = [...new Set(rollout.plan.fleets.map(f => f.region))];
  const wanted = new Map<string, string[]>();
  for (const ref of refs) {
    const { region, name } = parseRolloutAlarm(ref);
    for (const r of region ? [region] : regions) {
      wanted.set(r, [...(wanted.get(r) ?? []), name]);
    }
  }
  type Read = { state: string; reason?: string; region: string };
  const found = new Map<string, Read[]>();
  for (const [region, names] of wanted) {
    const states = await provider.alarmStates({
      region,
      account: rollout.plan.account,
      names: [...new Set(names)],
    });
    for (const [name, state] of states) {
      const read = { ...state, region };
      found.set(`${region}:${name}`, [read]);
      found.set(name, [...(found.get(name) ?? []), read]);
    }
  }
  const pending: string[] = [];
  const held: RolloutAlarmState[] = [];
  for (const ref of refs) {
    const states = found.get(ref);
    if (!states?.length) {
      const { region } = parseRolloutAlarm(ref);
      return {
        broken: `alarm ${ref} cannot be read: it exists in no region of the rollout${
          region ? '' : ` (${regions.join(', ')})`
        }`,
        pending,
        held,
      };
    }
    for (const read of states.filter(a => a.state !== 'OK')) {
      held.push({
        alarm: parseRolloutAlarm(ref).name,
        region: read.region,
        state: read.state,
        ...(read.reason ? { reason: read.reason } : {}),
      });
    }
    const alarm = states.find(a => a.state === 'ALARM');
    if (alarm) {
      return {
        broken: `alarm ${ref} is in ALARM${
          alarm.reason ? `: ${alarm.reason}` : ''
        }`,
        pending,
        held,
      };
    }
    if (states.some(a => a.state !== 'OK')) {
      pending.push(ref);
    }
  }
  return { pending, held };
}
