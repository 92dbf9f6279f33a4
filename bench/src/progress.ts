// The progress line of long parts, and the waits that drive it while they poll.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/**
 * `label: 12,345/20,000 applied · 2,345/s · 5.3 s`: rewritten in place on a terminal (4 times a
 * second), one line every 5 s otherwise (a log keeps its history), and a last one when done.
 */
export class Progress {
  private readonly started = performance.now();
  private readonly tty = process.stdout.isTTY === true;
  // A terminal shows the line at once; a log gets its first line after 5 s, if still running.
  private lastPrint = this.tty ? Number.NEGATIVE_INFINITY : this.started;
  private open = false;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly unit: string,
    /** Extra figures for the line, e.g. a latency so far. */
    private readonly detail?: () => string,
  ) {}

  report(done: number, final = false): void {
    const now = performance.now();
    if (!final && now - this.lastPrint < (this.tty ? 250 : 5000)) return;
    this.lastPrint = now;
    const seconds = (now - this.started) / 1000;
    const parts = [
      `${formatCount(done)}/${formatCount(this.total)} ${this.unit}`,
      `${formatCount(seconds > 0 ? done / seconds : 0)}/s`,
      `${seconds.toFixed(1)} s`,
    ];
    const extra = this.detail?.();
    if (extra) parts.push(extra);
    const line = `    ${this.label}: ${parts.join(' · ')}`;
    if (!this.tty) {
      console.log(line);
      return;
    }
    const width = process.stdout.columns || 120;
    process.stdout.write(`\r\x1b[K${line.slice(0, width - 1)}`);
    this.open = true;
    if (final) this.end();
  }

  /** Ends the line in place (also on a failure), so what is printed next starts on its own. */
  end(): void {
    if (!this.open) return;
    process.stdout.write('\n');
    this.open = false;
  }
}

export interface WaitOptions {
  /** Fail when the count has not moved for this long. @defaultValue 60_000 */
  stallMs?: number;
  /** Time between polls. @defaultValue 20 */
  pollMs?: number;
  /** Called on every poll; throws to stop the wait (a relay process that died). */
  check?: () => void;
  /** What is counted, for the error: `events at the target`. @defaultValue 'done' */
  what?: string;
}

/**
 * Polls `count()` until it reaches `total`, reporting progress if given; throws when it stops
 * moving, so a broken pipeline (a lost event) ends the bench with a message instead of hanging it.
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
  try {
    for (;;) {
      const done = count();
      if (done >= total) {
        progress?.report(done, true);
        return;
      }
      progress?.report(done);
      options.check?.();
      if (done !== seen) {
        seen = done;
        movedAt = Date.now();
      } else if (Date.now() - movedAt > stallMs) {
        throw new Error(
          `${formatCount(total - done)} of ${formatCount(total)} ${options.what ?? 'done'} missing: ` +
            `no progress for ${stallMs / 1000} s`,
        );
      }
      await sleep(pollMs);
    }
  } finally {
    progress?.end();
  }
}
