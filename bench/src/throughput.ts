// Relay throughput end to end, in one process layout: signed batches of critical events in over
// HTTP, applied at the counting target. The layout is warmed up first (unmeasured), then measured
// at every size in the same processes, as the BullMQ ceiling is.
import { performance } from 'node:perf_hooks';
import type { DialectName } from '@cds/relay';
import { postAll } from './ingest.js';
import { signLoad, type Producer } from './load.js';
import { Progress } from './progress.js';
import { withRelay, type RelaySession, type SessionReport } from './session.js';
import { layoutLabel, type BenchSettings, type Layout } from './settings.js';
import { summarize } from './stats.js';

export interface ThroughputRun {
  dialect: DialectName;
  layout: Layout;
  events: number;
  /** Events per second from the first POST until the target has every event. */
  e2e_per_s: number;
  /** Events per second from the first POST until every POST was answered (logged and queued). */
  ingest_per_s: number;
  seconds: number;
  /** Per event, from its POST to its arrival at the target. */
  latency_p50_ms: number;
  latency_p99_ms: number;
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
  const expected = session.target.expect(load.ids.flat());
  const progress = label ? new Progress(label, count, 'applied') : undefined;
  const started = performance.now();
  let ingestEnded = 0;
  const posting = postAll(
    session.url,
    load.bodies,
    load.ids.map((ids) => ids.length),
  ).then((sentAt) => {
    ingestEnded = performance.now();
    return sentAt;
  });
  // A failed POST ends the wait at once (Promise.all), not after the stall timeout.
  const [sentAt] = await Promise.all([posting, session.arrival(expected, progress)]);
  const latencies = load.ids.flatMap((ids, i) =>
    ids.map((id) => expected.firstSeenAt.get(id)! - sentAt[i]!),
  );
  const seconds = (expected.lastAt - started) / 1000;
  return { load, seconds, ingestSeconds: (ingestEnded - started) / 1000, ...summarize(latencies) };
}

export async function benchLayout(
  dialect: DialectName,
  layout: Layout,
  common: { redisUrl: string; producer: Producer; settings: BenchSettings },
): Promise<LayoutResult> {
  const { producer, settings } = common;
  const label = `${dialect} · ${layoutLabel(layout)}`;
  const { result, report } = await withRelay({ ...common, dialect, label }, async (session) => {
    await session.start(layout);
    if (settings.warmup > 0) await pushThrough(session, producer, settings.warmup);
    const runs: ThroughputRun[] = [];
    const idsOf: string[][] = [];
    for (const events of settings.sizes) {
      const run = await pushThrough(session, producer, events, `${label}, ${events} events`);
      idsOf.push(run.load.ids.flat());
      runs.push({
        dialect,
        layout,
        events,
        e2e_per_s: events / run.seconds,
        ingest_per_s: events / run.ingestSeconds,
        seconds: run.seconds,
        latency_p50_ms: run.p50Ms,
        latency_p99_ms: run.p99Ms,
        duplicates: 0,
      });
    }
    // Per run, as far as seen now; the session's report counts any that come later.
    runs.forEach((run, i) => (run.duplicates = session.target.duplicatesAmong(idsOf[i]!)));
    return runs;
  });
  return { dialect, layout, runs: result, report };
}
