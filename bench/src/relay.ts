// The relay end to end against its ceiling, raw BullMQ with a noop processor, in the same run on the
// same Redis, printed as a ratio (issue #4).
import { loadConfig, type DialectName } from '@cds/relay';
import { benchBullmqNoop } from './bullmq-noop.js';
import { runRelayOnce, type RelayFigures } from './relay-e2e.js';
import { redisUrl } from './redis.js';
import { printFigure } from './results.js';

export interface RelayBenchOptions {
  /** Events per run. @defaultValue BENCH_EVENTS, else 5000 */
  events?: number;
  /** Also run on PostgreSQL (a private schema of TEST_POSTGRES_URL). @defaultValue true */
  postgres?: boolean;
}

function eventsFromEnv(): number {
  const text = process.env.BENCH_EVENTS;
  if (!text) return 5000;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`BENCH_EVENTS must be a positive integer, got "${text}"`);
  return n;
}

/** Figure keys of one dialect: `relay_*` for SQLite (the default store), `relay_postgres_*` else. */
function keyed(dialect: DialectName, figures: RelayFigures, noopPerSecond: number) {
  const k = dialect === 'sqlite' ? 'relay' : 'relay_postgres';
  return {
    [`${k}_e2e_per_s`]: figures.e2ePerSecond,
    [`${k}_ingest_per_s`]: figures.ingestPerSecond,
    [`${k}_p50_ms`]: figures.p50Ms,
    [`${k}_p99_ms`]: figures.p99Ms,
    [`${k}_peak_rss_delta_mib`]: figures.peakRssDeltaMiB,
    [`${k}_duplicates`]: figures.duplicates,
    [`${k}_vs_bullmq_ratio`]: figures.e2ePerSecond / noopPerSecond,
  };
}

function printRelay(dialect: DialectName, figures: RelayFigures, noopPerSecond: number): void {
  printFigure(`relay end to end (${dialect})`, figures.e2ePerSecond, 'events/s');
  printFigure(`relay ingest only (${dialect})`, figures.ingestPerSecond, 'events/s');
  printFigure(`relay latency p50 (${dialect})`, figures.p50Ms, 'ms');
  printFigure(`relay latency p99 (${dialect})`, figures.p99Ms, 'ms');
  printFigure(`relay peak RSS delta (${dialect})`, figures.peakRssDeltaMiB, 'MiB');
  if (figures.duplicates > 0)
    printFigure(`relay duplicate deliveries (${dialect})`, figures.duplicates, 'events');
  printFigure(`ratio: relay (${dialect}) / bullmq noop`, figures.e2ePerSecond / noopPerSecond, 'x');
}

export async function benchRelay(options: RelayBenchOptions = {}): Promise<Record<string, number>> {
  const events = options.events ?? eventsFromEnv();
  const url = redisUrl();
  // The same concurrency the relay's workers get (WORKER_CONCURRENCY, default 16).
  const { workerConcurrency } = loadConfig({ WORKER_CONCURRENCY: process.env.WORKER_CONCURRENCY });
  const dialects: DialectName[] = options.postgres === false ? ['sqlite'] : ['sqlite', 'postgres'];

  console.log(
    `\nRelay end to end vs raw BullMQ (${events} grade events, batches of 100, 4 POSTs in flight, worker concurrency ${workerConcurrency})`,
  );
  const noop = await benchBullmqNoop({
    redisUrl: url,
    jobs: events,
    concurrency: workerConcurrency,
  });
  const runs: Array<[DialectName, RelayFigures]> = [];
  for (const dialect of dialects) {
    runs.push([dialect, await runRelayOnce({ dialect, redisUrl: url, events, workerConcurrency })]);
  }

  printFigure('peer: bullmq noop (addBulk, noop worker)', noop.jobsPerSecond, 'jobs/s');
  let figures: Record<string, number> = {
    bullmq_noop_per_s: noop.jobsPerSecond,
    bench_relay_events: events,
  };
  for (const [dialect, run] of runs) {
    printRelay(dialect, run, noop.jobsPerSecond);
    figures = { ...figures, ...keyed(dialect, run, noop.jobsPerSecond) };
  }
  return figures;
}
