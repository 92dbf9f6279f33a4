// What happened over the whole bench run, for the chart: events applied per second, each critical
// event's latency, each relay process's RSS, and the parts (phases) they belong to.
import { performance } from 'node:perf_hooks';

/** Colours the chart by what ran: the BullMQ ceiling, or the relay on one database. */
export type PhaseKind = 'bullmq' | 'sqlite' | 'postgres';

export interface Phase {
  label: string;
  kind: PhaseKind;
  /** Seconds since the run started. */
  start: number;
  end: number;
}

export interface LatencySample {
  /** When the event was sent, seconds since the run started. */
  t: number;
  ms: number;
  kind: PhaseKind;
}

export interface RssSeries {
  /** e.g. `sqlite · web + 1 worker · worker-1`. */
  label: string;
  role: string;
  points: Array<[t: number, mib: number]>;
}

/** Width of the buckets events applied are counted in, in seconds (a ceiling run is ~1 s). */
export const BUCKET_S = 0.5;

export class Timeline {
  private readonly origin = performance.now();
  readonly phases: Phase[] = [];
  /** Events applied per bucket, by what applied them (the target's arrivals, the ceiling's jobs). */
  readonly applied: Record<PhaseKind, number[]> = { bullmq: [], sqlite: [], postgres: [] };
  readonly latency: LatencySample[] = [];
  readonly rss = new Map<string, RssSeries>();

  /** Seconds since the run started, of a performance.now() time. */
  seconds(at = performance.now()): number {
    return (at - this.origin) / 1000;
  }

  /** Starts a phase; call the returned function when it ends. */
  begin(label: string, kind: PhaseKind): () => void {
    const phase: Phase = { label, kind, start: this.seconds(), end: Number.NaN };
    this.phases.push(phase);
    return () => {
      phase.end = this.seconds();
    };
  }

  countApplied(kind: PhaseKind, events: number, at = performance.now()): void {
    const buckets = this.applied[kind];
    const bucket = Math.floor(this.seconds(at) / BUCKET_S);
    while (buckets.length <= bucket) buckets.push(0);
    buckets[bucket]! += events;
  }

  addLatency(sentAt: number, ms: number, kind: PhaseKind): void {
    this.latency.push({ t: this.seconds(sentAt), ms, kind });
  }

  addRss(label: string, role: string, mib: number, at = performance.now()): void {
    let series = this.rss.get(label);
    if (!series) {
      series = { label, role, points: [] };
      this.rss.set(label, series);
    }
    series.points.push([this.seconds(at), mib]);
  }
}

/** The run's one timeline. */
export const timeline = new Timeline();
