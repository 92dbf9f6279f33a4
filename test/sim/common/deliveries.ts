// The deliveries a simulator has under way (Live Events, webhooks): tests `settle()` to wait for
// them, and `close()` ends every pending retry wait at once so a stopped simulator leaves no
// timers behind. Each simulator keeps its own retry policy, as the platforms differ there.
export class Deliveries {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly timers = new Map<NodeJS.Timeout, () => void>();
  private isClosed = false;

  /** True after close(): a delivery loop gives up at its next try. */
  get closed(): boolean {
    return this.isClosed;
  }

  track(delivery: Promise<void>): void {
    const tracked = delivery.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  /** Resolves once every delivery under way (retries included) has finished. */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** A retry backoff that close() cuts short. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.set(t, resolve);
    });
  }

  close(): void {
    this.isClosed = true;
    for (const [t, resolve] of this.timers) {
      clearTimeout(t);
      resolve();
    }
    this.timers.clear();
  }
}
