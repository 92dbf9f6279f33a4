import {
  Forbidden,
  InvalidEvent,
  parseSyncEvent,
  Replayed,
  toCdsError,
  verifyBatch,
  verifyEventToken,
  type CdsError,
  type ErrorCode,
  type KeyGrant,
  type KeyResolver,
  type MappingRegistry,
  type PolicyTable,
  type ReplayGuard,
  type SyncEvent,
  type Tier,
  type VerifiedClaims,
} from '@cds/shared';
import type { Store } from '../db/connect.js';
import type { Db } from '../store/common.js';
import { writeTransaction } from '../db/transaction.js';
import { logEvents, type LogEntry } from '../store/events.js';
import { recordToken } from '../store/seen-tokens.js';

/** Per event of a request: what the relay did with it. */
export type IngestItem =
  | { index: number; id: string; status: 'accepted' | 'duplicate' }
  | { index: number; id: string; status: 'parked'; code: ErrorCode; reason: string }
  | { index: number; id?: string; status: 'rejected'; code: ErrorCode; reason: string };

/** What every ingest needs: validation, the log (and so the outbox), the queues, reporting. */
export interface IngestCore {
  mappings: MappingRegistry;
  policies: PolicyTable;
  store: Store;
  /** Hands newly logged events to their queues. May fail: the sweeper retries from the log. */
  enqueue: (events: readonly SyncEvent[]) => Promise<void>;
  /** @defaultValue 1000 */
  maxBatchEvents?: number;
  /** Largest event (its JSON) accepted. @defaultValue MAX_EVENT_BYTES (256 KiB) */
  maxEventBytes?: number;
  /** Told what each request did, for metrics and the status stream. Its errors are ignored. */
  onReport?: (report: IngestReport) => void;
}

/** The signed-events ingest: the core, and the producers' keys and token ages it verifies. */
export interface IngestDeps extends IngestCore {
  keys: KeyResolver;
  /** Checks a token's age; its jti is recorded here, in the same transaction as its events. */
  replay: ReplayGuard;
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

function report(deps: IngestCore, value: IngestReport): void {
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

type RawItem = { index: number; raw: unknown; authenticError?: CdsError };

/** Verifies the request's signature: the token's claims, its key's grant, and each event. */
async function verifySigned(
  signed: Signed,
  deps: IngestDeps,
): Promise<{ claims: VerifiedClaims; grant: KeyGrant; raws: RawItem[] }> {
  const limits = { maxBytes: deps.maxEventBytes };
  if (signed.kind === 'single') {
    const { claims, grant, event } = await verifyEventToken(signed.token, deps.keys, limits);
    return { claims, grant, raws: [{ index: 0, raw: event }] };
  }
  const limit = deps.maxBatchEvents ?? 1000;
  if (Array.isArray(signed.events) && signed.events.length > limit) {
    throw new InvalidEvent(
      `batch has ${signed.events.length} events; the limit is ${limit}: split it`,
    );
  }
  const { claims, grant, results } = await verifyBatch(signed, deps.keys, limits);
  const raws = results.map((r) =>
    r.authentic
      ? { index: r.index, raw: r.event }
      : { index: r.index, raw: (signed.events as unknown[])[r.index], authenticError: r.error },
  );
  return { claims, grant, raws };
}

/**
 * Validates one authentic event: envelope, the key's right to speak for its source, and its payload
 * in its own schema. Returns what to log (the validated event), or parks an unknown schema.
 */
function toLogEntry(raw: unknown, grant: KeyGrant, producer: string, deps: IngestCore): LogEntry {
  const event = parseSyncEvent(raw);
  if (!grant.sources.includes(event.source)) {
    throw new Forbidden(
      `producer "${grant.producer}" may not send source "${event.source}" events (its key "${grant.kid}" allows: ${grant.sources.join(', ')})`,
    );
  }
  const tier = deps.policies[event.entity].tier;
  try {
    const { sourcePayload } = deps.mappings.toCanonical(event);
    return { event: { ...event, payload: sourcePayload }, producer, tier, state: 'accepted' };
  } catch (error) {
    const failure = toCdsError(error);
    if (failure.code !== 'ERR_UNKNOWN_SCHEMA') throw failure;
    // Kept, visible and replayable once a mapping for this version exists (DESIGN.md section 4).
    return { event, producer, tier, state: 'parked', reason: failure.message };
  }
}

async function ingestRequest(body: unknown, deps: IngestDeps): Promise<IngestOutcome> {
  const { claims, grant, raws } = await verifySigned(classify(body), deps);
  deps.replay.checkAge(claims);
  return ingestVerified(
    {
      grant,
      producer: claims.iss,
      raws,
      claim: async (trx, now) => {
        if (!(await recordToken(trx, claims.jti, now + deps.replay.rememberMs, now)))
          throw new Replayed(`token ${claims.jti} was already used: sign a new one`);
      },
    },
    deps,
  );
}

/**
 * Events whose sender is already authenticated by other means than a producer's JWS (a Discourse
 * webhook's HMAC): they take the same path as signed ones, from the grant check to the queue.
 */
export interface AuthenticRequest {
  /** Who speaks and for which sources; an event of another source is rejected alone. */
  grant: KeyGrant;
  /** Recorded as each logged event's producer. */
  producer: string;
  events: readonly unknown[];
  /**
   * Records the request's own id in the ingest transaction (so a failed write forgets it too);
   * throws, e.g. Replayed, when the id was already recorded: nothing is written then.
   */
  claim: (trx: Db, now: number) => Promise<void>;
}

/** The ingest path for an AuthenticRequest; the same checks, log, outbox and queue as `ingest`. */
export async function ingestAuthentic(
  request: AuthenticRequest,
  deps: IngestCore,
): Promise<IngestOutcome> {
  try {
    return await ingestVerified(
      { ...request, raws: request.events.map((raw, index) => ({ index, raw })) },
      deps,
    );
  } catch (error) {
    report(deps, { results: [], logged: [], refused: toCdsError(error) });
    throw error;
  }
}

/** An AuthenticRequest, or a signed one once verified, with each event's place in the request. */
type VerifiedRequest = Omit<AuthenticRequest, 'events'> & { raws: RawItem[] };

async function ingestVerified(
  { grant, producer, raws, claim }: VerifiedRequest,
  deps: IngestCore,
): Promise<IngestOutcome> {
  const results: IngestItem[] = [];
  const entries: Array<LogEntry & { index: number }> = [];
  const seenInRequest = new Set<string>();
  for (const { index, raw, authenticError } of raws) {
    if (authenticError) {
      results.push(rejected(index, raw, authenticError));
      continue;
    }
    try {
      const entry = toLogEntry(raw, grant, producer, deps);
      if (seenInRequest.has(entry.event.id)) {
        results.push({ index, id: entry.event.id, status: 'duplicate' });
        continue;
      }
      seenInRequest.add(entry.event.id);
      entries.push({ ...entry, index });
    } catch (error) {
      results.push(rejected(index, raw, toCdsError(error)));
    }
  }

  // All or nothing: the request's id (a token's jti), the log rows and so the outbox commit
  // together, so a producer whose request failed half-way (a 5xx) can send it again and be accepted.
  const inserted = await writeTransaction(deps.store, async (trx) => {
    const now = Date.now();
    await claim(trx, now);
    return entries.length > 0 ? logEvents(trx, entries, now) : new Set<string>();
  });
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
