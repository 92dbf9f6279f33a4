import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { v7 as uuidv7 } from 'uuid';
import type { MappingRegistry, PolicyTable, Tier } from '@cds/shared';
import type { Store } from '../db/connect.js';
import type { EventState } from '../db/schema.js';
import { CircuitBreaker, type BreakerOptions } from '../connectors/breaker.js';
import { isTargetError, type Connector } from '../connectors/connector.js';
import type { Logger } from '../log.js';
import { decideEvents, type DecideOutcome } from '../processors/decide.js';
import { deliverToTarget, recordDeliveryFailure } from '../processors/deliver.js';
import {
  QUEUE_NAMES,
  DELIVERY_LANES,
  type DeliveryLane,
  QUEUED_TIERS,
  type DecideJob,
  type DeliverJob,
  type RelayQueues,
  type RetryPolicy,
} from '../queue/queues.js';
import { workerConnection, closeConnection } from '../queue/redis.js';
import { backgroundEventIds } from '../store/events.js';

export interface WorkerDeps {
  redisUrl: string;
  prefix: string;
  store: Store;
  mappings: MappingRegistry;
  policies: PolicyTable;
  connectors: readonly Connector[];
  queues: RelayQueues;
  logger: Logger;
  retry: RetryPolicy;
  /** @defaultValue 16 */
  concurrency?: number;
  /** High-tier deliveries per second per target. @defaultValue 20 */
  targetRateLimit?: number;
  breaker?: BreakerOptions;
  /** How often BullMQ looks for jobs of crashed workers. @defaultValue 30_000 */
  stalledIntervalMs?: number;
  /** Called after each decision and delivery, for the status stream. */
  onChange?: (change: {
    type: 'event';
    id: string;
    key?: string;
    state: EventState;
    reason?: string | null;
  }) => void;
}

/** Events a background run takes at most at once. */
const BACKGROUND_BATCH_LIMIT = 5000;

/**
 * The worker role: BullMQ wiring only (CONVENTIONS.md #10). Decision workers per tier, the
 * background batch worker, and one delivery worker per target, each target with its own breaker.
 */
export class RelayWorkers {
  private readonly workers: Worker[] = [];
  private readonly connections: Redis[] = [];
  readonly breakers = new Map<string, CircuitBreaker>();
  private closing?: Promise<void>;

  constructor(private readonly deps: WorkerDeps) {}

  start(): void {
    const { deps } = this;
    for (const tier of QUEUED_TIERS) {
      this.add(
        QUEUE_NAMES.decide(tier),
        (job: Job<DecideJob>) => this.decide(job.data.eventIds),
        deps.concurrency ?? 16,
      );
    }
    this.add(QUEUE_NAMES.background, () => this.runBackgroundBatch(), 1);
    for (const connector of deps.connectors) {
      this.breakers.set(connector.name, new CircuitBreaker(deps.breaker));
      for (const lane of DELIVERY_LANES) {
        this.add(
          QUEUE_NAMES.deliver(connector.name, lane),
          (job: Job<DeliverJob>) => this.deliver(connector, lane, job),
          deps.concurrency ?? 16,
          lane === 'paced' ? { max: deps.targetRateLimit ?? 20, duration: 1000 } : undefined,
        );
      }
    }
  }

  private add<T>(
    name: string,
    processor: (job: Job<T>) => Promise<unknown>,
    concurrency: number,
    limiter?: { max: number; duration: number },
  ): void {
    const connection = workerConnection(this.deps.redisUrl);
    this.connections.push(connection);
    const worker = new Worker<T>(name, processor, {
      connection,
      prefix: this.deps.prefix,
      concurrency,
      limiter,
      stalledInterval: this.deps.stalledIntervalMs ?? 30_000,
      // A crash mid-job is not the job's fault: let it be picked up again many times.
      maxStalledCount: 100,
    });
    worker.on('error', (error) =>
      this.deps.logger.warn({ err: error, queue: name }, 'worker error'),
    );
    worker.on('failed', (job, error) =>
      this.deps.logger.debug(
        { queue: name, job: job?.id, err: error.message },
        'job attempt failed',
      ),
    );
    this.workers.push(worker);
  }

  private async decide(eventIds: string[], batchId?: string): Promise<DecideOutcome> {
    const { deps } = this;
    const outcome = await decideEvents(
      { ...deps, targets: deps.connectors.map((c) => c.name) },
      eventIds,
      batchId,
    );
    for (const d of outcome.decisions)
      deps.onChange?.({
        type: 'event',
        id: d.eventId,
        key: d.key,
        state: d.state,
        reason: d.reason,
      });
    if (outcome.toDeliver.length > 0) {
      // A sealed batch is one delivery; other events are delivered one by one, under their own id.
      const jobs: DeliverJob[] = batchId
        ? [{ deliveryId: batchId, tier: 'background', eventIds: outcome.toDeliver }]
        : outcome.decisions
            .filter((d) => d.state === 'delivering')
            .map((d) => ({ deliveryId: d.eventId, tier: d.tier as Tier, eventIds: [d.eventId] }));
      for (const connector of deps.connectors)
        await deps.queues.enqueueDeliveries(connector.name, jobs);
    }
    return outcome;
  }

  /** Every background event waiting in the log, decided and delivered as sealed batches. */
  async runBackgroundBatch(): Promise<number> {
    let total = 0;
    for (;;) {
      const ids = await backgroundEventIds(this.deps.store.db, BACKGROUND_BATCH_LIMIT);
      if (ids.length === 0) return total;
      const outcome = await this.decide(ids, uuidv7());
      total += outcome.decisions.length;
      if (ids.length < BACKGROUND_BATCH_LIMIT) return total;
    }
  }

  private async deliver(
    connector: Connector,
    lane: DeliveryLane,
    job: Job<DeliverJob>,
  ): Promise<number> {
    const { deps } = this;
    const breaker = this.breakers.get(connector.name)!;
    const queue = deps.queues.deliver(connector.name, lane);
    const wait = breaker.waitMs();
    if (wait > 0) {
      await queue.rateLimit(wait);
      throw Worker.RateLimitError();
    }
    try {
      const delivered = await deliverToTarget(deps, connector, job.data);
      breaker.recordSuccess();
      for (const id of job.data.eventIds) deps.onChange?.({ type: 'event', id, state: 'applied' });
      return delivered;
    } catch (error) {
      if (!isTargetError(error)) throw error; // our own trouble (database): BullMQ retries it
      breaker.recordFailure(error.retryAfterMs);
      const attempts = await this.attemptsSoFar(connector.name, job.data.eventIds);
      const final = !error.retryable || attempts + 1 >= deps.retry.attempts;
      await recordDeliveryFailure(deps, connector.name, job.data, error.message, final);
      if (final) {
        for (const id of job.data.eventIds)
          deps.onChange?.({ type: 'event', id, state: 'dead', reason: error.message });
        return 0; // in the dead letters now: nothing left for BullMQ to retry
      }
      if (error.retryAfterMs !== undefined) {
        await queue.rateLimit(error.retryAfterMs);
        throw Worker.RateLimitError();
      }
      throw error;
    }
  }

  private async attemptsSoFar(target: string, eventIds: string[]): Promise<number> {
    const row = await this.deps.store.db
      .selectFrom('deliveries')
      .select((eb) => eb.fn.max('attempts').as('attempts'))
      .where('target', '=', target)
      .where('event_id', 'in', eventIds)
      .executeTakeFirst();
    return Number(row?.attempts ?? 0);
  }

  /** Stops taking jobs, lets running ones finish, closes connections. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const worker of this.workers) await worker.close().catch(() => undefined);
      for (const connection of this.connections) await closeConnection(connection);
    })();
    return this.closing;
  }
}
