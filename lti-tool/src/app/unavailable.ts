// POST /v1/deliveries when the tool cannot write to Canvas: the relay keeps retrying (503), and
// the dead letters it ends with carry the setting to fix.
import { Router } from 'express';
import { DELIVERIES_ROUTE } from '../writer/router.js';

/** How long the relay is asked to wait before trying again. */
const RETRY_AFTER_SECONDS = 300;

export function deliveriesUnavailable(reason: string): Router {
  const router = Router();
  router.post(DELIVERIES_ROUTE, (_req, res) => {
    res
      .status(503)
      .set('retry-after', String(RETRY_AFTER_SECONDS))
      .json({ error: { code: 'ERR_UNAVAILABLE', message: reason } });
  });
  return router;
}
