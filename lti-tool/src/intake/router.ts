// POST /v1/intake/canvas (DESIGN.md section 8): Canvas's Live Events HTTPS delivery. Canvas
// retries a failed POST a few times and then drops the event, so the answer is 200 only once what
// the event maps to is in the durable outbox; anything transient (JWKS out of reach, a lookup or
// the database failing) is a 503 that Canvas retries, and a body that can never succeed is a 4xx
// with the reason. A redelivered Live Event maps to the same ids and content: stored once.
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import {
  CdsError,
  mapCanvasLiveEvent,
  toCdsError,
  type CanvasLookup,
  type CanvasMapOptions,
} from '@cds/shared';
import type { CanvasOutbox, EnqueueResult } from '../sender/outbox.js';
import { IntakeError, type LiveEventsVerifier } from './verify.js';

/** The path Canvas's subscription points at. */
export const CANVAS_INTAKE_PATH = '/v1/intake/canvas';

export interface CanvasIntakeDeps {
  verify: LiveEventsVerifier;
  outbox: CanvasOutbox;
  /** Quiz submissions and whole wiki pages from Canvas REST (poller/lookup.ts). */
  lookup?: CanvasLookup;
  /** The rest of the mapping's options (certificate courses, pass fraction...). */
  mapOptions?: Omit<CanvasMapOptions, 'lookup'>;
  /** Told after events were stored: the sender's `wake`. */
  onStored?: () => void;
  /** Largest body accepted. @defaultValue 1 MiB (Canvas cuts long fields at 8192 characters) */
  maxBodyBytes?: number;
  /** Told about 503s (for the log). */
  onError?: (error: CdsError) => void;
}

export interface CanvasIntakeStats {
  received: number;
  stored: number;
  unchanged: number;
  /** Live Events that map to nothing, by reason. */
  skipped: Record<string, number>;
  refused: number;
}

export type CanvasIntakeRouter = Router & { stats: CanvasIntakeStats };

const STATUS: Partial<Record<CdsError['code'], number>> = {
  ERR_MALFORMED: 400,
  ERR_INVALID_EVENT: 400,
  ERR_TOO_LARGE: 413,
  ERR_UNAUTHORIZED: 401,
  ERR_BAD_SIGNATURE: 401,
  ERR_UNKNOWN_KEY: 401,
  ERR_EXPIRED: 401,
};

/** The Live Events intake; mount it at the root of the tool's app (it serves CANVAS_INTAKE_PATH). */
export function canvasIntakeRouter(deps: CanvasIntakeDeps): CanvasIntakeRouter {
  const stats: CanvasIntakeStats = {
    received: 0,
    stored: 0,
    unchanged: 0,
    skipped: {},
    refused: 0,
  };
  const router = Router() as CanvasIntakeRouter;
  router.stats = stats;

  const fail = (res: Response, error: CdsError, status?: number) => {
    const code =
      status ?? (error instanceof IntakeError ? error.status : (STATUS[error.code] ?? 503));
    if (code >= 500) deps.onError?.(error);
    else stats.refused += 1;
    res.status(code).json({ error: { code: error.code, message: error.message } });
  };

  router.post(
    CANVAS_INTAKE_PATH,
    // Whatever the Content-Type says, the body is read as text: a JWT, or JSON.
    express.text({ type: () => true, limit: deps.maxBodyBytes ?? 1024 * 1024 }),
    async (req: Request, res: Response) => {
      stats.received += 1;
      const body = typeof req.body === 'string' ? req.body : '';
      let event: unknown;
      try {
        ({ event } = await deps.verify(body));
      } catch (error) {
        return fail(res, toCdsError(error));
      }
      let mapped: Awaited<ReturnType<typeof mapCanvasLiveEvent>>;
      try {
        mapped = await mapCanvasLiveEvent(event, { ...deps.mapOptions, lookup: deps.lookup });
      } catch (error) {
        const failure = toCdsError(error);
        // A body that does not fit is Canvas's final answer; a lookup that failed is transient.
        if (failure.code === 'ERR_INVALID_EVENT') return fail(res, failure, 400);
        return fail(res, failure, 503);
      }
      if ('skipped' in mapped) {
        stats.skipped[mapped.skipped] = (stats.skipped[mapped.skipped] ?? 0) + 1;
        return void res.json({ skipped: mapped.skipped });
      }
      let results: EnqueueResult[];
      try {
        results = await deps.outbox.enqueue(mapped.events, 'live_event');
      } catch (error) {
        return fail(
          res,
          new CdsError(
            'ERR_UNAVAILABLE',
            `could not store the event: ${toCdsError(error).message}`,
            { cause: error },
          ),
          503,
        );
      }
      const stored = results.filter((r) => r.status === 'stored').length;
      stats.stored += stored;
      stats.unchanged += results.length - stored;
      if (stored > 0) deps.onStored?.();
      res.json({ events: results });
    },
  );

  // Body-parser failures (too large, bad encoding) as the same JSON answers.
  router.use(
    CANVAS_INTAKE_PATH,
    (error: unknown, _req: Request, res: Response, next: NextFunction) => {
      const e = error as { type?: string; status?: number };
      if (e?.type === 'entity.too.large')
        return fail(
          res,
          new CdsError(
            'ERR_TOO_LARGE',
            `Live Event body is larger than ${deps.maxBodyBytes ?? 1024 * 1024} bytes`,
          ),
          413,
        );
      if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500)
        return fail(
          res,
          new CdsError(
            'ERR_MALFORMED',
            `Live Event body cannot be read: ${toCdsError(error).message}`,
          ),
          400,
        );
      next(error);
    },
  );
  return router;
}
