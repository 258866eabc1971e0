import { InputError, NotFoundError } from '@backstage/errors';
import {
  CreateInitiativeRequest,
  createInitiativeRequestSchema,
  immutableInfraInitiativeManagePermission,
  Initiative,
  InitiativeDetail,
  UpdateInitiativeRequest,
} from '@immutable-infra/backstage-plugin-common';
import { randomUUID } from 'node:crypto';
import { Caller, principalRef } from '../audit/principalRef';
import { EntityAccess } from '../catalog/EntityAccess';
import { descendantsOf } from './rollUp';
import { AdoptionService } from './AdoptionService';
import { dayOf } from './AdoptionSnapshotter';
import { AdoptionSnapshot, SnapshotFilter } from './types';
import {
  DatabaseInitiativeStore,
  InitiativeRecord,
  meetsGoal,
} from './InitiativeStore';

/** Components listed as behind in a detail, at most. */
const MAX_BEHIND = 500;

/**
 * Adoption initiatives: a platform lead's goal (a level, or a score check
 * passing) over a scope (owners, systems, production only) by a deadline.
 * Progress and the burn-up are computed from the daily snapshots, over the
 * components the caller may read.
 *
 * @internal
 */
export class InitiativeService {
  constructor(
    private readonly options: {
      store: DatabaseInitiativeStore;
      adoption: Pick<AdoptionService, 'readableRows' | 'groupTree'>;
      access: EntityAccess;
    },
  ) {}

  async list(credentials: Caller): Promise<Initiative[]> {
    const records = await this.options.store.list();
    return Promise.all(
      records.map(async record => {
        const { rows } = await this.scopeRows(record, credentials);
        return view(record, rows);
      }),
    );
  }

  async get(id: string, credentials: Caller): Promise<InitiativeDetail> {
    const record = await this.options.store.get(id);
    if (!record) {
      throw new NotFoundError(`No initiative ${id}`);
    }
    const { day, rows, filter } = await this.scopeRows(record, credentials);
    const to = day && day < record.deadline ? day : record.deadline;
    const burnUp =
      day && record.startsOn <= to
        ? await this.options.store.burnUp({
            goal: record.goal,
            from: record.startsOn,
            to,
            filter: { ...filter, entityRefs: rows.map(r => r.entityRef) },
          })
        : [];
    const owners = new Map<string, { done: number; total: number }>();
    for (const row of rows) {
      const owner = row.owner ?? '(none)';
      const entry = owners.get(owner) ?? { done: 0, total: 0 };
      entry.total += 1;
      entry.done += meetsGoal(row, record.goal) ? 1 : 0;
      owners.set(owner, entry);
    }
    return {
      ...view(record, rows),
      burnUp,
      owners: [...owners.entries()]
        .map(([owner, counts]) => ({ owner, ...counts }))
        .sort((a, b) => (a.owner < b.owner ? -1 : 1)),
      behind: rows
        .filter(r => !meetsGoal(r, record.goal))
        .slice(0, MAX_BEHIND)
        .map(r => ({ entityRef: r.entityRef, owner: r.owner })),
    };
  }

  async create(
    request: CreateInitiativeRequest,
    credentials: Caller,
  ): Promise<Initiative> {
    await this.authorize(credentials);
    const body = createInitiativeRequestSchema.parse(request);
    const startsOn = body.startsOn ?? dayOf(Date.now());
    if (body.deadline <= startsOn) {
      throw new InputError(
        `Invalid request body: deadline ${body.deadline} must be after the start, ${startsOn}`,
      );
    }
    const actor = principalRef(credentials);
    const id = randomUUID();
    const record = await this.options.store.create(
      {
        id,
        title: body.title,
        description: body.description,
        goal: body.goal,
        scope: {
          owners: [...new Set(body.scope.owners)],
          systems: [...new Set(body.scope.systems)],
          productionOnly: body.scope.productionOnly,
        },
        startsOn,
        deadline: body.deadline,
        state: 'active',
        createdBy: actor,
        createdAt: new Date().toISOString(),
      },
      {
        actor,
        action: 'initiative.create',
        subject: id,
        payload: {
          title: body.title,
          goal: body.goal,
          deadline: body.deadline,
        },
      },
    );
    const { rows } = await this.scopeRows(record, credentials);
    return view(record, rows);
  }

  async update(
    id: string,
    change: UpdateInitiativeRequest,
    credentials: Caller,
  ): Promise<Initiative> {
    await this.authorize(credentials);
    const current = await this.options.store.get(id);
    if (!current) {
      throw new NotFoundError(`No initiative ${id}`);
    }
    if (current.state === 'closed') {
      throw new InputError(`Initiative ${id} is closed`);
    }
    const deadline = change.deadline ?? current.deadline;
    if (deadline <= current.startsOn) {
      throw new InputError(
        `Invalid request body: deadline ${deadline} must be after the start, ${current.startsOn}`,
      );
    }
    const record = await this.options.store.update(
      id,
      current.revision,
      change,
      {
        actor: principalRef(credentials),
        action:
          change.state === 'closed' ? 'initiative.close' : 'initiative.update',
        subject: id,
        payload: { ...change },
      },
    );
    const { rows } = await this.scopeRows(record, credentials);
    return view(record, rows);
  }

  /**
   * The last day's snapshots in the initiative's scope that the caller may
   * read, and the filter that selects them.
   */
  async scopeRows(
    record: InitiativeRecord,
    credentials: Caller,
  ): Promise<{
    day?: string;
    rows: AdoptionSnapshot[];
    filter: SnapshotFilter;
  }> {
    const { owners, systems, productionOnly } = record.scope;
    const tree = owners.length
      ? await this.options.adoption.groupTree(credentials)
      : new Map();
    const filter: SnapshotFilter = {
      entityRefs: 'all',
      lifecycles: productionOnly ? ['production'] : undefined,
      anyOf: { owners: [...descendantsOf(owners, tree)], systems },
    };
    const { day, rows } = await this.options.adoption.readableRows(
      filter,
      credentials,
    );
    return { day, rows, filter };
  }

  private async authorize(credentials: Caller) {
    if (credentials.principal.type === 'user') {
      await this.options.access.authorizeBasic({
        permission: immutableInfraInitiativeManagePermission,
        credentials,
        message: 'You may not manage adoption initiatives',
      });
    }
  }
}

/** An initiative with its progress over `rows`. */
function view(record: InitiativeRecord, rows: AdoptionSnapshot[]): Initiative {
  const { revision: _revision, ...rest } = record;
  return {
    ...rest,
    progress: {
      done: rows.filter(r => meetsGoal(r, record.goal)).length,
      total: rows.length,
    },
  };
}
