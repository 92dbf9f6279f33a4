import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { SyncEvent, Tier } from '@cds/shared';
import { DEFAULT_RETRY, type RetryPolicy } from './retry.js';

export { DEFAULT_RETRY, type RetryPolicy } from './retry.js';

export { QUEUED_TIERS, type QueuedTier } from './tiers.js';
import type { QueuedTier } from './tiers.js';

export const QUEUE_NAMES = {
  decide: (tier: QueuedTier) => `decide-${tier}`,
  background: 'background-batch',
  deliver: (target: string, lane: DeliveryLane) =>
    lane === 'now' ? `deliver-${target}` : `deliver-${target}-paced`,
} as const;

/**
 * Each target has two delivery queues: `now` for critical events (at once) and background batches
 * (already one per interval), and `paced` for high-tier events, rate-limited per target
 * (TARGET_RATE_LIMIT) so a burst of roster changes cannot flood Canvas or Discourse.
 */
export const DELIVERY_LANES = ['now', 'paced'] as const;
export type DeliveryLane = (typeof DELIVERY_LANES)[number];

export function laneOf(tier: Tier): DeliveryLane {
  return tier === 'high' ? 'paced' : 'now';
}

/** BullMQ priorities: lower runs first. Critical jumps every backlog (DESIGN.md section 3). */
export const TIER_PRIORITY: Record<Tier, number> = { critical: 1, high: 5, background: 10 };

/** Job data of a decision job: the log holds the event itself. */
export interface DecideJob {
  eventIds: string[];
}

/** Job data of a delivery job. */
export interface DeliverJob {
  deliveryId: string;
  tier: Tier;
  eventIds: string[];
}

/** Most events decided in one job (one database transaction). */
export const DECIDE_JOB_EVENTS = 100;

/**
 * BullMQ attempts of a delivery job. Target failures do not spend them: the delivery worker
 * retries those itself, by time (queue/retry.ts). These cover our own trouble (a database error);
 * past them the job fails and the sweeper takes it up again.
 */
const OWN_TROUBLE_ATTEMPTS = 5;

const KEEP_FAILED = { age: 7 * 24 * 3600, count: 10_000 };

/**
 * BullMQ prints a queue's connection errors when nobody listens. Redis trouble is reported where a
 * command fails (the ingest still answers from the durable log; the sweeper queues it later).
 */
function quiet<Q extends Queue>(queue: Q): Q {
  queue.on('error', () => undefined);
  return queue;
}

/** The queues a producer (the ingest, the decision worker, the sweeper) adds to. */
export class RelayQueues {
  readonly decide: Record<QueuedTier, Queue<DecideJob>>;
  readonly background: Queue;
  private readonly deliverQueues = new Map<string, Queue<DeliverJob>>();
  private closing?: Promise<void>;

  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
  ) {
    const options = { connection, prefix };
    this.decide = {
      critical: quiet(new Queue<DecideJob>(QUEUE_NAMES.decide('critical'), options)),
      high: quiet(new Queue<DecideJob>(QUEUE_NAMES.decide('high'), options)),
    };
    this.background = quiet(new Queue(QUEUE_NAMES.background, options));
  }

  /** A target's delivery queue of one lane; `deliverFor` picks the lane of a tier. */
  deliver(target: string, lane: DeliveryLane = 'now'): Queue<DeliverJob> {
    const name = QUEUE_NAMES.deliver(target, lane);
    let queue = this.deliverQueues.get(name);
    if (!queue) {
      queue = quiet(
        new Queue<DeliverJob>(name, { connection: this.connection, prefix: this.prefix }),
      );
      this.deliverQueues.set(name, queue);
    }
    return queue;
  }

  deliverFor(target: string, tier: Tier): Queue<DeliverJob> {
    return this.deliver(target, laneOf(tier));
  }

  /**
   * Decision jobs for logged events: the events of one tier that arrived together go in jobs of up
   * to DECIDE_JOB_EVENTS (one transaction each). A job of one event has the event's id as its job
   * id, so the sweeper adding it again is harmless; an event that ends up in two jobs anyway is
   * decided once (the second finds it decided).
   */
  async enqueueDecisions(
    events: readonly Pick<SyncEvent, 'id'>[],
    tierOf: (id: string) => Tier,
  ): Promise<void> {
    const byTier = new Map<QueuedTier, string[]>();
    for (const { id } of events) {
      const tier = tierOf(id);
      if (tier === 'background') continue;
      byTier.set(tier, [...(byTier.get(tier) ?? []), id]);
    }
    for (const [tier, ids] of byTier) {
      const opts: JobsOptions = {
        removeOnComplete: true,
        removeOnFail: KEEP_FAILED,
        attempts: 5,
        backoff: { type: 'exponential', delay: 200, jitter: 0.5 },
      };
      const jobs = [];
      for (let i = 0; i < ids.length; i += DECIDE_JOB_EVENTS) {
        const chunk = ids.slice(i, i + DECIDE_JOB_EVENTS);
        const jobId = chunk.length === 1 ? chunk[0]! : `${chunk[0]}.n${chunk.length}`;
        jobs.push({ name: 'decide', data: { eventIds: chunk }, opts: { ...opts, jobId } });
      }
      await this.decide[tier].addBulk(jobs);
    }
  }

  async enqueueDelivery(target: string, job: DeliverJob): Promise<void> {
    await this.enqueueDeliveries(target, [job]);
  }

  /** Delivery jobs for one target, added in one round trip; job id `<deliveryId>.<target>`. */
  async enqueueDeliveries(target: string, jobs: readonly DeliverJob[]): Promise<void> {
    for (const lane of DELIVERY_LANES) {
      const laneJobs = jobs.filter((job) => laneOf(job.tier) === lane);
      if (laneJobs.length > 0)
        await this.deliver(target, lane).addBulk(this.deliveryJobs(target, laneJobs));
    }
  }

  private deliveryJobs(target: string, jobs: readonly DeliverJob[]) {
    return jobs.map((job) => ({
      name: 'deliver',
      data: job,
      opts: {
        jobId: `${job.deliveryId}.${target}`,
        priority: TIER_PRIORITY[job.tier],
        attempts: OWN_TROUBLE_ATTEMPTS,
        backoff: { type: 'exponential' as const, delay: this.retry.backoffMs, jitter: 0.5 },
        removeOnComplete: true,
        removeOnFail: KEEP_FAILED,
      },
    }));
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const queues = [
        ...Object.values(this.decide),
        this.background,
        ...this.deliverQueues.values(),
      ];
      for (const queue of queues) await queue.close().catch(() => undefined);
    })();
    return this.closing;
  }
}
