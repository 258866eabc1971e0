import { FleetStore, InventoryUpdate } from './FleetStore';

/**
 * Instances written in one transaction once that many wait; twice as many
 * waiting hold the AWS calls back.
 */
const WRITE_BATCH_INSTANCES = 2_000;

/** How long an inventory waits for others to share its transaction. */
const WRITE_LINGER_MS = 1_000;

/**
 * Writes inventories in groups, one transaction each: a commit (which on
 * SQLite waits for the disk, with the process blocked) is then paid once for
 * many entities, and rows go in multi-row inserts. A group is written when
 * {@link WRITE_BATCH_INSTANCES} instances wait, when the first of them has
 * waited {@link WRITE_LINGER_MS}, or when the sync has nothing more to
 * fetch; one group at a time.
 */
export class InventoryWriter {
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
