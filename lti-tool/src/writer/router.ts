// POST /v1/deliveries: the relay's Canvas-bound deliveries (DESIGN.md section 5b), verified with
// verifyDelivery against the relay's JWKS and applied to Canvas once per delivery id. Answers:
// 200 `{rejected: [...]}` (deliveryResultSchema; events refused for good, with why), 401/400 for a
// delivery that is not the relay's or not valid, 503 + Retry-After when the relay's keys or Canvas
// cannot be reached or Canvas throttles (the relay retries the whole delivery under the same id).
import express, { type Request, type Response, type Router } from 'express';
import { isCdsError, verifyDelivery, type DeliveryKeys, type DeliveryResult } from '@cds/shared';
import { CanvasUnavailable } from './canvas-client.js';
import type { CanvasWriter } from './writer.js';

export const DELIVERIES_ROUTE = '/v1/deliveries';

export interface DeliveriesRouterDeps {
  writer: CanvasWriter;
  /** The relay's public keys: its JWKS URL (fetched once, fetched again for an unknown kid). */
  relayKeys: DeliveryKeys;
  /** How old a delivery may be. @defaultValue verifyDelivery's 5 minutes */
  maxAgeMs?: number;
  /** Unexpected failures. @defaultValue written to stderr */
  onError?: (error: unknown) => void;
}

const STATUS_OF: Record<string, number> = {
  ERR_MALFORMED: 400,
  ERR_UNAVAILABLE: 503,
};

export function canvasDeliveriesRouter(deps: DeliveriesRouterDeps): Router {
  const onError =
    deps.onError ??
    ((error: unknown) =>
      process.stderr.write(`lti-tool deliveries: ${String((error as Error).stack ?? error)}\n`));
  const router = express.Router();
  router.post(
    DELIVERIES_ROUTE,
    express.text({ type: () => true, limit: '10mb' }),
    async (req: Request, res: Response) => {
      const body: unknown = req.body;
      if (typeof body !== 'string' || body.length === 0) {
        res.status(400).json({
          error: {
            code: 'ERR_MALFORMED',
            message: 'expected the delivery JWS as the body (application/jose)',
          },
        });
        return;
      }
      const idempotencyKey = req.get('idempotency-key');
      if (!idempotencyKey) {
        res.status(400).json({
          error: { code: 'ERR_MALFORMED', message: 'the Idempotency-Key header is missing' },
        });
        return;
      }
      let delivery;
      try {
        delivery = await verifyDelivery(body, {
          keys: deps.relayKeys,
          idempotencyKey,
          maxAgeMs: deps.maxAgeMs,
        });
      } catch (error) {
        if (!isCdsError(error)) throw error;
        const status = STATUS_OF[error.code] ?? 401;
        if (status === 503) res.set('retry-after', '5');
        res.status(status).json({ error: { code: error.code, message: error.message } });
        return;
      }
      try {
        const { rejected } = await deps.writer.write(delivery);
        const result: DeliveryResult = { rejected };
        res.status(200).json(result);
      } catch (error) {
        if (error instanceof CanvasUnavailable) {
          res
            .status(503)
            .set('retry-after', String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))))
            .json({ error: { code: error.code, message: error.message } });
          return;
        }
        onError(error);
        res.status(500).json({
          error: {
            code: 'ERR_INTERNAL',
            message: 'the delivery could not be applied; it will be retried',
          },
        });
      }
    },
  );
  return router;
}
