// One end-to-end run of a real relay (role all): signed batches in over HTTP, through the log, the
// decision and delivery queues, out to a local webhook target, on SQLite or PostgreSQL.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig, startRelay, type DialectName, type Relay } from '@cds/relay';
import { createTestDatabase, type TestDatabase } from '@cds/relay/testing';
import {
  exampleEvent,
  generateProducerKey,
  importSigner,
  signBatch,
  type SignedBatch,
} from '@cds/shared';
import { RssSampler } from './memory.js';
import { Progress, waitForCount } from './progress.js';
import { deletePrefix, uniquePrefix } from './redis.js';
import { CountingTarget } from './target.js';

export interface RelayRunOptions {
  dialect: DialectName;
  redisUrl: string;
  events: number;
  /** The relay's WORKER_CONCURRENCY. */
  workerConcurrency: number;
  /** Events per signed batch (one POST). @defaultValue 100 */
  batch?: number;
  /** POSTs in flight at once. @defaultValue 4 */
  inFlight?: number;
}

export interface RelayFigures {
  /** Events per second from the first POST until the target has every event. */
  e2ePerSecond: number;
  /** Events per second from the first POST until every POST is answered (logged and queued). */
  ingestPerSecond: number;
  e2eSeconds: number;
  p50Ms: number;
  p99Ms: number;
  /** Peak RSS of this process (relay, client and target together) over its baseline, in MiB. */
  peakRssDeltaMiB: number;
  /** Event ids the target received more than once. */
  duplicates: number;
}

interface IngestResponse {
  counts?: { accepted?: number };
  error?: { code: string; message: string };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Signs `events` grade events (critical tier) in batches, before the clock starts. */
async function signedBatches(
  events: number,
  batch: number,
): Promise<{ bodies: string[]; ids: string[][]; jwks: string }> {
  const pair = await generateProducerKey('bench', ['canvas', 'discourse', 'manual']);
  const signer = await importSigner(pair.privateJwk);
  const bodies: string[] = [];
  const ids: string[][] = [];
  for (let i = 0; i < events; i += batch) {
    const chunk = Array.from({ length: Math.min(batch, events - i) }, (_, j) =>
      exampleEvent('grade', i + j),
    );
    const signed: SignedBatch = await signBatch(chunk, signer);
    bodies.push(JSON.stringify(signed));
    ids.push(chunk.map((e) => e.id));
  }
  return { bodies, ids, jwks: JSON.stringify({ keys: [pair.publicJwk] }) };
}

/** POSTs every body with `inFlight` requests at once; returns when the batch was sent, per body. */
async function postAll(url: string, bodies: readonly string[], inFlight: number) {
  const sentAt: number[] = new Array<number>(bodies.length);
  let next = 0;
  const poster = async () => {
    for (let i = next++; i < bodies.length; i = next++) {
      sentAt[i] = performance.now();
      const response = await fetch(`${url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: bodies[i],
      });
      const answer = (await response.json()) as IngestResponse;
      if (response.status !== 202 || answer.counts?.accepted === undefined) {
        throw new Error(
          `relay answered batch ${i} with HTTP ${response.status}: ${JSON.stringify(answer)}`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, poster));
  return sentAt;
}

/** Starts a relay on a fresh database and Redis prefix, pushes the events through, tears it down. */
export async function runRelayOnce(options: RelayRunOptions): Promise<RelayFigures> {
  const { dialect, redisUrl, events } = options;
  const batch = options.batch ?? 100;
  const label = `relay e2e (${dialect})`;
  const dir = mkdtempSync(join(tmpdir(), 'cds-bench-'));
  const prefix = uniquePrefix('relay');
  const target = new CountingTarget();
  let database: TestDatabase | undefined;
  let relay: Relay | undefined;
  try {
    const { bodies, ids, jwks } = await signedBatches(events, batch);
    writeFileSync(join(dir, 'trusted.jwks.json'), jwks);
    database = await createTestDatabase(dialect);
    const config = loadConfig({
      DATABASE_URL: database.url,
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: prefix,
      TRUSTED_JWKS: join(dir, 'trusted.jwks.json'),
      RELAY_KEY: join(dir, 'relay.private.jwk.json'),
      OUTBOUND_WEBHOOK_URL: await target.start(),
      WORKER_CONCURRENCY: String(options.workerConcurrency),
      // The batches are signed before the clock starts: a long run must not outlive their tokens.
      TOKEN_MAX_AGE: '1h',
      LOG_LEVEL: 'silent',
    });
    relay = await startRelay({ config, role: 'all', port: 0 });

    const allIds = ids.flat();
    const memory = new RssSampler();
    const started = performance.now();
    let ingestEnded = 0;
    const posting = postAll(relay.url!, bodies, options.inFlight ?? 4).then((sentAt) => {
      ingestEnded = performance.now();
      return sentAt;
    });
    // A failed POST ends the wait at once instead of after the stall timeout.
    const [sentAt] = await Promise.all([
      posting,
      Promise.race([
        waitForCount(
          () => target.firstSeenAt.size,
          allIds.length,
          new Progress(label, allIds.length, 'delivered'),
        ),
        posting.then(() => new Promise<never>(() => undefined)),
      ]),
    ]);
    const ended = Math.max(...allIds.map((id) => target.firstSeenAt.get(id)!));
    const peakRssDeltaMiB = memory.stop();

    const latencies = ids
      .flatMap((chunk, i) => chunk.map((id) => target.firstSeenAt.get(id)! - sentAt[i]!))
      .sort((a, b) => a - b);
    const e2eSeconds = (ended - started) / 1000;
    return {
      e2ePerSecond: allIds.length / e2eSeconds,
      ingestPerSecond: allIds.length / ((ingestEnded - started) / 1000),
      e2eSeconds,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      peakRssDeltaMiB,
      duplicates: target.duplicates,
    };
  } finally {
    await relay?.close();
    await target.stop();
    await deletePrefix(redisUrl, prefix).catch(() => undefined);
    await database?.dispose().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}
