// The ceiling the relay is held to: BullMQ alone on the same Redis, a noop processor, nothing
// durable. Whatever the relay adds (signatures, the log, decisions, deliveries) shows as the gap.
// It is warmed up first, as the relay is, and measured at every size: its rate grows with the
// length of a run, so a ratio is only fair between runs of the same size.
import { performance } from 'node:perf_hooks';
import { Queue, Worker } from 'bullmq';
import { Progress, waitForCount } from './progress.js';
import { blockingConnection, deletePrefix, uniquePrefix } from './redis.js';
import { timeline, type PhaseKind } from './timeline.js';

export interface CeilingOptions {
  redisUrl: string;
  /** Jobs per measured run. */
  sizes: readonly number[];
  /** Unmeasured jobs first. */
  warmup: number;
  /** Worker concurrency: the relay's WORKER_CONCURRENCY. */
  concurrency: number;
  /** The chart's phase: the database whose relay runs are compared with this ceiling. */
  label: string;
  kind: PhaseKind;
  /** Fail when no job completes for this long. */
  stallMs: number;
  /** Jobs per addBulk call: the relay queues one request's events in one call. @defaultValue 100 */
  batch?: number;
}

/** Completed jobs per second, by run size. */
export type Ceiling = Map<number, number>;

/** Adds jobs with addBulk and times them until a noop worker has completed every one. */
export async function measureCeiling(options: CeilingOptions): Promise<Ceiling> {
  const { redisUrl, concurrency } = options;
  const batch = options.batch ?? 100;
  const prefix = uniquePrefix('noop');
  const producer = blockingConnection(redisUrl);
  const consumer = blockingConnection(redisUrl);
  const queue = new Queue('noop', { connection: producer, prefix });
  const worker = new Worker('noop', async () => undefined, {
    connection: consumer,
    prefix,
    concurrency,
  });
  let completed = 0;
  worker.on('completed', () => {
    completed += 1;
    timeline.countApplied(1);
  });
  const endPhase = timeline.begin(options.label, options.kind);
  // Adds `count` jobs in addBulk calls of `batch` and waits until the worker has completed them.
  const pushThrough = async (count: number, progress?: Progress) => {
    const before = completed;
    const adding = (async () => {
      for (let i = 0; i < count; i += batch) {
        await queue.addBulk(
          Array.from({ length: Math.min(batch, count - i) }, (_, j) => ({
            name: 'noop',
            data: { n: i + j },
            opts: { removeOnComplete: true },
          })),
        );
      }
    })();
    await Promise.all([
      adding,
      waitForCount(() => completed - before, count, progress, {
        stallMs: options.stallMs,
        what: 'BullMQ jobs',
      }),
    ]);
  };
  try {
    await worker.waitUntilReady();
    await queue.waitUntilReady();
    if (options.warmup > 0) await pushThrough(options.warmup);
    const ceiling: Ceiling = new Map();
    for (const size of options.sizes) {
      const started = performance.now();
      await pushThrough(size, new Progress(`${options.label}, ${size} jobs`, size, 'completed'));
      ceiling.set(size, size / ((performance.now() - started) / 1000));
    }
    return ceiling;
  } finally {
    endPhase();
    await worker.close().catch(() => undefined);
    await queue.close().catch(() => undefined);
    producer.disconnect();
    consumer.disconnect();
    await deletePrefix(redisUrl, prefix).catch(() => undefined);
  }
}
