import { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ImmutableInfraAnnotations,
  parseImmutableInfraAnnotations,
} from '@immutable-infra/backstage-plugin-common';
import { AutoScalingGroupRecord } from '../drift/types';
import { FleetStore, InventoryUpdate } from './FleetStore';
import {
  AutoScalingGroupDescription,
  FleetInstance,
  FleetProvider,
  LaunchTemplateDefault,
} from '../providers/FleetProvider';
import { listEnrolledEntities } from '../catalog/EntityRefresh';
import { EntitySnapshotStore } from '../catalog/EntitySnapshotStore';
import {
  InstanceFactsOptions,
  readFleetFacts,
  readInstanceFacts,
} from './instanceFacts';

/** Entities a sync has in flight unless told otherwise. @internal */
export const FLEET_SYNC_CONCURRENCY = 4;

/**
 * Instances written in one transaction once that many wait; twice as many
 * waiting hold the AWS calls back.
 */
const WRITE_BATCH_INSTANCES = 2_000;

/** How long an inventory waits for others to share its transaction. */
const WRITE_LINGER_MS = 1_000;

/**
 * What triggered a sync: the periodic poll (the default), or an event that
 * said something changed.
 *
 * @internal
 */
export type SyncTrigger = 'poll' | 'event';

/**
 * Share of the scheduler task's timeout a periodic sync may spend starting
 * accounts and regions; the rest lets those in flight finish, their
 * inventories be written and the task's other work run before the
 * scheduler gives up on it.
 *
 * @internal
 */
export const FLEET_SYNC_BUDGET_SHARE = 0.8;

/**
 * The time a periodic sync may spend starting accounts and regions, from
 * the fleet sync task's timeout (`immutableInfra.schedule.timeout`).
 *
 * @internal
 */
export function fleetSyncBudgetMs(timeoutMs: number): number {
  return Math.floor(timeoutMs * FLEET_SYNC_BUDGET_SHARE);
}

/** What a sync with a time budget did and left for the next run. @internal */
export type FleetSyncRun = {
  results: EntitySyncResult[];
  /**
   * Entities not synced because the budget ran out before one of their
   * accounts and regions was reached: their last inventories stay as they
   * were, and the next run starts with them.
   */
  deferred: string[];
};

/** Outcome of syncing one entity. @internal */
export type EntitySyncResult = {
  entityRef: string;
  status: 'ok' | 'failed';
  instances: number;
  error?: string;
};

/** An enrolled entity as the full sync places it. */
type FleetMember = {
  index: number;
  ref: string;
  annotations: ImmutableInfraAnnotations;
  account?: string;
  regions: string[];
};

/** An account and region, listed once for every entity that looks there. */
type AccountRegion = {
  account?: string;
  region: string;
  members: FleetMember[];
};

/** What one account and region holds of an entity. */
type InventoryPart = Omit<InventoryUpdate, 'entityRef'>;

/** An entity's inventory while its regions answer. */
type PendingInventory = {
  remaining: number;
  update: InventoryUpdate;
  errors: string[];
};

function errorMessage(error: unknown): string {
  return (error as Error)?.message ?? String(error);
}

/**
 * Writes inventories in groups, one transaction each: a commit (which on
 * SQLite waits for the disk, with the process blocked) is then paid once for
 * many entities, and rows go in multi-row inserts. A group is written when
 * {@link WRITE_BATCH_INSTANCES} instances wait, when the first of them has
 * waited {@link WRITE_LINGER_MS}, or when the sync has nothing more to
 * fetch; one group at a time.
 */
class InventoryWriter {
  private pending: {
    update: InventoryUpdate;
    settle: (error?: unknown) => void;
  }[] = [];
  private pendingInstances = 0;
  private writing: Promise<void> | undefined;
  private linger: ReturnType<typeof setTimeout> | undefined;
  private draining = false;

  constructor(private readonly fleet: FleetStore) {}

  /** Resolves once the update is committed, rejects with its own error. */
  write(update: InventoryUpdate): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({
        update,
        settle: error => (error === undefined ? resolve() : reject(error)),
      });
      this.pendingInstances += update.instances.length;
      this.schedule();
    });
  }

  /** Waits while too many instances wait for their write. */
  async room(): Promise<void> {
    while (this.pendingInstances >= 2 * WRITE_BATCH_INSTANCES) {
      await this.writing;
    }
  }

  /** Writes whatever waits, without lingering. */
  async drain(): Promise<void> {
    this.draining = true;
    this.schedule();
    while (this.writing) {
      await this.writing;
    }
  }

  private schedule() {
    if (this.writing || this.pending.length === 0) {
      return;
    }
    if (this.draining || this.pendingInstances >= WRITE_BATCH_INSTANCES) {
      clearTimeout(this.linger);
      this.linger = undefined;
      this.writeGroup();
    } else if (!this.linger) {
      this.linger = setTimeout(() => {
        this.linger = undefined;
        if (!this.writing) {
          this.writeGroup();
        }
      }, WRITE_LINGER_MS);
    }
  }

  private writeGroup() {
    let instances = 0;
    let count = 0;
    while (
      count < this.pending.length &&
      (count === 0 ||
        instances + this.pending[count].update.instances.length <=
          WRITE_BATCH_INSTANCES)
    ) {
      instances += this.pending[count].update.instances.length;
      count += 1;
    }
    const group = this.pending.slice(0, count);
    this.pending = this.pending.slice(count);
    this.writing = this.commit(group).finally(() => {
      this.pendingInstances -= instances;
      this.writing = undefined;
      this.schedule();
    });
  }

  private async commit(group: typeof this.pending) {
    try {
      await this.fleet.replaceInventories(group.map(g => g.update));
      group.forEach(g => g.settle());
    } catch (error) {
      if (group.length === 1) {
        group[0].settle(error ?? new Error('write failed'));
        return;
      }
      // Nothing of the group was written: each entity alone, so that one
      // entity's failure is its own.
      for (const g of group) {
        try {
          await this.fleet.replaceInventories([g.update]);
          g.settle();
        } catch (own) {
          g.settle(own ?? new Error('write failed'));
        }
      }
    }
  }
}

/**
 * Finds every enrolled entity in the catalog and replaces its inventory with
 * what EC2 reports. A failure for one entity records it (the entity's last
 * good inventory stays, marked stale) and the others go on.
 *
 * @internal
 */
export class FleetSync {
  constructor(
    private readonly options: {
      catalog: CatalogService;
      auth: AuthService;
      fleet: FleetStore;
      /** Takes the enrolled entities each sync reads. */
      snapshots: EntitySnapshotStore;
      /** A provider per run, so its caches last one sync. */
      providerFactory: () => FleetProvider;
      logger: LoggerService;
      regions: string[];
      environmentTag: string;
      /** The facts beyond EC2 the drift rules ask for; none unless told. */
      facts?: InstanceFactsOptions;
      /** Entities synced at once; defaults to {@link FLEET_SYNC_CONCURRENCY}. */
      concurrency?: number;
      /** The clock a time budget is read from; a fake in tests. */
      now?: () => number;
      /**
       * Runs after each good sync of an entity, once its inventory is
       * written (the drift lifetimes); its failure is logged, the sync
       * stays good.
       */
      afterSync?: (sync: {
        entityRef: string;
        trigger: SyncTrigger;
      }) => Promise<unknown>;
    },
  ) {}

  /**
   * Syncs every enrolled entity, or the one named. A full sync lists each
   * account and region once and partitions its instances by the entities'
   * selectors; the one named is asked for with its own selector alone.
   */
  async run(
    entityRef?: string,
    options: { trigger?: SyncTrigger } = {},
  ): Promise<EntitySyncResult[]> {
    return (await this.sync(entityRef, options)).results;
  }

  /**
   * A full sync that starts no account and region once `budgetMs` has
   * passed (the periodic task, bounded by the scheduler's timeout). The
   * accounts and regions least recently attempted go first, so those a run
   * could not reach open the next one; an entity whose account and region
   * was not reached is left as it was (its last inventory stays, and turns
   * stale only as any inventory does, past two periods).
   */
  async runWithin(budgetMs: number): Promise<FleetSyncRun> {
    return this.sync(undefined, { budgetMs });
  }

  private async sync(
    entityRef: string | undefined,
    options: { trigger?: SyncTrigger; budgetMs?: number },
  ): Promise<FleetSyncRun> {
    const now = this.options.now ?? Date.now;
    const deadline =
      options.budgetMs === undefined ? undefined : now() + options.budgetMs;
    const trigger = options.trigger ?? 'poll';
    const credentials = await this.options.auth.getOwnServiceCredentials();
    let entities: Entity[];
    if (entityRef) {
      const entity = await this.options.catalog.getEntityByRef(entityRef, {
        credentials,
      });
      entities = entity ? [entity] : [];
      if (
        entity &&
        parseImmutableInfraAnnotations(entity).annotations.imageFamily
      ) {
        await this.options.snapshots.putSnapshot(entity);
      }
    } else {
      entities = await listEnrolledEntities(this.options.catalog, credentials);
      await this.options.snapshots.replaceSnapshots(entities);
    }
    const provider = this.options.providerFactory();
    const writer = new InventoryWriter(this.options.fleet);
    const outcome =
      entityRef || !provider.listAccountInstances
        ? await this.syncEach(entities, provider, writer, trigger, deadline)
        : await this.syncByAccount(
            entities,
            provider,
            writer,
            trigger,
            deadline,
          );
    const results = outcome.results;
    const failed = results.filter(r => r.status === 'failed');
    this.options.logger.info(
      `Fleet sync: ${results.length - failed.length} entities synced, ${
        failed.length
      } failed${
        failed.length ? ` (${failed.map(f => f.entityRef).join(', ')})` : ''
      }${
        outcome.deferred.length
          ? `, ${
              outcome.deferred.length
            } left for the next run (its time budget of ${Math.round(
              options.budgetMs! / 1000,
            )} s ran out; they go first then)`
          : ''
      }`,
    );
    return outcome;
  }

  /**
   * When each entity was last attempted, 0 for those never synced (they go
   * first), or nothing when the store cannot tell.
   */
  private async lastAttempts(refs: string[]): Promise<Map<string, number>> {
    if (!this.options.fleet.lastSyncAttempts) {
      return new Map();
    }
    return this.options.fleet.lastSyncAttempts(refs);
  }

  /**
   * Writes a good inventory (grouped with others by the writer) and runs
   * what follows a good sync; the outcome settles once written.
   */
  private written(
    writer: InventoryWriter,
    update: InventoryUpdate,
    trigger: SyncTrigger,
  ): Promise<EntitySyncResult> {
    const outcome = writer.write(update).then(
      async () => {
        await this.afterSync(update.entityRef, trigger);
        return {
          entityRef: update.entityRef,
          status: 'ok' as const,
          instances: update.instances.length,
        };
      },
      error => this.failed(update.entityRef, error),
    );
    // Rejected only if the failure cannot be recorded: that is thrown once
    // every write has ended.
    outcome.catch(() => {});
    return outcome;
  }

  /**
   * Entity by entity, each asked for with its own selector: the targeted
   * resync, and a provider that cannot list an account's inventory.
   */
  private async syncEach(
    input: Entity[],
    provider: FleetProvider,
    writer: InventoryWriter,
    trigger: SyncTrigger,
    deadline?: number,
  ): Promise<FleetSyncRun> {
    const now = this.options.now ?? Date.now;
    let entities = input;
    if (deadline !== undefined) {
      // The least recently attempted first.
      const attempts = await this.lastAttempts(
        entities.map(e => stringifyEntityRef(e)),
      );
      const at = (e: Entity) => attempts.get(stringifyEntityRef(e)) ?? 0;
      entities = [...entities].sort((a, b) => at(a) - at(b));
    }
    // A few entities at a time in AWS; their writes are grouped meanwhile.
    // Memory stays bounded by the entities in flight and the instances
    // waiting for their write.
    const outcomes: Promise<EntitySyncResult>[] = new Array(entities.length);
    const deferred: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < entities.length) {
        if (deadline !== undefined && now() >= deadline) {
          deferred.push(
            ...entities.slice(next).map(e => stringifyEntityRef(e)),
          );
          next = entities.length;
          break;
        }
        const index = next++;
        const ref = stringifyEntityRef(entities[index]);
        let update: InventoryUpdate;
        try {
          update = await this.fetchInventory(entities[index], provider);
          await this.markOwnedTwice(update);
        } catch (error) {
          outcomes[index] = this.failed(ref, error);
          await outcomes[index];
          continue;
        }
        // The write goes on without this worker, which takes the next
        // entity as soon as there is room.
        outcomes[index] = this.written(writer, update, trigger);
        await writer.room();
      }
    };
    await Promise.all(
      Array.from(
        {
          length: Math.min(
            this.options.concurrency ?? FLEET_SYNC_CONCURRENCY,
            entities.length,
          ),
        },
        worker,
      ),
    );
    await writer.drain();
    return {
      results: await Promise.all(outcomes.filter(Boolean)),
      deferred,
    };
  }

  /**
   * A targeted resync sees one entity's instances only: an instance another
   * entity's last inventory also holds stays marked owned twice, as the
   * full sync found it.
   */
  private async markOwnedTwice(update: InventoryUpdate) {
    if (!this.options.fleet.findOwners || update.instances.length === 0) {
      return;
    }
    const owners = await this.options.fleet.findOwners(
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

  /**
   * Every account and region listed once, groups of them at a time: the
   * instances carrying any of the entities' selector keys, then their
   * security groups, launch templates and Auto Scaling groups in batches,
   * then the facts beyond EC2. Instances are assigned to entities by their
   * selectors here. An entity is written once each of its regions has
   * answered; a region that could not be listed fails the entities that
   * look there (their last good inventories stay), the others go on.
   *
   * With a deadline, the accounts and regions whose entities were least
   * recently attempted go first, and none is started past the deadline:
   * the entities of one not reached are deferred, neither written nor
   * failed, and open the next run.
   */
  private async syncByAccount(
    entities: Entity[],
    provider: FleetProvider,
    writer: InventoryWriter,
    trigger: SyncTrigger,
    deadline?: number,
  ): Promise<FleetSyncRun> {
    const now = this.options.now ?? Date.now;
    const outcomes: Promise<EntitySyncResult>[] = new Array(entities.length);
    const regions = new Map<string, AccountRegion>();
    const pending = new Map<number, PendingInventory>();
    for (const [index, entity] of entities.entries()) {
      const ref = stringifyEntityRef(entity);
      let member: FleetMember;
      try {
        member = this.member(index, entity);
      } catch (error) {
        outcomes[index] = this.failed(ref, error);
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
        outcomes[index] = this.written(
          writer,
          pending.get(index)!.update,
          trigger,
        );
        pending.delete(index);
      }
    }

    let groups = [...regions.values()];
    if (deadline !== undefined) {
      const attempts = await this.lastAttempts(
        [...pending.values()].map(p => p.update.entityRef),
      );
      const oldest = new Map(
        groups.map(group => [
          group,
          group.members.reduce(
            (least, m) => Math.min(least, attempts.get(m.ref) ?? 0),
            Infinity,
          ),
        ]),
      );
      groups = groups.sort((a, b) => oldest.get(a)! - oldest.get(b)!);
    }
    let next = 0;
    const worker = async () => {
      while (next < groups.length) {
        if (deadline !== undefined && now() >= deadline) {
          next = groups.length;
          break;
        }
        const group = groups[next++];
        let found: Map<number, InventoryPart | Error>;
        try {
          found = await this.readAccountRegion(group, provider);
        } catch (error) {
          const failure = new Error(errorMessage(error));
          found = new Map(group.members.map(m => [m.index, failure]));
        }
        for (const member of group.members) {
          const entry = pending.get(member.index)!;
          const part = found.get(member.index)!;
          if (part instanceof Error) {
            entry.errors.push(part.message);
          } else {
            entry.update.instances.push(...part.instances);
            entry.update.launchTemplates.push(...part.launchTemplates);
            entry.update.autoscalingGroups.push(...part.autoscalingGroups);
          }
          entry.remaining -= 1;
          if (entry.remaining > 0) {
            continue;
          }
          pending.delete(member.index);
          outcomes[member.index] =
            entry.errors.length > 0
              ? this.failed(entry.update.entityRef, entry.errors.join('; '))
              : this.written(writer, entry.update, trigger);
        }
        await writer.room();
      }
    };
    await Promise.all(
      Array.from(
        {
          length: Math.min(
            this.options.concurrency ?? FLEET_SYNC_CONCURRENCY,
            groups.length,
          ),
        },
        worker,
      ),
    );
    await writer.drain();
    // What is still pending waits for an account and region not reached.
    const deferred = [...pending.values()].map(p => p.update.entityRef);
    return {
      results: await Promise.all(outcomes.filter(Boolean)),
      deferred,
    };
  }

  /** An enrolled entity's place in the sync; throws when it cannot be synced. */
  private member(index: number, entity: Entity): FleetMember {
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
    return {
      index,
      ref: stringifyEntityRef(entity),
      annotations,
      account: annotations.awsAccountId,
      regions: [...new Set(annotations.regions ?? this.options.regions)],
    };
  }

  /**
   * What one account and region holds for each of its entities, or why it
   * could not be read. Nothing here throws: a failed listing (no
   * credentials for the account, EC2 refusing or throttling past retries)
   * is every member's error; a failed template or group lookup is the error
   * of the members that name one.
   */
  private async readAccountRegion(
    group: AccountRegion,
    provider: FleetProvider,
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
      });
    } catch (error) {
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
        instances: matched.map(
          (i): FleetInstance & { environment?: string } => ({
            ...i,
            environment: i.tags[this.options.environmentTag] || undefined,
          }),
        ),
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
      this.options.facts ?? {},
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

  /** What EC2 says of an entity's fleet now; throws when it cannot tell. */
  private async fetchInventory(
    entity: Entity,
    provider: FleetProvider,
  ): Promise<InventoryUpdate> {
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
    const regions = annotations.regions ?? this.options.regions;
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
        this.options.facts ?? {},
      );
      for (const instance of found) {
        instances.push({
          ...instance,
          environment: instance.tags[this.options.environmentTag] || undefined,
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

  private async afterSync(entityRef: string, trigger: SyncTrigger) {
    try {
      await this.options.afterSync?.({ entityRef, trigger });
    } catch (error) {
      this.options.logger.warn(
        `After the fleet sync of ${entityRef}: ${
          (error as Error)?.message ?? String(error)
        }`,
      );
    }
  }

  /** Records a failed sync; the entity's last good inventory stays. */
  private async failed(
    entityRef: string,
    error: unknown,
  ): Promise<EntitySyncResult> {
    const message = (error as Error)?.message ?? String(error);
    this.options.logger.warn(`Fleet sync of ${entityRef} failed: ${message}`);
    await this.options.fleet.recordSyncFailure({ entityRef, error: message });
    return { entityRef, status: 'failed', instances: 0, error: message };
  }
}
