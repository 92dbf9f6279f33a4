import type { Logger } from '../log.js';
import { withTimeout } from '../util/timeout.js';

/** What `GET /readyz` answers: each dependency `ok` or `down`, never its internal error text. */
export interface Readiness {
  ok: boolean;
  checks: Record<string, 'ok' | 'down'>;
}

/** A dependency that does not answer within this is down (a stopped Redis would hang a ping). */
const CHECK_TIMEOUT_MS = 2_000;

/**
 * Runs each dependency's probe. The answer says only which one is down (anyone may call
 * /readyz); why it is down (host names, driver messages) goes to the log for the operator.
 */
export async function checkReadiness(
  probes: Record<string, () => Promise<unknown>>,
  logger: Logger,
): Promise<Readiness> {
  const checks: Readiness['checks'] = {};
  await Promise.all(
    Object.entries(probes).map(async ([name, probe]) => {
      try {
        await withTimeout(probe(), CHECK_TIMEOUT_MS, name);
        checks[name] = 'ok';
      } catch (error) {
        checks[name] = 'down';
        logger.warn({ err: error, dependency: name }, `readiness: ${name} is down`);
      }
    }),
  );
  return { ok: Object.values(checks).every((v) => v === 'ok'), checks };
}
