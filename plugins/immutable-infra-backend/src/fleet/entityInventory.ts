import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  ImmutableInfraAnnotations,
  parseImmutableInfraAnnotations,
} from '@immutable-infra/backstage-plugin-common';
import { AutoScalingGroupRecord } from '../drift/types';
import { FleetStore, InventoryUpdate } from './FleetStore';
import {
  FleetInstance,
  FleetProvider,
  LaunchTemplateDefault,
} from '../providers/FleetProvider';
import { InstanceFactsOptions, readInstanceFacts } from './instanceFacts';

// One entity's inventory asked for with its own selector: the targeted
// resync, and a provider that cannot list an account's inventory.

/**
 * The annotations of an entity a sync can take: enrolled, none malformed;
 * otherwise why not, as the entity's sync error.
 *
 * @internal
 */
export function syncableAnnotations(entity: Entity): ImmutableInfraAnnotations {
  const { annotations, errors } = parseImmutableInfraAnnotations(entity);
  if (errors.length > 0) {
    throw new Error(
      `malformed annotations: ${errors
        .map(e => `${e.annotation} ${e.message}`)
        .join('; ')}`,
    );
  }
  if (!annotations.imageFamily) {
    throw new Error('the entity is not enrolled');
  }
  return annotations;
}

/** What EC2 says of an entity's fleet now; throws when it cannot tell. */
export async function fetchEntityInventory(
  entity: Entity,
  provider: FleetProvider,
  options: {
    regions: string[];
    environmentTag: string;
    facts?: InstanceFactsOptions;
  },
): Promise<InventoryUpdate> {
  const annotations = syncableAnnotations(entity);
  const regions = annotations.regions ?? options.regions;
  const account = annotations.awsAccountId;
  const instances: (FleetInstance & { environment?: string })[] = [];
  const launchTemplates: LaunchTemplateDefault[] = [];
  const autoscalingGroups: AutoScalingGroupRecord[] = [];
  const groupNames = Object.entries(annotations.autoscalingGroups ?? {});
  for (const region of regions) {
    const found = await provider.listInstances({
      region,
      account,
      selector: annotations.fleetSelector,
    });
    await readInstanceFacts(
      provider,
      { region, account },
      annotations,
      found,
      options.facts ?? {},
    );
    for (const instance of found) {
      instances.push({
        ...instance,
        environment: instance.tags[options.environmentTag] || undefined,
      });
    }
    if (annotations.launchTemplate) {
      const template = await provider.getLaunchTemplateDefault({
        region,
        account,
        launchTemplate: annotations.launchTemplate,
      });
      if (template) {
        launchTemplates.push(template);
      }
    }
    if (groupNames.length > 0) {
      const groups = await provider.describeAutoScalingGroups({
        region,
        account,
        names: groupNames.map(([, name]) => name),
      });
      for (const [environment, name] of groupNames) {
        autoscalingGroups.push({
          environment,
          name,
          region,
          group: groups.find(g => g.name === name),
        });
      }
    }
  }
  return {
    entityRef: stringifyEntityRef(entity),
    instances,
    launchTemplates,
    autoscalingGroups,
  };
}

/**
 * A targeted resync sees one entity's instances only: an instance another
 * entity's last inventory also holds stays marked owned twice, as the
 * full sync found it.
 */
export async function markOwnedTwice(
  fleet: FleetStore,
  update: InventoryUpdate,
): Promise<void> {
  if (!fleet.findOwners || update.instances.length === 0) {
    return;
  }
  const owners = await fleet.findOwners(
    update.instances.map(i => i.instanceId),
  );
  for (const instance of update.instances) {
    const others = (owners.get(instance.instanceId) ?? []).filter(
      ref => ref !== update.entityRef,
    );
    if (others.length > 0) {
      instance.ownedAlsoBy = others.sort();
    }
  }
}
