import type { PolicyTable } from '@cds/shared';
import type { Store } from './db/connect.js';
import type { Logger } from './log.js';
import { ensureJob } from './queue/ensure-job.js';
import type { DeliverJob, RelayQueues } from './queue/queues.js';
import type { QueuedTier } from './queue/tiers.js';
import { idleDeliveries, touchDeliveries } from './store/deliveries.js';
import { idleAcceptedEvents, touchAcceptedEvents } from './store/events.js';

export interface SweeperOptions {
  store: Store;
  queues: RelayQueues;
  policies: PolicyTable;
  logger: Logger;
  /** How long an unfinished event or delivery may sit unchanged before it is re-queued. @defaultValue 30_000 */
  idleMs?: number;
  /** Time between sweeps. @defaultValue 10_000 */
  intervalMs?: number;
  /** Background batch schedule. @defaultValue 3_600_000 */
  backgroundIntervalMs?: number;
  /** Rows looked at per sweep. @defaultValue 5_000 */
  limit?: number;
}

export interface SweepReport {
  requeuedEvents: number;
  requeuedDeliveries: number;
}

/**
 * The outbox's other half (DESIGN.md section 5): finds events logged but not decided, and
 * deliveries decided but not done, that have sat idle, and makes sure their jobs exist. After a
 * Redis crash, restart or FLUSHALL, this is what brings every accepted event to its targets.
 */
export class Sweeper {
  private timer?: NodeJS.Timeout;
  private running?: Promise<SweepReport>;
  private readonly idleMs: number;
  private readonly limit: number;

  constructor(private readonly options: SweeperOptions) {
    this.idleMs = options.idleMs ?? 30_000;
    this.limit = options.limit ?? 5_000;
  }

  /** Registers the background batch schedule (idempotent: also restores it after a FLUSHALL). */
  async scheduleBackground(): Promise<void> {
    await this.options.queues.background.upsertJobScheduler(
      'background-batch',
      { every: this.options.backgroundIntervalMs ?? 3_600_000 },
      { name: 'batch', opts: { removeOnComplete: true, removeOnFail: 100 } },
    );
  }

  start(): void {
    const tick = () => {
      this.sweepOnce().catch((error: unknown) =>
        this.options.logger.warn({ err: error }, 'sweep failed; will try again'),
      );
    };
    this.timer = setInterval(tick, this.options.intervalMs ?? 10_000);
    this.timer.unref();
    tick();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One sweep; concurrent calls share the running one. */
  sweepOnce(): Promise<SweepReport> {
    this.running ??= this.sweep().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async sweep(): Promise<SweepReport> {
    const { store, queues } = this.options;
    await this.scheduleBackground();
    const lost = await findLostWork(store, Date.now() - this.idleMs, this.limit);

    let requeuedEvents = 0;
    for (const { id, tier } of lost.events) {
      const result = await ensureJob(queues.decide[tier], id, () =>
        queues.enqueueDecisions([{ id }], () => tier),
      );
      if (result !== 'present') requeuedEvents += 1;
    }
    await touchAcceptedEvents(
      store.db,
      lost.events.map((e) => e.id),
    );

    let requeuedDeliveries = 0;
    for (const job of lost.deliveries) {
      const { target, ...data } = job;
      const result = await ensureJob(
        queues.deliverFor(target, job.tier),
        `${job.deliveryId}.${target}`,
        () => queues.enqueueDelivery(target, data),
      );
      if (result !== 'present') requeuedDeliveries += 1;
    }
    for (const target of new Set(lost.deliveries.map((job) => job.target))) {
      const jobs = lost.deliveries.filter((job) => job.target === target);
      await touchDeliveries(
        store.db,
        target,
        jobs.flatMap((job) => job.eventIds),
      );
    }
    if (requeuedEvents + requeuedDeliveries > 0) {
      this.options.logger.info(
        { requeuedEvents, requeuedDeliveries },
        'sweeper re-queued lost work',
      );
    }
    return { requeuedEvents, requeuedDeliveries };
  }
}

/** What a sweep looks at: idle events to decide, and idle deliveries grouped into their jobs. */
export interface LostWork {
  events: Array<{ id: string; tier: QueuedTier }>;
  deliveries: Array<DeliverJob & { target: string }>;
}

/**
 * Finds work that sat unchanged since `cutoff` (at most `limit` rows of each kind): accepted
 * events of the queued tiers, and pending deliveries, grouped per delivery id and target as the
 * delivery jobs that carry them. Reads only the store, so it is tested without Redis.
 */
export async function findLostWork(store: Store, cutoff: number, limit: number): Promise<LostWork> {
  const events = await idleAcceptedEvents(store.db, cutoff, limit);
  const jobs = new Map<string, DeliverJob & { target: string }>();
  for (const row of await idleDeliveries(store.db, cutoff, limit)) {
    const jobKey = `${row.delivery_id}.${row.target}`;
    const job = jobs.get(jobKey) ?? {
      target: row.target,
      deliveryId: row.delivery_id,
      tier: row.tier,
      eventIds: [],
    };
    job.eventIds.push(row.event_id);
    jobs.set(jobKey, job);
  }
  return { events, deliveries: [...jobs.values()] };
}
