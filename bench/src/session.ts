// One relay deployment for one part of the bench: a fresh database, its own Redis prefix, a
// counting target, and the relay's processes started from their environment, as an admin would.
// Everything is removed afterwards, also when the part fails.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DialectName } from '@cds/relay';
import { createTestDatabase } from '@cds/relay/testing';
import type { Producer } from './load.js';
import { RssSampler } from './memory.js';
import { RelayCluster } from './processes.js';
import { waitForCount, type Progress } from './progress.js';
import { deletePrefix, uniquePrefix } from './redis.js';
import { workerProcesses, type BenchSettings, type Layout } from './settings.js';
import { CountingTarget, type Expected } from './target.js';
import { timeline } from './timeline.js';

/** Variables a child needs from the bench's environment; relay settings never leak through. */
const INHERITED = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ'];

export interface SessionOptions {
  dialect: DialectName;
  redisUrl: string;
  producer: Producer;
  settings: BenchSettings;
  /** e.g. `sqlite · web + 2 workers`: the phase of the chart, the prefix of its RSS series. */
  label: string;
  /** Relay settings besides the bench's own, e.g. BACKGROUND_BATCH_INTERVAL. */
  env?: Record<string, string>;
}

/** What the target saw over a whole session. */
export interface SessionReport {
  /** Peak RSS of each relay process, MiB. */
  peakRssMiB: Record<string, number>;
  deliveries: number;
  /** Retries of a delivery already applied (harmless). */
  redeliveries: number;
  /** Events applied twice (by two different deliveries). */
  duplicates: number;
  /** Events the bench never sent. */
  unexpected: number;
}

export class RelaySession {
  constructor(
    readonly options: SessionOptions,
    readonly cluster: RelayCluster,
    readonly target: CountingTarget,
    private readonly sampler: RssSampler,
  ) {}

  /** Each relay process's peak RSS so far, in MiB. */
  peakRss(): Record<string, number> {
    return this.sampler.peaks();
  }

  get url(): string {
    return this.cluster.url;
  }

  /** Starts a layout: the web (or all) process first, then its workers one at a time. */
  async start(layout: Layout): Promise<void> {
    await this.cluster.startWeb(layout === 'all' ? 'all' : 'web');
    for (let i = 0; i < workerProcesses(layout); i += 1) await this.cluster.addWorker();
  }

  /**
   * Waits until every expected event is at the target; a stall, a dead process or a failing
   * `check` fails it.
   */
  async arrival(expected: Expected, progress?: Progress, check?: () => void): Promise<void> {
    await waitForCount(() => expected.arrived, expected.total, progress, {
      stallMs: this.options.settings.stallMs,
      check: () => {
        this.cluster.assertRunning();
        check?.();
      },
      what: `events never reached the target (${this.options.label}): LOST`,
    });
  }
}

/** Runs `body` against a fresh relay deployment; returns its result and the target's counts. */
export async function withRelay<T>(
  options: SessionOptions,
  body: (session: RelaySession) => Promise<T>,
): Promise<{ result: T; report: SessionReport }> {
  const dir = mkdtempSync(join(tmpdir(), 'cds-bench-'));
  const prefix = uniquePrefix('relay');
  const target = new CountingTarget((events, at) =>
    timeline.countApplied(options.dialect, events, at),
  );
  const endPhase = timeline.begin(options.label, options.dialect);
  const database = await createTestDatabase(options.dialect);
  let cluster: RelayCluster | undefined;
  let sampler: RssSampler | undefined;
  try {
    writeFileSync(join(dir, 'trusted.jwks.json'), options.producer.jwks);
    const inherited = Object.fromEntries(
      INHERITED.flatMap((name) => (process.env[name] ? [[name, process.env[name]]] : [])),
    ) as Record<string, string>;
    cluster = new RelayCluster({
      redisUrl: options.redisUrl,
      prefix,
      env: {
        ...inherited,
        DATABASE_URL: database.url,
        REDIS_URL: options.redisUrl,
        QUEUE_PREFIX: prefix,
        TRUSTED_JWKS: join(dir, 'trusted.jwks.json'),
        RELAY_KEY: join(dir, 'relay.private.jwk.json'),
        RELAY_ADMIN_TOKEN: randomBytes(24).toString('hex'),
        OUTBOUND_WEBHOOK_URL: await target.start(),
        WORKER_CONCURRENCY: String(options.settings.workerConcurrency),
        // Loads are signed before their clock starts: a long part must not outlive its tokens.
        TOKEN_MAX_AGE: '1h',
        LOG_LEVEL: 'silent',
        ...options.env,
      },
    });
    const running = cluster;
    sampler = new RssSampler(() => running.processes, options.label);
    const result = await body(new RelaySession(options, cluster, target, sampler));
    // A duplicate would come late (a retried or re-queued delivery): give it a moment to show.
    await sleep(1000);
    cluster.assertRunning();
    const peakRssMiB = sampler.stop();
    return {
      result,
      report: {
        peakRssMiB,
        deliveries: target.deliveries,
        redeliveries: target.redeliveries,
        duplicates: target.duplicateIds.size,
        unexpected: target.unexpected,
      },
    };
  } finally {
    sampler?.stop();
    await cluster?.stop();
    await target.stop();
    endPhase();
    await deletePrefix(options.redisUrl, prefix).catch(() => undefined);
    await database.dispose().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}
