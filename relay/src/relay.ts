import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { sql } from 'kysely';
import {
  defaultMappings,
  InvalidConfig,
  ReplayGuard,
  type DiscourseLookup,
  type MappingRegistry,
} from '@cds/shared';
import type { RelayConfig } from './config.js';
import type { BreakerOptions } from './connectors/breaker.js';
import type { Connector } from './connectors/connector.js';
import { DiscourseConnector } from './connectors/discourse/connector.js';
import { DiscourseRest, discourseRestOptions } from './connectors/discourse/rest.js';
import { WebhookConnector } from './connectors/webhook/connector.js';
import { UserDiscovery } from './links/discovery.js';
import { linkedDiscourseLookup } from './links/discourse-lookup.js';
import { ForumSetup } from './links/forum-setup.js';
import { canvasSideNeeds } from './links/needs.js';
import { LinkResolver } from './links/resolver.js';
import { SelfServiceLinks } from './links/self-service.js';
import { LinkService } from './links/service.js';
import { openStore, type Store } from './db/connect.js';
import { buildApp } from './http/app.js';
import { startDiscoursePoller, type DiscoursePoller } from './intake/discourse/poller.js';
import { discourseIntakeRouter } from './intake/discourse/router.js';
import type { IngestCore, IngestDeps } from './ingest/accept.js';
import { checkReadiness } from './http/readiness.js';
import { relayAuth } from './http/auth.js';
import { TrustedKeys, loadRelaySigner } from './keys.js';
import { createLogger, type Logger } from './log.js';
import { RelayMetrics, metricsRouter } from './metrics.js';
import { RelayQueues } from './queue/queues.js';
import { DEFAULT_RETRY, type RetryPolicy } from './queue/retry.js';
import { closeConnection, producerConnection } from './queue/redis.js';
import { StatusBus } from './status/bus.js';
import type { BreakerStates } from './status/queries.js';
import { statusRouter } from './status/router.js';
import { auditKeyChange } from './ops/key-changes.js';
import { coursesOfCategories } from './store/links.js';
import { pruneTokens } from './store/seen-tokens.js';
import { Sweeper } from './sweeper.js';
import { RelayWorkers } from './workers/workers.js';

export type Role = 'all' | 'web' | 'worker';

/** The name of the connector CANVAS_DELIVERY_URL makes (queues, deliveries, dead letters). */
export const CANVAS_CONNECTOR = 'canvas';

export interface RelayOptions {
  config: RelayConfig;
  /** @defaultValue 'all' */
  role?: Role;
  logger?: Logger;
  /** Connectors besides the outbound webhooks (Canvas, Discourse, or a test's). */
  connectors?: Connector[];
  mappings?: MappingRegistry;
  /** Delivery retries; unset fields come from the config (DELIVERY_RETRY_WINDOW, DELIVERY_MAX_BACKOFF). */
  retry?: Partial<RetryPolicy>;
  breaker?: BreakerOptions;
  /** Sweeper timing (tests shorten it). */
  sweeper?: { idleMs?: number; intervalMs?: number };
  stalledIntervalMs?: number;
  /** Port 0 picks a free one. @defaultValue config.port */
  port?: number;
  /** Per webhook request. @defaultValue 10_000 */
  webhookTimeoutMs?: number;
  /** Node process metrics on /metrics. @defaultValue true */
  processMetrics?: boolean;
  /** Heartbeat comments on the status stream (tests shorten it). @defaultValue 15_000 */
  streamHeartbeatMs?: number;
  /**
   * What Discourse webhooks do not say (course and user links, first posts, badges).
   * @defaultValue the relay's link tables (links/discourse-lookup.ts)
   */
  discourseLookup?: DiscourseLookup;
}

export interface Relay {
  store: Store;
  queues: RelayQueues;
  workers?: RelayWorkers;
  sweeper?: Sweeper;
  /** The Discourse reconciliation poller (worker roles, with DISCOURSE_URL and an API key). */
  discoursePoller?: DiscoursePoller;
  /** Status changes shared by every role through Redis. */
  bus: StatusBus;
  metrics: RelayMetrics;
  /**
   * The HTTP app of the web role (ingest, status API, metrics, health), not listening: serve it
   * with `listenRelay`, or mount it in another Express app (`outer.use(relay.app)`).
   */
  app?: Express;
  /** Set by `listenRelay`. */
  server?: Server;
  /** The base URL of the web role once listening, e.g. http://127.0.0.1:8080. */
  url?: string;
  logger: Logger;
  /** Stops intake, lets running jobs finish, closes Redis and the database. Idempotent. */
  close(): Promise<void>;
}

/**
 * Builds the relay in one role without listening (CONVENTIONS.md #18): `web` (the HTTP app),
 * `worker` (BullMQ workers and the sweeper, running) or `all`. Every role shares only Redis and
 * the database, so any number can run side by side, in one process with other apps or alone.
 */
export async function createRelay(options: RelayOptions): Promise<Relay> {
  const { config } = options;
  const role = options.role ?? 'all';
  const logger = options.logger ?? createLogger(config.logLevel);
  const store = await openStore(config.databaseUrl);
  const producer = producerConnection(config.redisUrl);
  const retry: RetryPolicy = {
    ...DEFAULT_RETRY,
    windowMs: config.deliveryRetryWindowMs,
    maxBackoffMs: config.deliveryMaxBackoffMs,
    ...options.retry,
  };
  const queues = new RelayQueues(producer, config.queuePrefix, retry);
  const mappings = options.mappings ?? defaultMappings();
  const { signer, publicJwk } = await loadRelaySigner(config.relayKey);
  const bus = new StatusBus({ redisUrl: config.redisUrl, prefix: config.queuePrefix, logger });
  const links = new LinkService(store, queues);
  // The relay's own Discourse REST client: course forums, automatic user links, the poller.
  const discourse = discourseRestOptions(config, options.webhookTimeoutMs);
  const discourseRest = discourse && new DiscourseRest(discourse);
  const discourseLookup = options.discourseLookup ?? linkedDiscourseLookup(store.db);
  // Filled in once the workers exist (worker roles); the web role has no breakers to show.
  let breakers: BreakerStates | undefined;
  const baseConnectors: Connector[] = [
    ...config.outboundWebhookUrls.map(
      (url, i) =>
        new WebhookConnector({
          name: `webhook-${i + 1}`,
          url,
          signer,
          timeoutMs: options.webhookTimeoutMs,
        }),
    ),
    // The LTI tool writes what flows to Canvas: a connector with a side, not an observer.
    ...(config.canvasDeliveryUrl
      ? [
          new WebhookConnector({
            name: CANVAS_CONNECTOR,
            side: 'canvas',
            url: config.canvasDeliveryUrl,
            // Forum posts count for the author's Canvas user in the category's course.
            needs: canvasSideNeeds,
            signer,
            timeoutMs: options.webhookTimeoutMs,
          }),
        ]
      : []),
    // Canvas-originated events written to Discourse through its REST API.
    ...(discourse ? [new DiscourseConnector(discourse)] : []),
    ...(options.connectors ?? []),
  ];
  const targets = baseConnectors.map((c) => c.name);
  const metrics = new RelayMetrics({
    store,
    logger,
    targets,
    breakers: () => breakers?.(),
    processMetrics: options.processMetrics,
  });
  const connectors = baseConnectors.map((c) => metrics.instrument(c));
  const relay: Relay = { store, queues, bus, metrics, logger, close: async () => undefined };
  // Runs last of the role's steps: workers may still report changes while they stop.
  const closers: Array<() => Promise<void> | void> = [() => bus.close()];

  const tierOf = (entity: keyof RelayConfig['policies']) => config.policies[entity].tier;
  /** The ingest path's log, outbox and queue; the web role adds the producers' keys for JWS. */
  const logAndQueue = (): IngestCore => ({
    mappings,
    policies: config.policies,
    store,
    maxBatchEvents: config.maxBatchEvents,
    maxEventBytes: config.maxEventBytes,
    onReport: (report) => {
      metrics.observeIngest(report);
      for (const { id, key, entity, state, reason } of report.logged)
        bus.publish({ type: 'event', id, key, entity, state, reason });
    },
    enqueue: async (events) => {
      const tiers = new Map(events.map((e) => [e.id, tierOf(e.entity)]));
      await queues.enqueueDecisions(events, (id) => tiers.get(id)!);
    },
  });

  if (role !== 'web') {
    const resolver = new LinkResolver({
      db: store.db,
      service: links,
      discovery:
        discourseRest &&
        new UserDiscovery(store.db, {
          rest: discourseRest,
          externalId: config.discourseExternalId,
          byEmail: config.linkByEmail,
        }),
    });
    const workers = new RelayWorkers({
      redisUrl: config.redisUrl,
      prefix: config.queuePrefix,
      store,
      mappings,
      policies: config.policies,
      connectors,
      queues,
      logger,
      retry,
      links: resolver,
      concurrency: config.workerConcurrency,
      targetRateLimit: config.targetRateLimit,
      breaker: options.breaker,
      stalledIntervalMs: options.stalledIntervalMs ?? config.stalledIntervalMs,
      onChange: ({ id, key, state, reason }) => {
        metrics.observeTransition(state);
        bus.publish({ type: 'event', id, key, state, reason });
      },
    });
    workers.start();
    breakers = () => workers.breakers;
    const sweeper = new Sweeper({
      store,
      queues,
      policies: config.policies,
      logger,
      backgroundIntervalMs: config.backgroundBatchIntervalMs,
      ...options.sweeper,
    });
    sweeper.start();
    relay.workers = workers;
    relay.sweeper = sweeper;
    closers.push(
      () => sweeper.stop(),
      () => workers.close(),
    );
    // Links that deliveries wait for are looked for again now and then: an account may have appeared.
    const recheck = setInterval(() => {
      resolver
        .recheck(Date.now() - config.linkRecheckIntervalMs)
        .catch((error: unknown) =>
          logger.warn({ err: error }, 'rechecking deliveries that wait for links failed'),
        );
    }, config.linkRecheckIntervalMs);
    recheck.unref();
    closers.push(() => clearInterval(recheck));
    if (config.discourseUrl && discourseRest) {
      const poller = startDiscoursePoller({
        rest: discourseRest,
        store,
        // Its events come from Discourse's REST API under the intake's grant: no JWS to verify.
        ingest: logAndQueue,
        lookup: discourseLookup,
        discourseUrl: config.discourseUrl,
        intervalMs: config.discoursePollIntervalMs,
        logger,
      });
      relay.discoursePoller = poller;
      closers.push(() => poller.stop());
    }
  }

  if (role !== 'worker') {
    const keys = new TrustedKeys(config.trustedJwks, logger, {
      onRetired: (jwk) => {
        auditKeyChange(store, 'relay', { action: 'key.retired', jwk }).catch((error: unknown) =>
          logger.warn({ err: error, kid: jwk.kid }, 'could not audit a key retirement'),
        );
      },
    });
    await keys.load();
    keys.watch();
    // Token ids are only needed while their token could pass the age check.
    const pruner = setInterval(() => {
      pruneTokens(store.db).catch((error: unknown) =>
        logger.warn({ err: error }, 'pruning expired token ids failed; will try again'),
      );
    }, 60_000);
    pruner.unref();
    closers.push(() => clearInterval(pruner));
    // The status API also admits the LTI tool's course-scoped tokens and the Discourse plugin's;
    // metrics are for admins only.
    const statusAuth = relayAuth(config.adminToken, keys, {
      discourseTokenSecret: config.discourseTokenSecret,
      clockSkewMs: config.clockSkewMs,
      coursesOfCategories: (ids) => coursesOfCategories(store.db, ids),
    });
    const adminAuth = relayAuth(config.adminToken);
    const replay = new ReplayGuard({
      maxAgeMs: config.tokenMaxAgeMs,
      maxSkewMs: config.clockSkewMs,
    });
    const ingestDeps = (): IngestDeps => ({ ...logAndQueue(), keys, replay });
    const app = buildApp({
      logger,
      maxBodyBytes: config.maxBodyBytes,
      relayJwks: { keys: [publicJwk] },
      ingest: ingestDeps,
      ready: () =>
        checkReadiness(
          {
            database: () => sql`select 1`.execute(store.db),
            redis: () => producer.ping(),
          },
          logger,
        ),
      routers: [
        discourseIntakeRouter({
          secret: config.discourseWebhookSecret,
          ingest: ingestDeps,
          maxBodyBytes: config.maxBodyBytes,
          lookup: discourseLookup,
          discourseUrl: config.discourseUrl,
        }),
        statusRouter({
          store,
          bus,
          logger,
          auth: statusAuth,
          corsOrigins: config.statusCorsOrigins,
          tierOf,
          targets,
          queues,
          breakers: () => breakers?.(),
          heartbeatMs: options.streamHeartbeatMs,
          links: {
            store,
            service: links,
            setup: discourseRest && new ForumSetup(discourseRest, config.linkAllowedCategories),
            selfService:
              config.discourseUrl === undefined
                ? undefined
                : new SelfServiceLinks({
                    store,
                    service: links,
                    discourseUrl: config.discourseUrl,
                  }),
          },
        }),
        metricsRouter(metrics, adminAuth),
      ],
    });
    relay.app = app;
    closers.push(() => keys.stop());
  }

  let closing: Promise<void> | undefined;
  // Idempotent, and every step runs even if one fails (CONVENTIONS.md #9).
  relay.close = () =>
    (closing ??= (async () => {
      for (const step of [
        ...closers.reverse(),
        () => queues.close(),
        () => closeConnection(producer),
        () => store.close(),
      ]) {
        try {
          await step();
        } catch (error) {
          logger.warn({ err: error }, 'shutdown step failed');
        }
      }
    })());
  return relay;
}

/**
 * Serves a relay's app on `port` (0 picks a free one) and makes `close()` stop the server first:
 * keep-alive and SSE clients are cut so the close does not wait on them.
 */
export async function listenRelay(relay: Relay, port: number): Promise<Relay> {
  const { app } = relay;
  if (!app) throw new InvalidConfig('this relay has no HTTP app: its role is "worker"');
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(port, () => resolve(s));
    s.once('error', reject);
  });
  relay.server = server;
  relay.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const closeRest = relay.close;
  let closing: Promise<void> | undefined;
  relay.close = () =>
    (closing ??= (async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await closeRest();
    })());
  return relay;
}

/** `createRelay`, then `listenRelay` for the roles that have an HTTP app. */
export async function startRelay(options: RelayOptions): Promise<Relay> {
  const relay = await createRelay(options);
  if (!relay.app) return relay;
  try {
    return await listenRelay(relay, options.port ?? options.config.port);
  } catch (error) {
    await relay.close();
    throw error;
  }
}
