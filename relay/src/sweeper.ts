import type { PolicyTable, Tier } from '@cds/shared';
import type { Store } from './db/connect.js';
import type { Logger } from './log.js';
import { ensureJob } from './queue/ensure-job.js';
import type { QueuedTier, RelayQueues } from './queue/queues.js';
import { idleDeliveries, touchDeliveries } from './store/deliveries.js';

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
    const cutoff = Date.now() - this.idleMs;
    await this.scheduleBackground();

    const events = await store.db
      .selectFrom('events')
      .select(['id', 'tier'])
      .where('state', '=', 'accepted')
      .where('tier', '!=', 'background')
      .where('updated_at', '<=', cutoff)
      .orderBy('received_at')
      .limit(this.limit)
      .execute();
    let requeuedEvents = 0;
    for (const { id, tier } of events) {
      const queue = queues.decide[tier as QueuedTier];
      const result = await ensureJob(queue, id, () =>
        queues.enqueueDecisions([{ id }], () => tier),
      );
      if (result !== 'present') requeuedEvents += 1;
    }
    if (events.length > 0) {
      await store.db
        .updateTable('events')
        .set({ updated_at: Date.now() })
        .where(
          'id',
          'in',
          events.map((e) => e.id),
        )
        .where('state', '=', 'accepted')
        .execute();
    }

    const deliveries = await idleDeliveries(store.db, cutoff, this.limit);
    const jobs = new Map<
      string,
      { target: string; deliveryId: string; tier: Tier; eventIds: string[] }
    >();
    for (const row of deliveries) {
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
    let requeuedDeliveries = 0;
    for (const [jobId, job] of jobs) {
      const queue = queues.deliverFor(job.target, job.tier);
      const result = await ensureJob(queue, jobId, () =>
        queues.enqueueDelivery(job.target, {
          deliveryId: job.deliveryId,
          tier: job.tier,
          eventIds: job.eventIds,
        }),
      );
      if (result !== 'present') requeuedDeliveries += 1;
    }
    for (const target of new Set(deliveries.map((d) => d.target))) {
      const ids = deliveries.filter((d) => d.target === target).map((d) => d.event_id);
      await touchDeliveries(store.db, target, ids);
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
