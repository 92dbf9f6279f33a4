import { z } from 'zod';
import { InvalidEvent } from '../errors.js';

/**
 * A hybrid logical clock timestamp (Kulkarni et al., 2014): wall-clock milliseconds, a counter that
 * orders events within one millisecond or under clock skew, and the node that issued it (a
 * deterministic tie-break). Used only where a policy is last-writer-wins.
 */
export interface HlcTimestamp {
  wall: number;
  counter: number;
  node: string;
}

export const hlcSchema: z.ZodType<HlcTimestamp> = z.object({
  wall: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  counter: z.number().int().nonnegative().max(0xffff_ffff),
  node: z.string().min(1).max(128),
});

/** Total order: wall, then counter, then node name. */
export function compareHlc(a: HlcTimestamp, b: HlcTimestamp): number {
  if (a.wall !== b.wall) return a.wall < b.wall ? -1 : 1;
  if (a.counter !== b.counter) return a.counter < b.counter ? -1 : 1;
  if (a.node === b.node) return 0;
  return a.node < b.node ? -1 : 1;
}

/** A sortable string form, for database columns and logs: `<wall>.<counter>@<node>`. */
export function formatHlc(t: HlcTimestamp): string {
  return `${String(t.wall).padStart(15, '0')}.${String(t.counter).padStart(10, '0')}@${t.node}`;
}

export interface HybridClockOptions {
  /** Wall-clock source. @defaultValue Date.now */
  now?: () => number;
  /** Largest lead a received timestamp may have over our wall clock. @defaultValue 300_000 (5 min) */
  maxDriftMs?: number;
}

/** One node's hybrid logical clock. Not shared between nodes: each producer keeps its own. */
export class HybridClock {
  private last: HlcTimestamp;
  private readonly wallClock: () => number;
  private readonly maxDriftMs: number;

  constructor(
    readonly node: string,
    options: HybridClockOptions = {},
  ) {
    this.wallClock = options.now ?? Date.now;
    this.maxDriftMs = options.maxDriftMs ?? 300_000;
    this.last = { wall: 0, counter: 0, node };
  }

  /** A timestamp for a local change (or a send): strictly greater than every one before it. */
  now(): HlcTimestamp {
    const physical = this.wallClock();
    if (physical > this.last.wall) {
      this.last = { wall: physical, counter: 0, node: this.node };
    } else {
      this.last = { wall: this.last.wall, counter: this.last.counter + 1, node: this.node };
    }
    return { ...this.last };
  }

  /** Advances past a timestamp received from another node; returns the new local timestamp. */
  receive(remote: HlcTimestamp): HlcTimestamp {
    const physical = this.wallClock();
    if (remote.wall - physical > this.maxDriftMs) {
      throw new InvalidEvent(
        `hlc from ${remote.node} is ${remote.wall - physical} ms ahead of this clock (limit ${this.maxDriftMs} ms): check the producer's clock`,
      );
    }
    const wall = Math.max(this.last.wall, remote.wall, physical);
    let next: number;
    if (wall === this.last.wall && wall === remote.wall) {
      next = Math.max(this.last.counter, remote.counter) + 1;
    } else if (wall === this.last.wall) {
      next = this.last.counter + 1;
    } else if (wall === remote.wall) {
      next = remote.counter + 1;
    } else {
      next = 0;
    }
    this.last = { wall, counter: next, node: this.node };
    return { ...this.last };
  }
}
