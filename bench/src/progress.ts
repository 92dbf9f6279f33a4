// Progress lines for long benchmarks, and the waits they print while they poll.
import { setTimeout as sleep } from 'node:timers/promises';

/** Prints `label: done/total unit` at most once per `everyMs` (default 2 s), and the final count. */
export class Progress {
  private last = 0;
  private lastDone = -1;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly unit: string,
    private readonly everyMs = 2000,
  ) {}

  report(done: number, force = false): void {
    const now = Date.now();
    if (done === this.lastDone || (!force && done < this.total && now - this.last < this.everyMs))
      return;
    this.last = now;
    this.lastDone = done;
    console.log(`    ${this.label}: ${done}/${this.total} ${this.unit}`);
  }
}

export interface WaitOptions {
  /** Fail when the count has not moved for this long. @defaultValue 60_000 */
  stallMs?: number;
  /** Time between polls. @defaultValue 20 */
  pollMs?: number;
}

/**
 * Polls `count()` until it reaches `total`, reporting progress if given; throws when it stops moving, so a
 * broken pipeline ends the bench with a message instead of hanging it.
 */
export async function waitForCount(
  count: () => number,
  total: number,
  progress: Progress | undefined,
  options: WaitOptions = {},
): Promise<void> {
  const stallMs = options.stallMs ?? 60_000;
  const pollMs = options.pollMs ?? 20;
  let seen = -1;
  let movedAt = Date.now();
  for (;;) {
    const done = count();
    progress?.report(done);
    if (done >= total) {
      progress?.report(done, true);
      return;
    }
    if (done !== seen) {
      seen = done;
      movedAt = Date.now();
    } else if (Date.now() - movedAt > stallMs) {
      throw new Error(`${done}/${total} after ${stallMs / 1000} s without progress`);
    }
    await sleep(pollMs);
  }
}
