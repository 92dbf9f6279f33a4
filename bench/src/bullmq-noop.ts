// The peer of the relay figure: BullMQ alone on the same Redis, a noop processor, nothing durable.
// Whatever the relay adds (signatures, the log, decisions, deliveries) shows as the gap to this.
import { performance } from 'node:perf_hooks';
import { Queue, Worker } from 'bullmq';
import { Progress, waitForCount } from './progress.js';
import { blockingConnection, deletePrefix, uniquePrefix } from './redis.js';

export interface NoopOptions {
  redisUrl: string;
  jobs: number;
  /** Worker concurrency: the relay's WORKER_CONCURRENCY. */
  concurrency: number;
  /** Jobs per addBulk call: the relay queues one request's events in one call. @defaultValue 100 */
  batch?: number;
}

export interface NoopFigures {
  jobsPerSecond: number;
  seconds: number;
}

/** Adds `jobs` jobs with addBulk and times them until a noop worker has completed every one. */
export async function benchBullmqNoop(options: NoopOptions): Promise<NoopFigures> {
  const { redisUrl, jobs, concurrency } = options;
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
  });
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
    await Promise.all([adding, waitForCount(() => completed - before, count, progress)]);
  };
  try {
    await worker.waitUntilReady();
    await queue.waitUntilReady();
    // Unmeasured warm-up, so the JIT and the connections are as warm as the relay's are later on.
    await pushThrough(Math.min(jobs, 1000));
    const started = performance.now();
    await pushThrough(jobs, new Progress('bullmq noop', jobs, 'completed'));
    const seconds = (performance.now() - started) / 1000;
    return { jobsPerSecond: jobs / seconds, seconds };
  } finally {
    await worker.close().catch(() => undefined);
    await queue.close().catch(() => undefined);
    producer.disconnect();
    consumer.disconnect();
    await deletePrefix(redisUrl, prefix).catch(() => undefined);
  }
}
