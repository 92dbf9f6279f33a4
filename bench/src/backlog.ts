// Memory with a large backlog (issue 9): the web process ingests BENCH_BACKLOG events while no
// worker runs, so all of them are queued at once; then the workers start and drain them. Each
// process's peak RSS over both stages is the figure (`rss_mb_100k` is the largest).
import { performance } from 'node:perf_hooks';
import type { DialectName } from '@cds/relay';
import { postAll } from './ingest.js';
import { signLoad, type Producer } from './load.js';
import { Progress, formatCount, waitForCount } from './progress.js';
import { withRelay, type SessionReport } from './session.js';
import { layoutLabel, workerProcesses, type BenchSettings, type Layout } from './settings.js';

export interface BacklogResult {
  dialect: DialectName;
  layout: Layout;
  backlog_events: number;
  ingest_per_s: number;
  /** Peak RSS of each process once the whole backlog was queued, MiB. */
  queued_rss_mib: Record<string, number>;
  /** From the first worker's start until the target had every event. */
  drain_seconds: number;
  drain_per_s: number;
  /** Peak RSS of each process over the whole part, MiB. */
  peak_rss_mib: Record<string, number>;
  /** The largest of them. */
  rss_mib: number;
}

export async function benchBacklog(
  dialect: DialectName,
  layout: Exclude<Layout, 'all'>,
  common: { redisUrl: string; producer: Producer; settings: BenchSettings },
): Promise<{ result: BacklogResult; report: SessionReport }> {
  const { producer, settings } = common;
  const count = settings.backlog;
  const label = `${dialect} · ${formatCount(count)} queued, then drained (${layoutLabel(layout)})`;
  return withRelay({ ...common, dialect, label }, async (session) => {
    const load = await signLoad(producer, ['grade'], count);
    const expected = session.target.expect(load.ids.flat());
    await session.cluster.startWeb('web');

    let answered = 0;
    const started = performance.now();
    const posting = postAll(
      session.url,
      load.bodies,
      load.ids.map((ids) => ids.length),
      { onAnswered: (events) => (answered += events) },
    );
    await Promise.all([
      posting,
      waitForCount(() => answered, count, new Progress(`${label}: ingest`, count, 'queued'), {
        stallMs: settings.stallMs,
        check: () => session.cluster.assertRunning(),
        what: 'events never accepted',
      }),
    ]);
    const ingestSeconds = (performance.now() - started) / 1000;
    const queued = session.peakRss();

    const drainStarted = performance.now();
    const drain = new Progress(`${label}: drain`, count, 'applied');
    for (let i = 0; i < workerProcesses(layout); i += 1) await session.cluster.addWorker();
    await session.arrival(expected, drain);
    const drainSeconds = (expected.lastAt - drainStarted) / 1000;
    const peaks = session.peakRss();
    return {
      dialect,
      layout,
      backlog_events: count,
      ingest_per_s: count / ingestSeconds,
      queued_rss_mib: queued,
      drain_seconds: drainSeconds,
      drain_per_s: count / drainSeconds,
      peak_rss_mib: peaks,
      rss_mib: Math.max(...Object.values(peaks)),
    };
  });
}
