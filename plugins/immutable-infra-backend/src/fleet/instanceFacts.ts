import { ImmutableInfraAnnotations } from '@immutable-infra/backstage-plugin-common';
import { cloudWatchLogGroup } from '../drift/logDestination';
import { DEFAULT_LOG_WINDOW_MS } from '../drift/rules/DriftRuleDefinition';
import {
  FactUnknown,
  FleetInstance,
  FleetProvider,
} from '../providers/FleetProvider';

/** What fleet sync reads of instances beyond EC2, and how. @internal */
export type InstanceFactsOptions = {
  /** Whether the policy requires Systems Manager: only then is it asked. */
  requireSystemsManager?: boolean;
  /** Whether Systems Manager's interactive sessions are read. */
  sessionHistory?: boolean;
  /** How far back a log event counts; {@link DEFAULT_LOG_WINDOW_MS} by default. */
  logWindowMs?: number;
};

function unknown(error: unknown): FactUnknown {
  const name = (error as { name?: string })?.name;
  const message = (error as Error)?.message ?? String(error);
  return {
    status: 'unknown',
    error: name && !message.startsWith(name) ? `${name}: ${message}` : message,
  };
}

const CANNOT = (what: string): FactUnknown => ({
  status: 'unknown',
  error: `the fleet provider cannot read ${what}`,
});

/**
 * Reads what the drift rules need of one region's instances beyond their EC2
 * description: whether Systems Manager manages them (when the policy asks),
 * the newest event of their log streams (when the entity ships to a
 * CloudWatch Logs group) and the latest interactive session on each (when
 * session history is read). A fact
 * AWS refused (access denied, throttled past retries) is marked unknown with
 * why, on every instance it concerns; the sync goes on.
 *
 * @internal
 */
export async function readInstanceFacts(
  provider: FleetProvider,
  location: { region: string; account?: string },
  annotations: ImmutableInfraAnnotations,
  instances: FleetInstance[],
  options: InstanceFactsOptions,
  now: number = Date.now(),
): Promise<void> {
  await readFleetFacts(
    provider,
    location,
    [{ annotations, instances }],
    options,
    now,
  );
}

/**
 * {@link readInstanceFacts} for the fleets of several entities of one account
 * and region at once: Systems Manager is asked once for all their instances,
 * each log group is listed once whatever the entities shipping there, and
 * the sessions once. Each entity's instances are its own objects (an
 * instance two entities own gets the log fact of each one's group).
 *
 * @internal
 */
export async function readFleetFacts(
  provider: FleetProvider,
  location: { region: string; account?: string },
  fleets: {
    annotations: ImmutableInfraAnnotations;
    instances: FleetInstance[];
  }[],
  options: InstanceFactsOptions,
  now: number = Date.now(),
): Promise<void> {
  const all = fleets.flatMap(f => f.instances);
  if (all.length === 0) {
    return;
  }
  const instanceIds = [...new Set(all.map(i => i.instanceId))];

  if (options.requireSystemsManager) {
    let fact: (id: string) => FleetInstance['systemsManager'];
    if (!provider.listManagedInstances) {
      fact = () => CANNOT('Systems Manager');
    } else {
      try {
        const managed = await provider.listManagedInstances({
          ...location,
          instanceIds,
        });
        fact = id => ({ status: managed.has(id) ? 'managed' : 'unmanaged' });
      } catch (error) {
        const failed = unknown(error);
        fact = () => failed;
      }
    }
    for (const instance of all) {
      instance.systemsManager = fact(instance.instanceId);
    }
  }

  // Each group once, for every entity that ships there.
  const groups = new Map<
    string,
    Promise<(id: string) => FleetInstance['logs']>
  >();
  const logFact = (group: string) => {
    let read = groups.get(group);
    if (!read) {
      read = readLogFact(provider, location, group, options, now);
      groups.set(group, read);
    }
    return read;
  };
  for (const { annotations, instances } of fleets) {
    const group = cloudWatchLogGroup(annotations.logDestination);
    if (!group || instances.length === 0) {
      continue;
    }
    const fact = await logFact(group);
    for (const instance of instances) {
      instance.logs = fact(instance.instanceId);
    }
  }

  if (!options.sessionHistory) {
    return;
  }
  let session: (id: string) => FleetInstance['session'];
  if (!provider.listSessions) {
    session = () => CANNOT('Systems Manager sessions');
  } else {
    try {
      const ids = new Set(instanceIds);
      const latest = new Map<string, FleetInstance['session']>();
      for (const s of await provider.listSessions(location)) {
        if (!ids.has(s.target)) {
          continue;
        }
        const known = latest.get(s.target);
        const knownAt = known?.status === 'read' ? known.startedAt ?? '' : '';
        if (!known || (s.startedAt ?? '') > knownAt) {
          latest.set(s.target, {
            status: 'read',
            id: s.id,
            owner: s.owner,
            startedAt: s.startedAt,
          });
        }
      }
      session = id => latest.get(id) ?? { status: 'read' };
    } catch (error) {
      const failed = unknown(error);
      session = () => failed;
    }
  }
  for (const instance of all) {
    instance.session = session(instance.instanceId);
  }
}

/** The log fact of each instance shipping to one CloudWatch Logs group. */
async function readLogFact(
  provider: FleetProvider,
  location: { region: string; account?: string },
  group: string,
  options: InstanceFactsOptions,
  now: number,
): Promise<(id: string) => FleetInstance['logs']> {
  if (!provider.lastLogEvents) {
    return () => ({ group, ...CANNOT('CloudWatch Logs') });
  }
  try {
    const newest = await provider.lastLogEvents({
      ...location,
      group,
      since: now - (options.logWindowMs ?? DEFAULT_LOG_WINDOW_MS),
    });
    return id => {
      const last = newest.get(id);
      return last === undefined
        ? { group, status: 'read' }
        : {
            group,
            status: 'read',
            lastEventAt: new Date(last).toISOString(),
          };
    };
  } catch (error) {
    const failed = unknown(error);
    return () => ({ group, ...failed });
  }
}
