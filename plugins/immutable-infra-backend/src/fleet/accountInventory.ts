import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { ImmutableInfraAnnotations } from '@immutable-infra/backstage-plugin-common';
import { InventoryUpdate } from './FleetStore';
import { syncableAnnotations } from './entityInventory';
import {
  AutoScalingGroupDescription,
  FleetInstance,
  FleetProvider,
  LaunchTemplateDefault,
} from '../providers/FleetProvider';
import { InstanceFactsOptions, readFleetFacts } from './instanceFacts';

// The full sync's inventory by account and region: the enrolled entities
// grouped by the accounts and regions they look in, each account and region
// listed once and its instances partitioned to the entities by their
// selectors.

/** An enrolled entity as the full sync places it. */
export type FleetMember = {
  index: number;
  ref: string;
  annotations: ImmutableInfraAnnotations;
  account?: string;
  regions: string[];
};

/** An account and region, listed once for every entity that looks there. */
export type AccountRegion = {
  account?: string;
  region: string;
  members: FleetMember[];
};

/** What one account and region holds of an entity. */
export type InventoryPart = Omit<InventoryUpdate, 'entityRef'>;

/** An entity's inventory while its regions answer. */
export type PendingInventory = {
  remaining: number;
  update: InventoryUpdate;
  errors: string[];
};

export function errorMessage(error: unknown): string {
  return (error as Error)?.message ?? String(error);
}

/** An enrolled entity's place in the sync; throws when it cannot be synced. */
export function fleetMember(
  index: number,
  entity: Entity,
  defaultRegions: string[],
): FleetMember {
  const annotations = syncableAnnotations(entity);
  return {
    index,
    ref: stringifyEntityRef(entity),
    annotations,
    account: annotations.awsAccountId,
    regions: [...new Set(annotations.regions ?? defaultRegions)],
  };
}

/**
 * The entities' accounts and regions, each listed once with the entities
 * that look there, and each entity's inventory waiting for its regions. An
 * entity that cannot be synced (malformed annotations, not enrolled) goes to
 * `onFailed`; one that looks in no region, its inventory already complete,
 * to `onComplete`; both in the entities' order.
 */
export function groupByAccountRegion(
  entities: Entity[],
  defaultRegions: string[],
  on: {
    onFailed: (index: number, ref: string, error: unknown) => void;
    onComplete: (index: number, update: InventoryUpdate) => void;
  },
): { groups: AccountRegion[]; pending: Map<number, PendingInventory> } {
  const regions = new Map<string, AccountRegion>();
  const pending = new Map<number, PendingInventory>();
  for (const [index, entity] of entities.entries()) {
    const ref = stringifyEntityRef(entity);
    let member: FleetMember;
    try {
      member = fleetMember(index, entity, defaultRegions);
    } catch (error) {
      on.onFailed(index, ref, error);
      continue;
    }
    pending.set(index, {
      remaining: member.regions.length,
      update: {
        entityRef: ref,
        instances: [],
        launchTemplates: [],
        autoscalingGroups: [],
      },
      errors: [],
    });
    for (const region of member.regions) {
      const key = `${member.account ?? ''}/${region}`;
      let group = regions.get(key);
      if (!group) {
        group = { account: member.account, region, members: [] };
        regions.set(key, group);
      }
      group.members.push(member);
    }
    if (member.regions.length === 0) {
      on.onComplete(index, pending.get(index)!.update);
      pending.delete(index);
    }
  }
  return { groups: [...regions.values()], pending };
}

/**
 * Adds what one account and region holds of an entity (or why it could not
 * be read) to its pending inventory; true once every region has answered.
 */
export function addInventoryPart(
  entry: PendingInventory,
  part: InventoryPart | Error,
): boolean {
  if (part instanceof Error) {
    entry.errors.push(part.message);
  } else {
    entry.update.instances.push(...part.instances);
    entry.update.launchTemplates.push(...part.launchTemplates);
    entry.update.autoscalingGroups.push(...part.autoscalingGroups);
  }
  entry.remaining -= 1;
  return entry.remaining === 0;
}

/**
 * What one account and region holds for each of its entities, or why it
 * could not be read. Nothing here throws: a failed listing (no
 * credentials for the account, EC2 refusing or throttling past retries)
 * is every member's error; a failed template or group lookup is the error
 * of the members that name one.
 */
export async function readAccountRegion(
  group: AccountRegion,
  provider: FleetProvider,
  options: {
    environmentTag: string;
    facts?: InstanceFactsOptions;
    /** Abandons the listing; then this rejects instead of failing members. */
    signal?: AbortSignal;
  },
): Promise<Map<number, InventoryPart | Error>> {
  const { region, account, members } = group;
  const where = `${region}${account ? ` of account ${account}` : ''}`;
  const out = new Map<number, InventoryPart | Error>();
  const failAll = (error: unknown) => {
    const failure = new Error(`${where}: ${errorMessage(error)}`);
    for (const member of members) {
      out.set(member.index, failure);
    }
    return out;
  };

  let listed: FleetInstance[];
  try {
    listed = await provider.listAccountInstances!({
      region,
      account,
      tagKeys: [
        ...new Set(
          members.flatMap(m => m.annotations.fleetSelector.map(p => p.key)),
        ),
      ],
      signal: options.signal,
    });
  } catch (error) {
    if (options.signal?.aborted) {
      throw error;
    }
    return failAll(error);
  }

  // Instances by each tag they carry of the selectors' keys, so that a
  // member's candidates are those of its selector's first tag.
  const keys = new Set(
    members.flatMap(m => m.annotations.fleetSelector.map(p => p.key)),
  );
  const byTag = new Map<string, FleetInstance[]>();
  for (const instance of listed) {
    for (const key of keys) {
      const value = instance.tags[key];
      if (value === undefined) {
        continue;
      }
      const tag = `${key}\u0000${value}`;
      const list = byTag.get(tag);
      if (list) {
        list.push(instance);
      } else {
        byTag.set(tag, [instance]);
      }
    }
  }
  const owners = new Map<string, string[]>();
  const fleets = members.map(member => {
    const [first, ...rest] = member.annotations.fleetSelector;
    const matched = first
      ? (byTag.get(`${first.key}\u0000${first.value}`) ?? []).filter(i =>
          rest.every(({ key, value }) => i.tags[key] === value),
        )
      : [];
    for (const instance of matched) {
      owners.set(instance.instanceId, [
        ...(owners.get(instance.instanceId) ?? []),
        member.ref,
      ]);
    }
    // Each entity's own copy: facts and findings are the entity's.
    return {
      member,
      annotations: member.annotations,
      instances: matched.map((i): FleetInstance & { environment?: string } => ({
        ...i,
        environment: i.tags[options.environmentTag] || undefined,
      })),
    };
  });
  for (const fleet of fleets) {
    for (const instance of fleet.instances) {
      const others = owners
        .get(instance.instanceId)!
        .filter(ref => ref !== fleet.member.ref);
      if (others.length > 0) {
        (instance as InventoryUpdate['instances'][number]).ownedAlsoBy =
          others.sort();
      }
    }
  }

  await readFleetFacts(
    provider,
    { region, account },
    fleets,
    options.facts ?? {},
  );

  // Launch templates: the region's default versions, matched by name or id.
  const templateNames = [
    ...new Set(
      members
        .map(m => m.annotations.launchTemplate)
        .filter((t): t is string => Boolean(t)),
    ),
  ];
  let templates: LaunchTemplateDefault[] | Error = [];
  try {
    if (templateNames.length > 0) {
      templates = provider.getLaunchTemplateDefaults
        ? await provider.getLaunchTemplateDefaults({
            region,
            account,
            launchTemplates: templateNames,
          })
        : (
            await Promise.all(
              templateNames.map(launchTemplate =>
                provider.getLaunchTemplateDefault({
                  region,
                  account,
                  launchTemplate,
                }),
              ),
            )
          ).filter((t): t is LaunchTemplateDefault => Boolean(t));
    }
  } catch (error) {
    templates = new Error(`${where}: ${errorMessage(error)}`);
  }

  // Auto Scaling groups: every name the members annotate, in batches.
  const groupNames = [
    ...new Set(
      members.flatMap(m =>
        Object.values(m.annotations.autoscalingGroups ?? {}),
      ),
    ),
  ];
  let described: AutoScalingGroupDescription[] | Error = [];
  try {
    if (groupNames.length > 0) {
      described = await provider.describeAutoScalingGroups({
        region,
        account,
        names: groupNames,
      });
    }
  } catch (error) {
    described = new Error(`${where}: ${errorMessage(error)}`);
  }

  for (const { member, instances } of fleets) {
    const { launchTemplate, autoscalingGroups } = member.annotations;
    if (launchTemplate && templates instanceof Error) {
      out.set(member.index, templates);
      continue;
    }
    const named = Object.entries(autoscalingGroups ?? {});
    if (named.length > 0 && described instanceof Error) {
      out.set(member.index, described);
      continue;
    }
    const template =
      launchTemplate && !(templates instanceof Error)
        ? templates.find(
            t => t.name === launchTemplate || t.id === launchTemplate,
          )
        : undefined;
    out.set(member.index, {
      instances,
      launchTemplates: template ? [template] : [],
      autoscalingGroups: named.map(([environment, name]) => ({
        environment,
        name,
        region,
        group: (described as AutoScalingGroupDescription[]).find(
          g => g.name === name,
        ),
      })),
    });
  }
  return out;
}
