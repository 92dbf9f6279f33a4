import { Router, type RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { TIERS } from '@cds/shared';
import { BREAKER_STATES } from './connectors/breaker.js';
import { isTargetError, type Connector } from './connectors/connector.js';
import type { Store } from './db/connect.js';
import type { IngestReport } from './ingest/accept.js';
import type { Logger } from './log.js';
import {
  backlogByTier,
  openConflictCount,
  parkedCount,
  targetHealth,
  type BreakerStates,
} from './status/queries.js';

export interface RelayMetricsOptions {
  store: Store;
  logger: Logger;
  /** The configured targets, listed in the gauges before their first delivery. */
  targets: readonly string[];
  breakers?: BreakerStates;
  /** Node process metrics (memory, CPU, event loop). @defaultValue true */
  processMetrics?: boolean;
}

/**
 * The relay's Prometheus metrics (DESIGN.md section 7), in a registry of its own so that several
 * relays in one process do not collide. Counters count what this process did; the gauges (backlog,
 * lag, dead letters, conflicts) are read from the database at each scrape, so every role reports
 * the same truth.
 */
export class RelayMetrics {
  readonly registry = new Registry();
  private readonly ingested: Counter<'status' | 'code'>;
  private readonly refused: Counter<'code'>;
  private readonly transitions: Counter<'state'>;
  private readonly deliveries: Counter<'target' | 'outcome'>;
  private readonly deliverySeconds: Histogram<'target' | 'outcome'>;
  private readonly backlog: Gauge<'tier'>;
  private readonly lag: Gauge<'tier'>;
  private readonly pending: Gauge<'target'>;
  private readonly deadLetters: Gauge<'target'>;
  private readonly breaker: Gauge<'target' | 'state'>;
  private readonly conflicts: Gauge;
  private readonly parked: Gauge;
  private readonly databaseUp: Gauge;

  constructor(private readonly options: RelayMetricsOptions) {
    const registers = [this.registry];
    this.ingested = new Counter({
      name: 'cds_events_ingested_total',
      help: 'Events received by the ingest, by outcome (accepted, duplicate, parked, rejected) and reason code',
      labelNames: ['status', 'code'],
      registers,
    });
    this.refused = new Counter({
      name: 'cds_ingest_requests_refused_total',
      help: 'Ingest requests refused as a whole (signature, token age, replay, malformed), by code',
      labelNames: ['code'],
      registers,
    });
    this.transitions = new Counter({
      name: 'cds_event_transitions_total',
      help: 'Events that reached a state in the workers of this process (decisions, deliveries)',
      labelNames: ['state'],
      registers,
    });
    this.deliveries = new Counter({
      name: 'cds_deliveries_total',
      help: 'Delivery attempts by target and outcome (delivered, retryable_failure, permanent_failure)',
      labelNames: ['target', 'outcome'],
      registers,
    });
    this.deliverySeconds = new Histogram({
      name: 'cds_delivery_duration_seconds',
      help: 'Time a target took to answer a delivery, by target and outcome',
      labelNames: ['target', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.backlog = new Gauge({
      name: 'cds_backlog_events',
      help: 'Events accepted or delivering, not finished, per tier (from the database)',
      labelNames: ['tier'],
      registers,
    });
    this.lag = new Gauge({
      name: 'cds_lag_seconds',
      help: 'Age of the oldest unfinished event per tier (from the database)',
      labelNames: ['tier'],
      registers,
    });
    this.pending = new Gauge({
      name: 'cds_deliveries_pending',
      help: 'Deliveries not yet done, per target (from the database)',
      labelNames: ['target'],
      registers,
    });
    this.deadLetters = new Gauge({
      name: 'cds_dead_letters_open',
      help: 'Open dead letters per target (from the database)',
      labelNames: ['target'],
      registers,
    });
    this.breaker = new Gauge({
      name: 'cds_breaker_state',
      help: 'Circuit breaker state per target in this process (1 for the current state)',
      labelNames: ['target', 'state'],
      registers,
    });
    this.conflicts = new Gauge({
      name: 'cds_conflicts_open',
      help: 'Open conflicts waiting for a person (from the database)',
      registers,
    });
    this.parked = new Gauge({
      name: 'cds_events_parked',
      help: 'Events parked for an unknown schema version (from the database)',
      registers,
    });
    this.databaseUp = new Gauge({
      name: 'cds_database_up',
      help: '1 when the last scrape could read the database, else 0',
      registers,
    });
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** Counts one ingest request's outcome. */
  observeIngest(report: IngestReport): void {
    if (report.refused) this.refused.inc({ code: report.refused.code });
    for (const item of report.results) {
      if ('code' in item) this.ingested.inc({ status: item.status, code: item.code });
      else this.ingested.inc({ status: item.status });
    }
  }

  /** Counts an event reaching a state in this process's workers. */
  observeTransition(state: string): void {
    this.transitions.inc({ state });
  }

  /** The connector, timing and counting each delivery attempt. */
  instrument(connector: Connector): Connector {
    const { deliveries, deliverySeconds } = this;
    return {
      name: connector.name,
      side: connector.side,
      mapping: connector.mapping,
      ...(connector.needs && { needs: (item) => connector.needs!(item) }),
      async deliver(delivery) {
        const stop = deliverySeconds.startTimer({ target: connector.name });
        let outcome = 'delivered';
        try {
          return await connector.deliver(delivery);
        } catch (error) {
          outcome =
            isTargetError(error) && !error.retryable ? 'permanent_failure' : 'retryable_failure';
          throw error;
        } finally {
          stop({ outcome });
          deliveries.inc({ target: connector.name, outcome });
        }
      },
    };
  }

  /** Reads the gauges from the database; on failure they keep their last values. */
  async refresh(): Promise<void> {
    const { db } = this.options.store;
    try {
      const [backlog, targets, conflicts, parked] = await Promise.all([
        backlogByTier(db),
        targetHealth(db, this.options.targets),
        openConflictCount(db),
        parkedCount(db),
      ]);
      for (const tier of TIERS) {
        this.backlog.set({ tier }, backlog[tier].backlog);
        this.lag.set({ tier }, backlog[tier].lagMs / 1000);
      }
      this.pending.reset();
      this.deadLetters.reset();
      for (const [target, health] of Object.entries(targets)) {
        this.pending.set({ target }, health.pending);
        this.deadLetters.set({ target }, health.deadLetters);
      }
      this.conflicts.set(conflicts);
      this.parked.set(parked);
      this.databaseUp.set(1);
    } catch (error) {
      this.databaseUp.set(0);
      this.options.logger.warn({ err: error }, 'metrics: could not read the database');
    }
    const breakers = this.options.breakers?.();
    if (breakers) {
      this.breaker.reset();
      for (const [target, { state }] of breakers)
        for (const s of BREAKER_STATES) this.breaker.set({ target, state: s }, s === state ? 1 : 0);
    }
  }

  /** The text exposition, gauges freshly read. */
  async text(): Promise<string> {
    await this.refresh();
    return this.registry.metrics();
  }
}

/** `GET /metrics` behind `auth`. */
export function metricsRouter(metrics: RelayMetrics, auth: RequestHandler): Router {
  const router = Router();
  router.get('/metrics', auth, async (_req, res) => {
    const text = await metrics.text();
    res.type(metrics.registry.contentType).send(text);
  });
  return router;
}
