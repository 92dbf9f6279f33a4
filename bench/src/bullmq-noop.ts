// The ceiling the relay is held to: BullMQ alone on the same Redis, a noop processor, nothing
// durable. Whatever the relay adds (signatures, the log, decisions, deliveries) shows as the gap.
// It is warmed up as the relay is, and measured right before each relay run of the same size:
// its rate grows with the length of a run and drifts with the machine's load, so a ratio is only
// fair between neighbouring runs of the same size.
import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import { Queue, Worker } from 'bullmq';
import { Progress, waitForCount } from './progress.js';
import { blockingConnection, deletePrefix, uniquePrefix } from './redis.js';
import { timeline } from './timeline.js';

export interface CeilingOptions {
  redisUrl: string;
  /** Worker concurrency: the relay's WORKER_CONCURRENCY. */
  concurrency: number;
  /** Fail when no job completes for this long. */
  stallMs: number;
  /** Jobs per addBulk call: the relay queues one request's events in one call. @defaultValue 100 */
  batch?: number;
}

/** A BullMQ queue and noop worker in this process, kept open for every measurement of the run. */
export class BullmqCeiling {
  private readonly prefix = uniquePrefix('noop');
  private readonly producer: Redis;
  private readonly consumer: Redis;
  private readonly queue: Queue;
  private readonly worker: Worker;
  private completed = 0;

  constructor(private readonly options: CeilingOptions) {
    this.producer = blockingConnection(options.redisUrl);
    this.consumer = blockingConnection(options.redisUrl);
    const { prefix } = this;
    this.queue = new Queue('noop', { connection: this.producer, prefix });
    this.worker = new Worker('noop', async () => undefined, {
      connection: this.consumer,
      prefix,
      concurrency: options.concurrency,
    });
    this.worker.on('completed', () => {
      this.completed += 1;
      timeline.countApplied('bullmq', 1);
    });
  }

  /** Adds `count` jobs in addBulk calls and waits until the worker has completed them. */
  private async pushThrough(count: number, progress?: Progress): Promise<void> {
    await this.worker.waitUntilReady();
    await this.queue.waitUntilReady();
    const batch = this.options.batch ?? 100;
    const before = this.completed;
    const adding = (async () => {
      for (let i = 0; i < count; i += batch) {
        await this.queue.addBulk(
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
      waitForCount(() => this.completed - before, count, progress, {
        stallMs: this.options.stallMs,
        what: 'BullMQ jobs',
      }),
    ]);
  }

  /** An unmeasured run, as each relay layout gets before it is measured. */
  async warmUp(jobs: number): Promise<void> {
    if (jobs > 0) await this.pushThrough(jobs);
  }

  /** Completed jobs per second over a run of `jobs`. */
  async measure(jobs: number): Promise<number> {
    const endPhase = timeline.begin('bullmq no-op', 'bullmq');
    try {
      const started = performance.now();
      await this.pushThrough(jobs, new Progress(`bullmq no-op, ${jobs} jobs`, jobs, 'completed'));
      return jobs / ((performance.now() - started) / 1000);
    } finally {
      endPhase();
    }
  }

  async close(): Promise<void> {
    await this.worker.close().catch(() => undefined);
    await this.queue.close().catch(() => undefined);
    this.producer.disconnect();
    this.consumer.disconnect();
    await deletePrefix(this.options.redisUrl, this.prefix).catch(() => undefined);
  }
}
