import express, { type Router } from 'express';
import type { IngestDeps, IngestItem } from '../ingest/accept.js';
import { ingest } from '../ingest/accept.js';
import type { Logger } from '../log.js';
import { signedBody } from './body.js';
import type { Readiness } from './readiness.js';
import { errorHandler, HTTP_STATUS, notFound } from './errors.js';

export interface AppDeps {
  ingest: () => IngestDeps;
  maxBodyBytes: number;
  logger: Logger;
  /** The relay's public key for receivers of its deliveries. */
  relayJwks: { keys: unknown[] };
  /** True when the database and Redis answer. */
  ready: () => Promise<Readiness>;
  /** Further routers (status API, metrics, dashboard). */
  routers?: Router[];
}

/** 202 when anything was kept; otherwise the first rejection's status. */
function statusFor(results: IngestItem[]): number {
  if (results.some((r) => r.status !== 'rejected')) return 202;
  const first = results.find((r) => r.status === 'rejected');
  return first && 'code' in first ? HTTP_STATUS[first.code] : 422;
}

/** The relay's HTTP app (web role): ingest, health, the relay's JWKS, and the routers it is given. */
export function buildApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');

  app.post('/v1/events', ...signedBody(deps.maxBodyBytes), async (req, res) => {
    const outcome = await ingest(req.body, deps.ingest());
    const counts = Object.fromEntries(
      ['accepted', 'duplicate', 'parked', 'rejected'].map((s) => [
        s,
        outcome.results.filter((r) => r.status === s).length,
      ]),
    );
    res.status(statusFor(outcome.results)).json({ ...outcome, counts });
  });

  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/readyz', async (_req, res) => {
    const readiness = await deps.ready();
    res.status(readiness.ok ? 200 : 503).json(readiness);
  });
  app.get('/.well-known/jwks.json', (_req, res) => {
    res.json(deps.relayJwks);
  });

  for (const router of deps.routers ?? []) app.use(router);
  app.use(notFound);
  app.use(errorHandler((error) => deps.logger.error({ err: error }, 'request failed')));
  return app;
}
