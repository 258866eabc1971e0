/**
 * Event ids seen lately, each remembered for a window, at most `capacity`
 * of them (the oldest forgotten first): memory stays bounded under a flood.
 *
 * @internal
 */
export class DedupeWindow {
  /** Insertion order is expiry order: every id lives the same window. */
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly options: {
      windowMs: number;
      capacity: number;
      now?: () => number;
    },
  ) {}

  private now() {
    return this.options.now?.() ?? Date.now();
  }

  private expire(now: number) {
    for (const [id, at] of this.seen) {
      if (
        now - at < this.options.windowMs &&
        this.seen.size <= this.options.capacity
      ) {
        break;
      }
      this.seen.delete(id);
    }
  }

  has(id: string): boolean {
    const now = this.now();
    this.expire(now);
    return this.seen.has(id);
  }

  add(id: string): void {
    const now = this.now();
    this.seen.delete(id);
    this.seen.set(id, now);
    this.expire(now);
  }

  get size(): number {
    return this.seen.size;
  }
}
