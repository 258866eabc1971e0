import {
  Channel,
  ChannelAssignment,
  ImageVersion,
  LATEST_CHANNEL,
} from '@immutable-infra/backstage-plugin-common';
import { Knex } from 'knex';
import { writeTransaction, WriteOutcome } from '../audit/writeTransaction';
import {
  isPostgres,
  retryOnUniqueViolation,
  toIso,
} from '../database/timestamps';
import { hydrateVersions, latestOfFamilies } from './hydrate';
import {
  AssignmentRow,
  ChannelRow,
  FamilyRow,
  Page,
  parseCursor,
  USABLE_STATES,
  VersionRow,
  versionRef,
} from './rows';

/** @internal */
export type ChannelChange =
  | { outcome: 'changed' | 'unchanged'; channel: Channel }
  | { outcome: 'unusable'; version: ImageVersion }
  | { outcome: 'no-target'; message: string };

/**
 * Channels of each family (one per environment, plus the managed
 * `latest`) and their append-only assignment history.
 *
 * @internal
 */
export interface ChannelStore {
  listChannels(family: string): Promise<Channel[]>;

  assignChannel(options: {
    family: string;
    channel: string;
    version: number;
    actor: string;
    reason?: string;
  }): Promise<ChannelChange>;

  /**
   * Points a channel back at the version of an earlier assignment: the one
   * named, or the one before the current.
   */
  rollbackChannel(options: {
    family: string;
    channel: string;
    assignmentId?: string;
    actor: string;
    reason?: string;
  }): Promise<ChannelChange>;

  listAssignments(options: {
    family: string;
    channel?: string;
    cursor?: string;
    limit: number;
  }): Promise<Page<ChannelAssignment>>;
}

/**
 * Knex implementation of {@link ChannelStore}.
 *
 * @internal
 */
export class DatabaseChannelStore implements ChannelStore {
  static create(options: { knex: Knex }): DatabaseChannelStore {
    return new DatabaseChannelStore(options.knex);
  }

  private constructor(private readonly db: Knex) {}

  async listChannels(family: string): Promise<Channel[]> {
    const [rows, latest] = await Promise.all([
      this.db('channels')
        .join('image_versions', 'image_versions.id', 'channels.version_id')
        .where('channels.family', family)
        .orderBy('channels.name')
        .select(
          'channels.name',
          'channels.updated_at',
          'channels.updated_by',
          'image_versions.version',
        ),
      latestOfFamilies(this.db, [family]),
    ]);
    return [
      {
        name: LATEST_CHANNEL,
        managed: true,
        version: latest.get(family)?.id,
      },
      ...rows.map(row => ({
        name: row.name as string,
        managed: false,
        version: versionRef({ family, version: row.version }),
        updatedAt: toIso(row.updated_at),
        updatedBy: row.updated_by as string,
      })),
    ];
  }

  async assignChannel(options: {
    family: string;
    channel: string;
    version: number;
    actor: string;
    reason?: string;
  }): Promise<ChannelChange> {
    const target = await this.db<VersionRow>('image_versions')
      .where({ family: options.family, version: options.version })
      .first();
    if (!target) {
      return {
        outcome: 'no-target',
        message: `${options.family}@${options.version} is not registered`,
      };
    }
    return this.pointChannel({ ...options, target, kind: 'assign' });
  }

  async rollbackChannel(options: {
    family: string;
    channel: string;
    assignmentId?: string;
    actor: string;
    reason?: string;
  }): Promise<ChannelChange> {
    const history = this.db<AssignmentRow>('channel_assignments')
      .where({ family: options.family, channel: options.channel })
      .orderBy('id', 'desc');
    let assignment: AssignmentRow | undefined;
    if (options.assignmentId) {
      assignment = await history
        .clone()
        .where({ id: options.assignmentId })
        .first();
      if (!assignment) {
        return {
          outcome: 'no-target',
          message: `assignment ${options.assignmentId} is not in the history of channel ${options.channel} of ${options.family}`,
        };
      }
    } else {
      const [current, previous] = await history.clone().limit(2);
      if (!current) {
        return {
          outcome: 'no-target',
          message: `channel ${options.channel} of ${options.family} has never been assigned`,
        };
      }
      if (!previous) {
        return {
          outcome: 'no-target',
          message: `channel ${options.channel} of ${options.family} has no earlier assignment to roll back to`,
        };
      }
      assignment = previous;
    }
    const target = await this.db<VersionRow>('image_versions')
      .where({ id: assignment.to_version_id })
      .first();
    return this.pointChannel({
      family: options.family,
      channel: options.channel,
      actor: options.actor,
      reason: options.reason,
      target: target!,
      kind: 'rollback',
    });
  }

  private async pointChannel(options: {
    family: string;
    channel: string;
    target: VersionRow;
    actor: string;
    reason?: string;
    kind: 'assign' | 'rollback';
  }): Promise<ChannelChange> {
    const { target } = options;
    if (!USABLE_STATES.includes(target.state)) {
      return {
        outcome: 'unusable',
        version: (await hydrateVersions(this.db, [target]))[0],
      };
    }
    const outcome = await retryOnUniqueViolation(() =>
      writeTransaction(this.db, trx =>
        pointChannelIn(trx, {
          family: options.family,
          channel: options.channel,
          targetId: target.id,
          actor: options.actor,
          reason: options.reason,
          kind: options.kind,
        }),
      ),
    );
    if (outcome === 'unusable') {
      const [version] = await hydrateVersions(this.db, [
        (await this.db<VersionRow>('image_versions')
          .where({ id: target.id })
          .first())!,
      ]);
      return { outcome, version };
    }
    const channel = (await this.listChannels(options.family)).find(
      c => c.name === options.channel,
    )!;
    return { outcome, channel };
  }

  async listAssignments(options: {
    family: string;
    channel?: string;
    cursor?: string;
    limit: number;
  }): Promise<Page<ChannelAssignment>> {
    const before = parseCursor(options.cursor);
    const query = this.db<AssignmentRow>('channel_assignments')
      .where({ family: options.family })
      .orderBy('id', 'desc')
      .limit(options.limit + 1);
    if (options.channel) {
      query.where({ channel: options.channel });
    }
    if (before !== undefined) {
      query.where('id', '<', before);
    }
    const rows = await query;
    const page = rows.slice(0, options.limit);
    const versionIds = [
      ...new Set(
        page.flatMap(r =>
          r.from_version_id === null
            ? [r.to_version_id]
            : [r.from_version_id, r.to_version_id],
        ),
      ),
    ];
    const versions = await this.db<VersionRow>('image_versions')
      .whereIn('id', versionIds)
      .select('id', 'family', 'version');
    const byId = new Map(versions.map(v => [String(v.id), versionRef(v)]));
    return {
      items: page.map(row => ({
        id: String(row.id),
        channel: row.channel,
        from:
          row.from_version_id === null
            ? undefined
            : byId.get(String(row.from_version_id)),
        to: byId.get(String(row.to_version_id))!,
        actor: row.actor,
        kind: row.kind,
        reason: row.reason ?? undefined,
        at: toIso(row.at),
      })),
      nextCursor:
        rows.length > options.limit
          ? String(page[page.length - 1].id)
          : undefined,
    };
  }
}

/**
 * Points a channel at a version inside a transaction the caller holds: the
 * channel's row and the version's are locked (PostgreSQL), the version must
 * still be usable (it may have been revoked or pruned since it was read),
 * and the assignment is appended to the history. Answers what happened,
 * with the audit event to write in the same transaction.
 *
 * @internal
 */
export async function pointChannelIn(
  trx: Knex.Transaction,
  options: {
    family: string;
    channel: string;
    targetId: number | string;
    actor: string;
    reason?: string;
    kind: 'assign' | 'rollback';
  },
): Promise<WriteOutcome<'changed' | 'unchanged' | 'unusable'>> {
  const currentQuery = trx<ChannelRow>('channels').where({
    family: options.family,
    name: options.channel,
  });
  if (isPostgres(trx)) {
    currentQuery.forUpdate();
  }
  const current = await currentQuery.first();
  // The target may have been revoked or pruned since it was read.
  const targetQuery = trx<VersionRow>('image_versions').where({
    id: options.targetId,
  });
  if (isPostgres(trx)) {
    targetQuery.forUpdate();
  }
  const fresh = await targetQuery.first();
  if (!fresh || !USABLE_STATES.includes(fresh.state)) {
    return { result: 'unusable' as const, readModelChanged: false };
  }
  if (current && String(current.version_id) === String(options.targetId)) {
    return { result: 'unchanged' as const, readModelChanged: false };
  }
  const values = {
    version_id: options.targetId,
    updated_at: trx.fn.now(),
    updated_by: options.actor,
  };
  if (current) {
    await trx('channels')
      .where({ family: options.family, name: options.channel })
      .update(values);
  } else {
    await trx('channels').insert({
      family: options.family,
      name: options.channel,
      ...values,
    });
  }
  await trx('channel_assignments').insert({
    family: options.family,
    channel: options.channel,
    from_version_id: current?.version_id ?? null,
    to_version_id: options.targetId,
    actor: options.actor,
    kind: options.kind,
    reason: options.reason ?? null,
    at: trx.fn.now(),
  });
  const family = await trx<FamilyRow>('image_families')
    .where({ name: options.family })
    .first();
  return {
    result: 'changed' as const,
    readModelChanged: true,
    audit: [
      {
        actor: options.actor,
        action:
          options.kind === 'assign' ? 'channel.assign' : 'channel.rollback',
        entityRef: family?.entity_ref,
        subject: `${options.family}/${options.channel}`,
        payload: { to: versionRef(fresh), reason: options.reason },
      },
    ],
  };
}
