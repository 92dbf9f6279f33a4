// Starts a real relay (real Redis, real SQLite or PostgreSQL) against a real HTTP target, with a
// trusted producer key, for end-to-end tests. Everything it makes is unique to one harness.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectionUrl, loadConfig, startRelay, type Relay, type RelayOptions } from '@cds/relay';
import { createTestDatabase, type TestDatabase } from '@cds/relay/testing';
import {
  generateProducerKey,
  importSigner,
  signBatch,
  signEvent,
  type Signer,
  type Source,
  type SyncEvent,
} from '@cds/shared';
import { Redis } from 'ioredis';
import { TargetServer } from './target-server.js';

export interface HarnessOptions extends Partial<Omit<RelayOptions, 'config'>> {
  dialect: 'sqlite' | 'postgres';
  env?: Record<string, string>;
}

export interface IngestResponse {
  status: number;
  body: {
    results?: Array<{ index: number; id?: string; status: string; code?: string; reason?: string }>;
    error?: { code: string; message: string };
  };
}

export class RelayHarness {
  relay!: Relay;
  /** The Canvas side's key (sources canvas and manual, as the LTI tool's). */
  signer!: Signer;
  /** The Discourse side's key (source discourse only). */
  discourseSigner!: Signer;
  readonly target = new TargetServer();
  readonly prefix = `{t-${randomUUID().slice(0, 8)}}`;
  database!: TestDatabase;
  readonly dir = mkdtempSync(join(tmpdir(), 'cds-relay-'));
  env: Record<string, string> = {};

  constructor(private readonly options: HarnessOptions) {}

  get url(): string {
    return this.relay.url!;
  }

  /** Starts everything; on failure, removes what it made (the caller has no harness to stop). */
  async start(): Promise<this> {
    try {
      return await this.startAll();
    } catch (error) {
      await this.stop().catch(() => undefined);
      throw error;
    }
  }

  private async startAll(): Promise<this> {
    this.database = await createTestDatabase(this.options.dialect);
    const pair = await generateProducerKey('canvas', ['canvas', 'manual']);
    const discourse = await generateProducerKey('discourse');
    this.signer = await importSigner(pair.privateJwk);
    this.discourseSigner = await importSigner(discourse.privateJwk);
    writeFileSync(
      join(this.dir, 'trusted.jwks.json'),
      JSON.stringify({ keys: [pair.publicJwk, discourse.publicJwk] }),
    );
    writeFileSync(join(this.dir, 'canvas.private.jwk.json'), JSON.stringify(pair.privateJwk));
    writeFileSync(
      join(this.dir, 'discourse.private.jwk.json'),
      JSON.stringify(discourse.privateJwk),
    );
    const hookUrl = await this.target.start();
    this.env = {
      DATABASE_URL: this.database.url,
      REDIS_URL: connectionUrl('REDIS_URL'),
      QUEUE_PREFIX: this.prefix,
      TRUSTED_JWKS: join(this.dir, 'trusted.jwks.json'),
      RELAY_KEY: join(this.dir, 'relay.private.jwk.json'),
      OUTBOUND_WEBHOOK_URL: hookUrl,
      BACKGROUND_BATCH_INTERVAL: '1h',
      LOG_LEVEL: 'silent',
      RELAY_ADMIN_TOKEN: 'test-admin-token-0123456789',
      ...this.options.env,
    };
    const { dialect: _dialect, env: _env, ...relayOptions } = this.options;
    this.relay = await startRelay({
      config: loadConfig(this.env),
      port: 0,
      // A short retry window: a target that keeps failing dead-letters within about 2 s.
      retry: { windowMs: 1_500, backoffMs: 50, maxBackoffMs: 400 },
      sweeper: { idleMs: 500, intervalMs: 250 },
      breaker: { failureThreshold: 3, openMs: 300 },
      ...relayOptions,
    });
    const jwks = (await (await fetch(`${this.url}/.well-known/jwks.json`)).json()) as { keys: [] };
    this.target.trust(jwks);
    return this;
  }

  /** The key that may send events of a source. */
  signerFor(source: Source): Signer {
    return source === 'discourse' ? this.discourseSigner : this.signer;
  }

  /**
   * Signs events (one JWS each, or batches of `batch`) with the key of each one's source and posts
   * them in order; returns every response.
   */
  async send(events: SyncEvent[], batch = 0): Promise<IngestResponse[]> {
    const responses: IngestResponse[] = [];
    const post = async (body: unknown) => {
      const response = await fetch(`${this.url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      responses.push({
        status: response.status,
        body: (await response.json()) as IngestResponse['body'],
      });
    };
    if (batch === 0) {
      for (const event of events)
        await post({ jws: await signEvent(event, this.signerFor(event.source)) });
      return responses;
    }
    // A batch has one key: runs of events with the same key, each split into batches.
    let start = 0;
    while (start < events.length) {
      const signer = this.signerFor(events[start]!.source);
      let end = start;
      while (
        end < events.length &&
        end - start < batch &&
        this.signerFor(events[end]!.source) === signer
      )
        end += 1;
      await post(await signBatch(events.slice(start, end), signer));
      start = end;
    }
    return responses;
  }

  async eventStates(): Promise<Record<string, number>> {
    const rows = await this.relay.store.db.selectFrom('events').select(['state']).execute();
    const counts: Record<string, number> = {};
    for (const row of rows) counts[row.state] = (counts[row.state] ?? 0) + 1;
    return counts;
  }

  /** Deletes every Redis key of this harness's queues (a targeted FLUSHALL). */
  async flushQueues(): Promise<number> {
    const redis = new Redis(this.env.REDIS_URL!, { maxRetriesPerRequest: 1 });
    redis.on('error', () => undefined); // a stopped Redis shows as the command's failure
    try {
      const keys = await redis.keys(`${this.prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      return keys.length;
    } finally {
      redis.disconnect();
    }
  }

  async stop(): Promise<void> {
    await this.relay?.close();
    await this.target.stop();
    await this.flushQueues().catch(() => undefined);
    await this.database?.dispose();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
