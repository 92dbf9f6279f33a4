import cors from 'cors';
import { Router, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { CdsError } from '@cds/shared';
import type { Store } from '../db/connect.js';
import type { Logger } from '../log.js';
import type { StatusBus, StatusMessage } from './bus.js';
import { courseOfPath, parseRequestPart } from '../http/parse.js';
import { principalOf, type Principal } from '../http/auth.js';
import { statusActionsRouter, type StatusActionsDeps } from './actions.js';
import { courseStatus, openConflicts, openDeadLetters } from './course.js';
import { courseLinksView, linksRouter, type LinksRouterDeps } from '../links/router.js';
import { entityStatus, eventStatus, statusSummary, type SummaryOptions } from './queries.js';
import {
  coursePatterns,
  keyPatternsOf,
  keyVisibleTo,
  requireAdmin,
  requireCourse,
  requireKey,
} from './scope.js';

export interface StatusRouterDeps
  extends Omit<SummaryOptions, 'now'>, Pick<StatusActionsDeps, 'tierOf'> {
  store: Store;
  bus: StatusBus;
  logger: Logger;
  /** Guards every route (see http/auth.ts). */
  auth: RequestHandler;
  /**
   * Web origins whose pages may call the API from the browser (the Discourse plugin's front end,
   * with its bearer token; no cookies). None: no cross-origin access. @defaultValue []
   */
  corsOrigins?: readonly string[];
  /** The links API and the course's links in its status (links/router.ts). @defaultValue none */
  links?: LinksRouterDeps;
  /** Comment lines that keep idle streams open through proxies. @defaultValue 15_000 */
  heartbeatMs?: number;
  /** How soon a browser's EventSource reconnects, sent as `retry:`. @defaultValue 3_000 */
  retryMs?: number;
}

/** Bytes a slow stream client may fall behind before it is dropped (it can reconnect). */
const MAX_STREAM_BACKLOG = 1024 * 1024;
/** Event ids whose key a filtered stream remembers. */
const STREAM_KEY_CACHE = 5_000;

const eventId = z.uuid({ error: 'must be an event id (a UUID)' }).transform((s) => s.toLowerCase());
const entityKey = z
  .string({ error: 'must be given once' })
  .min(1, 'must not be empty')
  .max(512, 'must be at most 512 characters');
const entityQuery = z.object({
  key: entityKey.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(20),
});
const streamQuery = z.object({ key: entityKey.optional() });
const courseQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) });

/**
 * The status API (DESIGN.md section 7): `GET /v1/status/events/:id`, `/entities?key=`,
 * `/summary`, and `/stream` (Server-Sent Events of status changes, optionally `?key=`).
 */
export function statusRouter(deps: StatusRouterDeps): Router {
  const router = Router();
  const db = deps.store.db;
  // Before auth: a browser's preflight (OPTIONS) carries no Authorization header.
  if (deps.corsOrigins && deps.corsOrigins.length > 0)
    router.use(
      '/v1/status',
      cors({
        origin: [...deps.corsOrigins],
        methods: ['GET', 'POST', 'PUT', 'DELETE'],
        allowedHeaders: ['Authorization', 'Content-Type'],
        maxAge: 600,
      }),
    );
  router.use('/v1/status', deps.auth);

  router.get('/v1/status/events/:id', async (req, res) => {
    const id = parseRequestPart(eventId, req.params.id, 'path parameter "id"');
    const status = await eventStatus(db, id);
    // An event outside the token's scope is answered as absent: its existence is not the reader's.
    if (!status || !keyVisibleTo(principalOf(res.locals), status.event.key))
      throw new CdsError('ERR_NOT_FOUND', `no event ${id} in the relay's log`);
    res.json(status);
  });

  router.get('/v1/status/entities', async (req, res) => {
    const query = parseRequestPart(entityQuery, req.query, 'query parameter');
    if (query.key === undefined) {
      throw new CdsError(
        'ERR_MALFORMED',
        'query parameter "key" is required: the entity key, e.g. course:42/user:7/assignment:9',
      );
    }
    requireKey(principalOf(res.locals), query.key);
    res.json(await entityStatus(db, query.key, query.limit));
  });

  router.get('/v1/status/summary', async (_req, res) => {
    requireAdmin(principalOf(res.locals), 'the summary of every course');
    res.json(await statusSummary(db, deps));
  });

  // Every open conflict and dead letter, for the admins' pages (the plugin's admin page).
  router.get('/v1/status/open-items', async (req, res) => {
    const { limit } = parseRequestPart(courseQuery, req.query, 'query parameter');
    requireAdmin(principalOf(res.locals), 'the open conflicts and dead letters of every course');
    const [conflicts, deadLetters] = await Promise.all([
      openConflicts(db, ['%'], limit),
      openDeadLetters(db, ['%'], limit),
    ]);
    res.json({ conflicts, deadLetters });
  });

  router.get('/v1/status/courses/:course', async (req, res) => {
    const course = courseOfPath(req.params);
    const { limit } = parseRequestPart(courseQuery, req.query, 'query parameter');
    const principal = principalOf(res.locals);
    requireCourse(principal, course);
    const patterns = keyPatternsOf(principal) ?? coursePatterns(course);
    const [status, links] = await Promise.all([
      courseStatus(db, course, patterns, { limit }),
      deps.links && courseLinksView(deps.links.store, course, principal, patterns),
    ]);
    res.json({ ...status, ...(links && { links }) });
  });

  if (deps.links) router.use(linksRouter(deps.links));

  // Actions queue work: only where the relay has its queues (every web process does).
  if (deps.queues)
    router.use(
      statusActionsRouter({ store: deps.store, queues: deps.queues, tierOf: deps.tierOf }),
    );

  router.get('/v1/status/stream', async (req, res) => {
    const { key } = parseRequestPart(streamQuery, req.query, 'query parameter');
    const principal = principalOf(res.locals);
    if (key !== undefined) requireKey(principal, key);
    await stream(deps, res, key, principal);
  });

  return router;
}

/**
 * One SSE client: a bus listener writing `id:`/`data:` frames, a heartbeat comment, and cleanup
 * when the client goes. Changes are written in the order they arrive, even when a keyless change
 * (a delivery reported by event id) needs its key looked up first.
 */
async function stream(
  deps: StatusRouterDeps,
  res: Response,
  key: string | undefined,
  principal: Principal,
) {
  // A scoped reader gets only its keys: every message's key is looked up as for a ?key= filter.
  const wanted = (k: string) => (key === undefined ? keyVisibleTo(principal, k) : k === key);
  const filtered = key !== undefined || keyPatternsOf(principal) !== undefined;
  const keyOf = new Map<string, string>();
  const remember = (id: string, k: string) => {
    if (keyOf.size >= STREAM_KEY_CACHE) keyOf.delete(keyOf.keys().next().value!);
    keyOf.set(id, k);
  };
  const matches = async (message: StatusMessage): Promise<boolean> => {
    if (!filtered) return true;
    if (message.key !== undefined) {
      remember(message.id, message.key);
      return wanted(message.key);
    }
    let known = keyOf.get(message.id);
    if (known === undefined && message.type === 'event') {
      const row = await deps.store.db
        .selectFrom('events')
        .select('key')
        .where('id', '=', message.id)
        .executeTakeFirst();
      if (row) remember(message.id, (known = row.key));
    }
    return known !== undefined && wanted(known);
  };

  let closed = false;
  let sequence = 0;
  // Frames wait until the headers are out: a change can arrive while the subscription settles.
  let open!: () => void;
  let chain = new Promise<void>((resolve) => (open = resolve));
  const write = (message: StatusMessage) => {
    if (closed) return;
    sequence += 1;
    res.write(`id: ${message.at}-${sequence}\ndata: ${JSON.stringify(message)}\n\n`);
    if (res.writableLength > MAX_STREAM_BACKLOG) {
      deps.logger.warn({ key }, 'status stream client too slow: disconnecting it');
      res.destroy();
    }
  };
  const unsubscribe = await deps.bus.subscribe((message) => {
    chain = chain
      .then(async () => {
        if (!closed && (await matches(message))) write(message);
      })
      .catch((error: unknown) => deps.logger.warn({ err: error }, 'status stream write failed'));
  });

  const heartbeat = setInterval(() => {
    if (!closed) res.write(': heartbeat\n\n');
  }, deps.heartbeatMs ?? 15_000);
  heartbeat.unref();
  const cleanup = () => {
    closed = true;
    clearInterval(heartbeat);
    unsubscribe();
  };
  res.on('close', cleanup);
  if (res.destroyed || res.socket === null) return cleanup(); // the client left while we subscribed

  res.status(200).set({
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no', // nginx: pass frames through as they come
  });
  res.flushHeaders();
  res.socket.setNoDelay(true);
  res.write(`retry: ${deps.retryMs ?? 3_000}\n: subscribed\n\n`);
  open();
}
