// Drains the outbox to the relay's ingest (`POST /v1/events`, README "The relay in brief"): the
// oldest pending events, up to `batchSize` per request, as one signed batch (one JWS over the
// events' hashes, signBatch). The relay answers per event: accepted and duplicate are done;
// parked and rejected are kept with their reason and not sent again. An unreachable relay, a 5xx,
// 408 or 429, or a refusal of the tool's key (401/403: a configuration to fix) is retried with
// capped exponential backoff and jitter, head of line, so the order holds and nothing is lost;
// pending rows survive restarts in the outbox.
import { signBatch, toCdsError, type Signer } from '@cds/shared';
import { z } from 'zod';
import type { CanvasOutbox, OutboxRow } from './outbox.js';

export interface RelaySenderOptions {
  outbox: CanvasOutbox;
  /** The tool's producer key (sources canvas and manual). */
  signer: Signer;
  /** The relay's base URL, e.g. `http://127.0.0.1:8080`. */
  relayUrl: string;
  /** Events per signed batch. @defaultValue 100 */
  batchSize?: number;
  /** First retry delay after a transient failure. @defaultValue 500 */
  backoffMs?: number;
  /** Longest retry delay. @defaultValue 60000 */
  maxBackoffMs?: number;
  /** How often to look for work when nobody calls `wake()`. @defaultValue 5000 */
  idleMs?: number;
  /** How long one request may take. @defaultValue 15000 */
  timeoutMs?: number;
  /** Told about failures (for the log); never throws into the loop. */
  onError?: (message: string) => void;
}

export interface RelaySenderStats {
  batches: number;
  done: number;
  refused: number;
  transientFailures: number;
  /** The last transient failure, cleared by a success. */
  lastError: string | undefined;
}

export interface RelaySender {
  /** Starts the loop (idempotent). */
  start(): void;
  /** Asks the loop to look at the outbox now (after the intake or the poller stored events). */
  wake(): void;
  /**
   * Sends everything pending now, without waiting for backoff; resolves with how many are still
   * pending (more than 0 when the relay failed). For tests and `cds`-style one-shot use.
   */
  flush(): Promise<number>;
  readonly stats: RelaySenderStats;
  /** Stops the loop after the request in flight (idempotent). */
  close(): Promise<void>;
}

const resultSchema = z.object({
  index: z.number().int().nonnegative(),
  id: z.string().optional(),
  status: z.enum(['accepted', 'duplicate', 'parked', 'rejected']),
  code: z.string().optional(),
  reason: z.string().optional(),
});
const answerSchema = z.object({
  results: z.array(resultSchema).optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});

/** One attempt's outcome: settled (the relay gave a verdict per event), or why to retry later. */
type Attempt =
  | { kind: 'settled' }
  | { kind: 'transient'; reason: string; retryAfterMs?: number }
  | { kind: 'split'; reason: string };

export function createRelaySender(options: RelaySenderOptions): RelaySender {
  const batchSize = options.batchSize ?? 100;
  const backoffMs = options.backoffMs ?? 500;
  const maxBackoffMs = options.maxBackoffMs ?? 60_000;
  const idleMs = options.idleMs ?? 5_000;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const endpoint = new URL('/v1/events', options.relayUrl).toString();
  const { outbox, signer } = options;
  const stats: RelaySenderStats = {
    batches: 0,
    done: 0,
    refused: 0,
    transientFailures: 0,
    lastError: undefined,
  };

  /** Shrinks after a whole-request refusal, to isolate the event the relay will not take. */
  let limit = batchSize;
  let failures = 0;
  let running = false;
  let closed = false;
  let loop: Promise<void> | undefined;
  let wakeUp: (() => void) | undefined;
  /** True while waiting out a backoff: new work does not cut it short (no hammering). */
  let backingOff = false;
  let busy: Promise<unknown> = Promise.resolve();

  async function attempt(rows: OutboxRow[]): Promise<Attempt> {
    const events = rows.map((r) => r.event);
    let response: Response;
    try {
      // Signed afresh on every attempt: a new jti, so a retry is never refused as a replay.
      const body = JSON.stringify(await signBatch(events, signer));
      response = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      return { kind: 'transient', reason: `relay unreachable: ${toCdsError(error).message}` };
    }
    const text = await response.text().catch(() => '');
    const status = response.status;
    if (status >= 500 || status === 408 || status === 429)
      return {
        kind: 'transient',
        reason: `relay answered ${status}: ${text.slice(0, 200)}`,
        retryAfterMs: retryAfter(response.headers.get('retry-after')),
      };
    let parsed: z.infer<typeof answerSchema> | undefined;
    try {
      parsed = answerSchema.parse(JSON.parse(text));
    } catch {
      parsed = undefined;
    }
    const results = parsed?.results;
    if (results && results.length === rows.length) {
      const outcomes = rows.map((row, index) => {
        const r = results.find((x) => x.index === index);
        if (!r) return { id: row.event.id, state: 'rejected' as const, reason: 'no result' };
        if (r.status === 'accepted' || r.status === 'duplicate')
          return { id: row.event.id, state: 'done' as const };
        return {
          id: row.event.id,
          state: r.status,
          reason: `${r.code ?? 'ERR_REJECTED'}: ${r.reason ?? r.status}`,
        };
      });
      await outbox.settle(outcomes);
      stats.done += outcomes.filter((o) => o.state === 'done').length;
      stats.refused += outcomes.filter((o) => o.state !== 'done').length;
      return { kind: 'settled' };
    }
    const reason = parsed?.error
      ? `relay refused the batch (${status} ${parsed.error.code}): ${parsed.error.message}`
      : `relay answered ${status}: ${text.slice(0, 200)}`;
    // The tool's key is not trusted (yet) or may not speak for canvas: fix the configuration;
    // the events wait, visible with this reason.
    if (status === 401 || status === 403) return { kind: 'transient', reason };
    return { kind: 'split', reason };
  }

  /** One step: sends the next batch. Returns false when there is nothing to send. */
  async function step(): Promise<{ sent: boolean; wait?: number }> {
    const rows = await outbox.pending(limit);
    if (rows.length === 0) return { sent: false };
    const outcome = await attempt(rows);
    stats.batches += 1;
    if (outcome.kind === 'settled') {
      failures = 0;
      stats.lastError = undefined;
      limit = Math.min(batchSize, limit * 2);
      return { sent: true };
    }
    if (outcome.kind === 'split') {
      if (rows.length === 1) {
        // The relay refuses this event whatever it travels with: keep it, with the reason.
        await outbox.settle([{ id: rows[0]!.event.id, state: 'rejected', reason: outcome.reason }]);
        stats.refused += 1;
        return { sent: true };
      }
      limit = Math.ceil(rows.length / 2);
      return { sent: true };
    }
    failures += 1;
    stats.transientFailures += 1;
    stats.lastError = outcome.reason;
    options.onError?.(outcome.reason);
    await outbox.noteFailure(
      rows.map((r) => r.event.id),
      outcome.reason,
    );
    const exp = Math.min(maxBackoffMs, backoffMs * 2 ** (failures - 1));
    const jittered = exp / 2 + Math.random() * (exp / 2);
    return { sent: false, wait: Math.max(jittered, outcome.retryAfterMs ?? 0) };
  }

  /** Serializes steps: the loop and flush() never send the same rows at once. */
  function exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = busy.then(work, work);
    busy = next.catch(() => undefined);
    return next;
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeUp = undefined;
        resolve();
      }
      wakeUp = done;
    });
  }

  async function run(): Promise<void> {
    while (!closed) {
      let backoff: number | undefined;
      try {
        const result = await exclusive(step);
        if (result.sent) continue;
        backoff = result.wait;
      } catch (error) {
        // The database failed: try again later, nothing is lost.
        const message = `outbox unavailable: ${toCdsError(error).message}`;
        stats.lastError = message;
        options.onError?.(message);
      }
      backingOff = backoff !== undefined;
      if (!closed) await sleep(backoff ?? idleMs);
      backingOff = false;
    }
  }

  return {
    stats,
    start() {
      if (running || closed) return;
      running = true;
      loop = run();
    },
    wake() {
      if (!backingOff) wakeUp?.();
    },
    async flush() {
      for (;;) {
        const { sent, wait } = await exclusive(step);
        if (!sent || wait !== undefined) break;
      }
      return (await outbox.counts()).pending;
    },
    async close() {
      closed = true;
      wakeUp?.();
      await loop;
    },
  };
}

/** Retry-After in ms (delta-seconds or an HTTP date), if given. */
function retryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
