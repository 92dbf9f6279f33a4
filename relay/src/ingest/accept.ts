import {
  InvalidEvent,
  parseSyncEvent,
  toCdsError,
  verifyBatch,
  verifyEventToken,
  type CdsError,
  type ErrorCode,
  type KeyRing,
  type MappingRegistry,
  type PolicyTable,
  type ReplayGuard,
  type SyncEvent,
  type Tier,
} from '@cds/shared';
import type { Store } from '../db/connect.js';
import { logEvents, type LogEntry } from '../store/events.js';

/** Per event of a request: what the relay did with it. */
export type IngestItem =
  | { index: number; id: string; status: 'accepted' | 'duplicate' }
  | { index: number; id: string; status: 'parked'; code: ErrorCode; reason: string }
  | { index: number; id?: string; status: 'rejected'; code: ErrorCode; reason: string };

export interface IngestDeps {
  keys: KeyRing;
  replay: ReplayGuard;
  mappings: MappingRegistry;
  policies: PolicyTable;
  store: Store;
  /** Hands newly logged events to their queues. May fail: the sweeper retries from the log. */
  enqueue: (events: readonly SyncEvent[]) => Promise<void>;
  /** @defaultValue 1000 */
  maxBatchEvents?: number;
  /** Told what each request did, for metrics and the status stream. Its errors are ignored. */
  onReport?: (report: IngestReport) => void;
}

/** What one request did: per-event results, the events it logged, or why it was refused whole. */
export interface IngestReport {
  results: readonly IngestItem[];
  /** Events this request wrote to the log (duplicates excluded). */
  logged: ReadonlyArray<{
    id: string;
    key: string;
    entity: string;
    tier: Tier;
    state: 'accepted' | 'parked';
    reason?: string;
  }>;
  /** Set when the whole request was refused (signature, token age, replay, database). */
  refused?: CdsError;
}

function report(deps: IngestDeps, value: IngestReport): void {
  try {
    deps.onReport?.(value);
  } catch {
    // observers never fail a request
  }
}

export interface IngestOutcome {
  results: IngestItem[];
  /** False when the events are logged but could not be queued now (the sweeper will). */
  queued: boolean;
}

/** A request body: a compact JWS string, `{jws}` for one event, or `{jws, events}` for a batch. */
type Signed = { kind: 'single'; token: string } | { kind: 'batch'; jws: unknown; events: unknown };

function classify(body: unknown): Signed {
  if (typeof body === 'string') return { kind: 'single', token: body.trim() };
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const { jws, events } = body as { jws?: unknown; events?: unknown };
    if (events !== undefined) return { kind: 'batch', jws, events };
    if (typeof jws === 'string') return { kind: 'single', token: jws };
  }
  throw new InvalidEvent(
    'body must be a compact JWS, {"jws": "<JWS>"} or {"jws": "<JWS>", "events": [...]}',
  );
}

function idOf(raw: unknown): string | undefined {
  const id = (raw as { id?: unknown } | null)?.id;
  return typeof id === 'string' && id.length <= 64 ? id : undefined;
}

function rejected(index: number, raw: unknown, error: CdsError): IngestItem {
  return { index, id: idOf(raw), status: 'rejected', code: error.code, reason: error.message };
}

/**
 * The ingest path (DESIGN.md section 2 and 5): verify the signature once, check the token's age
 * and jti, validate each event and map it to its canonical schema, write every valid event to the
 * log in one transaction, then queue the new ones. A failure of the whole request throws a
 * CdsError; a failure of one event is reported in its result and loses nothing else.
 */
export async function ingest(body: unknown, deps: IngestDeps): Promise<IngestOutcome> {
  try {
    return await ingestRequest(body, deps);
  } catch (error) {
    report(deps, { results: [], logged: [], refused: toCdsError(error) });
    throw error;
  }
}

async function ingestRequest(body: unknown, deps: IngestDeps): Promise<IngestOutcome> {
  const signed = classify(body);
  let claims;
  let raws: Array<{ index: number; raw: unknown; authenticError?: CdsError }>;
  if (signed.kind === 'single') {
    const verified = await verifyEventToken(signed.token, deps.keys);
    claims = verified.claims;
    raws = [{ index: 0, raw: verified.event }];
  } else {
    const limit = deps.maxBatchEvents ?? 1000;
    if (Array.isArray(signed.events) && signed.events.length > limit) {
      throw new InvalidEvent(
        `batch has ${signed.events.length} events; the limit is ${limit}: split it`,
      );
    }
    const verified = await verifyBatch(signed, deps.keys);
    claims = verified.claims;
    raws = verified.results.map((r) =>
      r.authentic
        ? { index: r.index, raw: r.event }
        : { index: r.index, raw: (signed.events as unknown[])[r.index], authenticError: r.error },
    );
  }
  await deps.replay.check(claims);

  const results: IngestItem[] = [];
  const entries: Array<LogEntry & { index: number }> = [];
  const seenInRequest = new Set<string>();
  for (const { index, raw, authenticError } of raws) {
    if (authenticError) {
      results.push(rejected(index, raw, authenticError));
      continue;
    }
    try {
      const event = parseSyncEvent(raw);
      if (seenInRequest.has(event.id)) {
        results.push({ index, id: event.id, status: 'duplicate' });
        continue;
      }
      seenInRequest.add(event.id);
      const tier = deps.policies[event.entity].tier;
      try {
        deps.mappings.toCanonical(event);
        entries.push({ index, event, producer: claims.iss, tier, state: 'accepted' });
      } catch (error) {
        const failure = toCdsError(error);
        if (failure.code !== 'ERR_UNKNOWN_SCHEMA') throw failure;
        // Kept, visible and replayable once a mapping for this version exists (DESIGN.md section 4).
        entries.push({
          index,
          event,
          producer: claims.iss,
          tier,
          state: 'parked',
          reason: failure.message,
        });
      }
    } catch (error) {
      results.push(rejected(index, raw, toCdsError(error)));
    }
  }

  const inserted =
    entries.length > 0
      ? await deps.store.db.transaction().execute((trx) => logEvents(trx, entries))
      : new Set<string>();
  for (const entry of entries) {
    const id = entry.event.id;
    if (!inserted.has(id)) results.push({ index: entry.index, id, status: 'duplicate' });
    else if (entry.state === 'parked')
      results.push({
        index: entry.index,
        id,
        status: 'parked',
        code: 'ERR_UNKNOWN_SCHEMA',
        reason: entry.reason!,
      });
    else results.push({ index: entry.index, id, status: 'accepted' });
  }
  results.sort((a, b) => a.index - b.index);
  report(deps, {
    results,
    logged: entries
      .filter((e) => inserted.has(e.event.id))
      .map(({ event, tier, state, reason }) => ({
        id: event.id,
        key: event.key,
        entity: event.entity,
        tier,
        state,
        reason,
      })),
  });

  const toQueue = entries
    .filter((e) => e.state === 'accepted' && inserted.has(e.event.id))
    .map((e) => e.event);
  let queued = true;
  if (toQueue.length > 0) {
    try {
      await deps.enqueue(toQueue);
    } catch {
      queued = false; // logged is enough: the sweeper queues them when Redis is back
    }
  }
  return { results, queued };
}
