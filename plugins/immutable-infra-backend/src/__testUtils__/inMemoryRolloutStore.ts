import { ConflictError } from '@backstage/errors';
import { Rollout, RolloutPage } from '@immutable-infra/backstage-plugin-common';
import {
  applyChange,
  ChannelRefusedError,
  FinishedRollout,
  NewRollout,
  RolloutChange,
  RolloutRecord,
  RolloutStore,
  viewOf,
} from '../rollouts/RolloutStore';

/**
 * {@link RolloutStore} in memory, with the database store's rules (a
 * change applies only at the revision it read; one active rollout per
 * entity and environment; a channel moves with its change or not at all,
 * never to a revoked version), for tests that run thousands of histories.
 * Its image registry is a map of version states and one of channels.
 *
 * @internal
 */
export class InMemoryRolloutStore implements RolloutStore {
  constructor(private readonly now: () => number = Date.now) {}

  private readonly rows = new Map<string, RolloutRecord>();
  readonly events = new Map<
    string,
    { kind: string; message: string; actor?: string }[]
  >();
  readonly audit: { action: string; subject?: string }[] = [];
  /** `<family>@<version>` → its state (absent: active). */
  readonly versionStates = new Map<string, string>();
  /** `<family>/<channel>` → `<family>@<version>`. */
  readonly channels = new Map<string, string>();
  /** Every channel move, in order. */
  readonly channelMoves: { channel: string; to: string; rolloutId: string }[] =
    [];

  async create(
    options: Parameters<RolloutStore['create']>[0],
  ): Promise<RolloutRecord> {
    const { rollout } = options;
    const active = await this.findActive(
      rollout.entityRef,
      rollout.environment,
    );
    if (active) {
      throw new ConflictError(`already an active rollout: ${active.id}`);
    }
    const now = new Date(this.now()).toISOString();
    const record: RolloutRecord = {
      ...(structuredClone(rollout) as NewRollout),
      revision: 0,
      active: true,
      status: [],
      createdAt: now,
      updatedAt: now,
      failedAttempts: 0,
    };
    this.rows.set(rollout.id, record);
    this.events.set(rollout.id, [...options.events]);
    return structuredClone(record);
  }

  async get(id: string) {
    const row = this.rows.get(id);
    return row && structuredClone(row);
  }

  async getView(id: string): Promise<Rollout | undefined> {
    const row = this.rows.get(id);
    if (!row) {
      return undefined;
    }
    return {
      ...viewOf(structuredClone(row)),
      events: (this.events.get(id) ?? []).map((e, i) => ({
        id: String(i),
        at: row.updatedAt,
        ...e,
      })),
    };
  }

  async findActive(entityRef: string, environment: string) {
    const row = [...this.rows.values()].find(
      r =>
        r.active && r.entityRef === entityRef && r.environment === environment,
    );
    return row && structuredClone(row);
  }

  async listByEntity(options: {
    entityRef: string;
    limit: number;
  }): Promise<RolloutPage> {
    return {
      items: [...this.rows.values()]
        .filter(r => r.entityRef === options.entityRef)
        .slice(0, options.limit)
        .map(r => viewOf(structuredClone(r))),
    };
  }

  async listActive(entityRef?: string) {
    return [...this.rows.values()]
      .filter(r => r.active && (!entityRef || r.entityRef === entityRef))
      .map(r => structuredClone(r));
  }

  async listFinished(): Promise<FinishedRollout[]> {
    return [];
  }

  async setFailedAttempts(id: string, failedAttempts: number) {
    const row = this.rows.get(id);
    if (row) {
      row.failedAttempts = failedAttempts;
    }
  }

  async update(
    id: string,
    revision: number,
    change: RolloutChange,
    expected?: { currentStep?: number },
  ): Promise<boolean> {
    const row = this.rows.get(id);
    if (
      !row ||
      row.revision !== revision ||
      (expected?.currentStep !== undefined &&
        row.currentStep !== expected.currentStep)
    ) {
      return false;
    }
    if (change.reacquire) {
      const active = await this.findActive(row.entityRef, row.environment);
      if (active && active.id !== id) {
        throw new ConflictError(`another rollout is active: ${active.id}`);
      }
    }
    if (change.channel) {
      const { family, channel, version } = change.channel;
      const ref = `${family}@${version}`;
      const state = this.versionStates.get(ref) ?? 'active';
      if (state === 'revoked' || state === 'pruned') {
        throw new ChannelRefusedError(
          `${ref} is ${state}; the ${channel} channel does not move to it`,
        );
      }
      this.channels.set(`${family}/${channel}`, ref);
      this.channelMoves.push({
        channel: `${family}/${channel}`,
        to: ref,
        rolloutId: id,
      });
    }
    const next = structuredClone(
      applyChange(row, change, new Date(this.now()).toISOString()),
    );
    this.rows.set(id, next);
    this.events.get(id)?.push(...(change.events ?? []));
    this.audit.push(
      ...(change.audit ?? []).map(a => ({
        action: a.action,
        subject: a.subject,
      })),
    );
    return true;
  }
}
