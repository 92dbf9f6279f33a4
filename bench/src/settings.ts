// The bench's settings, read from the environment once; each says its default.
import { loadConfig } from '@cds/relay';

/** A process layout of the relay: one process with role `all`, or one web and N worker processes. */
export type Layout = 'all' | `web+${number}`;

export interface BenchSettings {
  /** Events per throughput run; every size is reported, the largest gives `ratio`. BENCH_EVENTS @defaultValue [5000, 20000] */
  sizes: number[];
  /** Unmeasured jobs or events pushed through BullMQ and each relay layout first. BENCH_WARMUP @defaultValue 2000 */
  warmup: number;
  /** Measured runs of each size; the median is reported (the machine's noise is large). BENCH_REPEAT @defaultValue 3 */
  repeat: number;
  /** Layouts measured for throughput. BENCH_LAYOUTS @defaultValue ['all', 'web+1', 'web+2'] */
  layouts: Layout[];
  /** Background events decided and delivered while critical ones are timed (0 skips). BENCH_BACKGROUND @defaultValue 50000 */
  background: number;
  /** Critical events sent per second meanwhile. BENCH_CRITICAL_RATE @defaultValue 50 */
  criticalRate: number;
  /** The relay's BACKGROUND_BATCH_INTERVAL in that part. BENCH_BACKGROUND_INTERVAL @defaultValue '5s' */
  backgroundInterval: string;
  /** Events queued before the workers start, for the memory figure (0 skips). BENCH_BACKLOG @defaultValue 100000 */
  backlog: number;
  /** The relay's WORKER_CONCURRENCY, also the BullMQ ceiling's. @defaultValue the relay's default */
  workerConcurrency: number;
  /** Fail a part when the target's count has not moved for this long. BENCH_STALL @defaultValue 60 s */
  stallMs: number;
}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number): number {
  const text = env[name]?.trim();
  if (!text) return fallback;
  const n = Number(text.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < min)
    throw new Error(`${name} must be an integer >= ${min}, got "${text}"`);
  return n;
}

function sizes(env: Env): number[] {
  const text = env.BENCH_EVENTS?.trim();
  if (!text) return [5000, 20_000];
  const list = text.split(',').map((part) => {
    const n = Number(part.trim().replace(/_/g, ''));
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`BENCH_EVENTS must list sizes, e.g. 5000,20000; got "${text}"`);
    return n;
  });
  return [...new Set(list)].sort((a, b) => a - b);
}

function layouts(env: Env): Layout[] {
  const text = env.BENCH_LAYOUTS?.trim();
  if (!text) return ['all', 'web+1', 'web+2'];
  return text.split(',').map((part) => {
    const layout = part.trim();
    if (layout === 'all' || /^web\+[1-9]\d?$/.test(layout)) return layout as Layout;
    throw new Error(`BENCH_LAYOUTS: "${layout}" is not "all" or "web+N" (N worker processes)`);
  });
}

/** Reads and checks every BENCH_* variable; a wrong one stops the bench before anything runs. */
export function loadSettings(env: Env = process.env): BenchSettings {
  const interval = env.BENCH_BACKGROUND_INTERVAL?.trim() || '5s';
  // The relay's own parser checks WORKER_CONCURRENCY and the interval and applies its defaults.
  const relay = loadConfig({
    WORKER_CONCURRENCY: env.WORKER_CONCURRENCY,
    BACKGROUND_BATCH_INTERVAL: interval,
  });
  return {
    sizes: sizes(env),
    warmup: integer(env, 'BENCH_WARMUP', 2000, 0),
    repeat: integer(env, 'BENCH_REPEAT', 3, 1),
    layouts: layouts(env),
    background: integer(env, 'BENCH_BACKGROUND', 50_000, 0),
    criticalRate: integer(env, 'BENCH_CRITICAL_RATE', 50, 1),
    backgroundInterval: interval,
    backlog: integer(env, 'BENCH_BACKLOG', 100_000, 0),
    workerConcurrency: relay.workerConcurrency,
    stallMs: integer(env, 'BENCH_STALL', 60, 5) * 1000,
  };
}

/** How many worker processes a layout has (0 for `all`: its one process runs the workers too). */
export function workerProcesses(layout: Layout): number {
  return layout === 'all' ? 0 : Number(layout.slice('web+'.length));
}

/** `web + 2 workers`, for tables and the chart. */
export function layoutLabel(layout: Layout): string {
  if (layout === 'all') return 'all (1 process)';
  const n = workerProcesses(layout);
  return `web + ${n} worker${n === 1 ? '' : 's'}`;
}
