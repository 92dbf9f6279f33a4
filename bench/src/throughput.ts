// Relay throughput end to end, in one process layout: signed batches of critical events in over
// HTTP, applied at the counting target. The layout and the BullMQ ceiling are warmed up first
// (unmeasured); then, for every size, each relay run follows a ceiling run of the same size, and
// the medians of BENCH_REPEAT such pairs are reported.
import { performance } from 'node:perf_hooks';
import type { DialectName } from '@cds/relay';
import type { BullmqCeiling } from './bullmq-noop.js';
import { postAll } from './ingest.js';
import { signLoad, type Producer } from './load.js';
import { Progress } from './progress.js';
import { withRelay, type RelaySession, type SessionReport } from './session.js';
import { layoutLabel, type BenchSettings, type Layout } from './settings.js';
import { median, summarize } from './stats.js';

export interface ThroughputRun {
  dialect: DialectName;
  layout: Layout;
  events: number;
  /** Medians over the repeats. Events per second from the first POST until the target has all. */
  e2e_per_s: number;
  /** BullMQ no-op jobs per second, in the run of the same size just before each relay run. */
  ceiling_bullmq_per_s: number;
  /** e2e_per_s / ceiling_bullmq_per_s. */
  ratio: number;
  /** Events per second from the first POST until every POST was answered (logged and queued). */
  ingest_per_s: number;
  /** Per event, from its POST to its arrival at the target. */
  latency_p50_ms: number;
  latency_p99_ms: number;
  /** Each repeat's figures, in order. */
  e2e_runs: number[];
  ceiling_runs: number[];
  duplicates: number;
}

export interface LayoutResult {
  dialect: DialectName;
  layout: Layout;
  runs: ThroughputRun[];
  report: SessionReport;
}

/** Pushes `count` grade events through and waits for all of them; returns the run's figures. */
async function pushThrough(
  session: RelaySession,
  producer: Producer,
  count: number,
  label?: string,
) {
  const load = await signLoad(producer, ['grade'], count);
  const ids = load.ids.flat();
  const expected = session.target.expect(ids);
  const progress = label ? new Progress(label, count, 'applied') : undefined;
  const started = performance.now();
  let ingestEnded = 0;
  const posting = postAll(
    session.url,
    load.bodies,
    load.ids.map((chunk) => chunk.length),
  ).then((sentAt) => {
    ingestEnded = performance.now();
    return sentAt;
  });
  // A failed POST ends the wait at once (Promise.all), not after the stall timeout.
  const [sentAt] = await Promise.all([posting, session.arrival(expected, progress)]);
  const latencies = load.ids.flatMap((chunk, i) =>
    chunk.map((id) => expected.firstSeenAt.get(id)! - sentAt[i]!),
  );
  const { p50Ms, p99Ms } = summarize(latencies);
  return {
    ids,
    e2ePerSecond: count / ((expected.lastAt - started) / 1000),
    ingestPerSecond: count / ((ingestEnded - started) / 1000),
    p50Ms,
    p99Ms,
  };
}

export async function benchLayout(
  dialect: DialectName,
  layout: Layout,
  common: { redisUrl: string; producer: Producer; settings: BenchSettings },
  ceiling: BullmqCeiling,
): Promise<LayoutResult> {
  const { producer, settings } = common;
  const label = `${dialect} · ${layoutLabel(layout)}`;
  const { result, report } = await withRelay({ ...common, dialect, label }, async (session) => {
    await session.start(layout);
    if (settings.warmup > 0) await pushThrough(session, producer, settings.warmup);
    await ceiling.warmUp(settings.warmup);
    const runs: ThroughputRun[] = [];
    for (const events of settings.sizes) {
      const pairs: Array<{ ceiling: number } & Awaited<ReturnType<typeof pushThrough>>> = [];
      for (let r = 1; r <= settings.repeat; r += 1) {
        const jobsPerSecond = await ceiling.measure(events);
        const of = settings.repeat > 1 ? ` (${r}/${settings.repeat})` : '';
        const run = await pushThrough(session, producer, events, `${label}, ${events} events${of}`);
        pairs.push({ ceiling: jobsPerSecond, ...run });
      }
      const e2e = median(pairs.map((p) => p.e2ePerSecond));
      const bullmq = median(pairs.map((p) => p.ceiling));
      runs.push({
        dialect,
        layout,
        events,
        e2e_per_s: e2e,
        ceiling_bullmq_per_s: bullmq,
        ratio: e2e / bullmq,
        ingest_per_s: median(pairs.map((p) => p.ingestPerSecond)),
        latency_p50_ms: median(pairs.map((p) => p.p50Ms)),
        latency_p99_ms: median(pairs.map((p) => p.p99Ms)),
        e2e_runs: pairs.map((p) => p.e2ePerSecond),
        ceiling_runs: pairs.map((p) => p.ceiling),
        // As far as seen now; the session's report also counts any that come later.
        duplicates: pairs.reduce((n, p) => n + session.target.duplicatesAmong(p.ids), 0),
      });
    }
    return runs;
  });
  return { dialect, layout, runs: result, report };
}
