import { ImmutableInfraAnnotations } from '@immutable-infra/backstage-plugin-common';
import { cloudWatchLogGroup } from '../drift/logDestination';
import { DEFAULT_LOG_WINDOW_MS } from '../drift/rules/DriftRuleDefinition';
import {
  FactUnknown,
  FleetInstance,
  FleetProvider,
  InteractiveSession,
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

  let session: ((id: string) => FleetInstance['session']) | undefined;
  if (options.sessionHistory) {
    if (!provider.listSessions) {
      session = () => CANNOT('Systems Manager sessions');
    } else {
      try {
        session = latestSessions(
          await provider.listSessions(location),
          new Set(instanceIds),
        );
      } catch (error) {
        const failed = unknown(error);
        session = () => failed;
      }
    }
  }
  for (const instance of all) {
    instance.session = session?.(instance.instanceId);
  }

  // sshd's logins in the shipped logs: each group once, from the launch of
  // the oldest instance shipping there.
  const logins = new Map<
    string,
    Promise<(id: string) => FleetInstance['session']>
  >();
  for (const { annotations, instances } of fleets) {
    const group = cloudWatchLogGroup(annotations.logDestination);
    if (!group || instances.length === 0) {
      continue;
    }
    let read = logins.get(group);
    if (!read) {
      const shipping = fleets
        .filter(f => cloudWatchLogGroup(f.annotations.logDestination) === group)
        .flatMap(f => f.instances);
      read = readLoginFact(provider, location, group, shipping, now);
      logins.set(group, read);
    }
    const fact = await read;
    for (const instance of instances) {
      instance.session = latest(instance.session, fact(instance.instanceId));
    }
  }
}

/** The latest session of each instance among `ids`, `read` without one. */
function latestSessions(
  sessions: InteractiveSession[],
  ids: Set<string>,
): (id: string) => FleetInstance['session'] {
  const found = new Map<string, FleetInstance['session']>();
  for (const s of sessions) {
    if (!ids.has(s.target)) {
      continue;
    }
    found.set(
      s.target,
      latest(found.get(s.target), {
        status: 'read',
        id: s.id,
        owner: s.owner,
        startedAt: s.startedAt,
      }),
    );
  }
  return id => found.get(id) ?? { status: 'read' };
}

/**
 * Two session facts of one instance as one: unknown when either could not
 * be read (a session may hide there), else the later session.
 */
function latest(
  a: FleetInstance['session'],
  b: FleetInstance['session'],
): FleetInstance['session'] {
  if (!a || !b) {
    return a ?? b;
  }
  if (a.status === 'unknown' || b.status === 'unknown') {
    return a.status === 'unknown' ? a : b;
  }
  if (!a.startedAt || !b.startedAt) {
    return a.startedAt ? a : b;
  }
  return b.startedAt > a.startedAt ? b : a;
}

/** The oldest a login may be looked for: 90 days. */
const LOGINS_LOOKBACK_MS = 90 * 86_400_000;

/** The sshd logins of each instance shipping to one CloudWatch Logs group. */
async function readLoginFact(
  provider: FleetProvider,
  location: { region: string; account?: string },
  group: string,
  instances: FleetInstance[],
  now: number,
): Promise<(id: string) => FleetInstance['session']> {
  if (!provider.listLogins) {
    return () => CANNOT(`sshd logins in ${group}`);
  }
  const oldest = instances.reduce(
    (min, i) => Math.min(min, i.launchTime?.getTime() ?? Infinity),
    Infinity,
  );
  const since = Math.max(
    now - LOGINS_LOOKBACK_MS,
    Number.isFinite(oldest) ? oldest : 0,
  );
  try {
    return latestSessions(
      await provider.listLogins({ ...location, group, since }),
      new Set(instances.map(i => i.instanceId)),
    );
  } catch (error) {
    const failed = unknown(error);
    return () => ({
      ...failed,
      error: `sshd logins in ${group}: ${failed.error}`,
    });
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
