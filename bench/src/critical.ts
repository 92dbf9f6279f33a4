// Critical latency under background load (issue 9): while a large background batch (forum posts,
// profiles, content edits) is ingested, decided and delivered, grade events are sent one by one at
// a steady rate, and each one's time from POST to its arrival at the target is measured.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DialectName } from '@cds/relay';
import type { EntityType } from '@cds/shared';
import { postAll, postBody } from './ingest.js';
import { signLoad, signSingle, type Producer } from './load.js';
import { Progress, formatCount } from './progress.js';
import { withRelay, type SessionReport } from './session.js';
import { layoutLabel, type BenchSettings, type Layout } from './settings.js';
import { percentile, summarize, type LatencySummary } from './stats.js';
import { Expected } from './target.js';
import { timeline } from './timeline.js';

const BACKGROUND: EntityType[] = ['forum_post', 'profile', 'content_edit'];

export interface CriticalResult {
  dialect: DialectName;
  layout: Layout;
  background_events: number;
  background_interval: string;
  /** Background events per second, from the first POST to the last one applied. */
  background_applied_per_s: number;
  background_seconds: number;
  /** Background events per second accepted by the ingest. */
  background_ingest_per_s: number;
  critical_rate_per_s: number;
  /** Every critical event of the window. */
  critical: LatencySummary;
  /** Those sent while background events were still being ingested. */
  during_ingest: LatencySummary;
  /** Those sent after, while the background batches were decided and delivered. */
  during_drain: LatencySummary;
}

/** Sends one critical event every 1/rate s until stopped; keeps each one's send time. */
class CriticalSender {
  readonly expected = new Expected();
  readonly sent: Array<{ id: string; at: number }> = [];
  private stopped = false;
  private error?: unknown;
  private readonly posts: Promise<void>[] = [];
  private loop?: Promise<void>;

  constructor(
    private readonly url: string,
    private readonly producer: Producer,
    private readonly target: { expect(ids: string[], into: Expected): Expected },
    private readonly rate: number,
  ) {}

  start(): void {
    const period = 1000 / this.rate;
    const origin = performance.now();
    this.loop = (async () => {
      for (let i = 0; !this.stopped; i += 1) {
        // Paced against the start, not the previous send, so a slow moment does not lower the rate.
        const wait = origin + i * period - performance.now();
        if (wait > 0) await sleep(wait);
        if (this.stopped) break;
        this.posts.push(this.sendOne());
      }
    })();
  }

  private async sendOne(): Promise<void> {
    try {
      const { body, id } = await signSingle(this.producer, 'grade');
      this.target.expect([id], this.expected);
      const entry = { id, at: performance.now() };
      this.sent.push(entry);
      entry.at = await postBody(this.url, body, 1);
    } catch (error) {
      this.error ??= error;
      this.stopped = true;
    }
  }

  /** Throws the first failed POST. */
  check(): void {
    if (this.error !== undefined) throw this.error;
  }

  /** Latencies of the critical events that have arrived so far (for the progress line). */
  arrivedLatencies(): number[] {
    const out: number[] = [];
    for (const { id, at } of this.sent) {
      const seen = this.expected.firstSeenAt.get(id);
      if (seen !== undefined) out.push(seen - at);
    }
    return out;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await Promise.all(this.posts);
    this.check();
  }
}

export async function benchCritical(
  dialect: DialectName,
  layout: Layout,
  common: { redisUrl: string; producer: Producer; settings: BenchSettings },
): Promise<{ result: CriticalResult; report: SessionReport }> {
  const { producer, settings } = common;
  const count = settings.background;
  const label = `${dialect} · critical under ${formatCount(count)} background (${layoutLabel(layout)})`;
  return withRelay(
    { ...common, dialect, label, env: { BACKGROUND_BATCH_INTERVAL: settings.backgroundInterval } },
    async (session) => {
      await session.start(layout);
      if (settings.warmup > 0) {
        const warm = await signLoad(producer, ['grade', ...BACKGROUND], settings.warmup);
        const expected = session.target.expect(warm.ids.flat());
        await postAll(
          session.url,
          warm.bodies,
          warm.ids.map((ids) => ids.length),
        );
        await session.arrival(expected);
      }
      const load = await signLoad(producer, BACKGROUND, count);
      const background = session.target.expect(load.ids.flat());
      const sender = new CriticalSender(
        session.url,
        producer,
        session.target,
        settings.criticalRate,
      );

      const started = performance.now();
      let ingestEnded = Number.POSITIVE_INFINITY;
      sender.start();
      const posting = postAll(
        session.url,
        load.bodies,
        load.ids.map((ids) => ids.length),
      ).then(() => {
        ingestEnded = performance.now();
      });
      const progress = new Progress(label, count, 'background applied', () => {
        const latencies = sender.arrivedLatencies().sort((a, b) => a - b);
        return `critical ${latencies.length} applied, p99 ${Math.round(percentile(latencies, 99))} ms`;
      });
      try {
        // A failed POST ends the wait at once (Promise.all), not after the stall timeout.
        await Promise.all([posting, session.arrival(background, progress, () => sender.check())]);
      } finally {
        await sender.stop();
      }
      await session.arrival(sender.expected);

      const ended = background.lastAt;
      const all: number[] = [];
      const duringIngest: number[] = [];
      const duringDrain: number[] = [];
      for (const { id, at } of sender.sent) {
        const ms = sender.expected.firstSeenAt.get(id)! - at;
        timeline.addLatency(at, ms, dialect);
        all.push(ms);
        (at < ingestEnded ? duringIngest : duringDrain).push(ms);
      }
      return {
        dialect,
        layout,
        background_events: count,
        background_interval: settings.backgroundInterval,
        background_applied_per_s: count / ((ended - started) / 1000),
        background_seconds: (ended - started) / 1000,
        background_ingest_per_s: count / ((ingestEnded - started) / 1000),
        critical_rate_per_s: settings.criticalRate,
        critical: summarize(all),
        during_ingest: summarize(duringIngest),
        during_drain: summarize(duringDrain),
      };
    },
  );
}
