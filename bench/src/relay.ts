// The relay's parts of the bench, per database: the BullMQ ceiling and throughput in every
// process layout (same run, same Redis), critical latency under a background batch, and memory
// with a large backlog.
import type { DialectName } from '@cds/relay';
import { BullmqCeiling } from './bullmq-noop.js';
import { benchBacklog, type BacklogResult } from './backlog.js';
import { benchCritical, type CriticalResult } from './critical.js';
import { createProducer, type Producer } from './load.js';
import { timed } from './parts.js';
import { formatCount } from './progress.js';
import { redisUrl } from './redis.js';
import type { SessionReport } from './session.js';
import { layoutLabel, type BenchSettings, type Layout } from './settings.js';
import { benchLayout, type LayoutResult } from './throughput.js';

export const RELAY_PARTS = ['throughput', 'critical', 'memory'] as const;
export type RelayPart = (typeof RELAY_PARTS)[number];

/**
 * The layout of the critical-latency and memory parts: one web and one worker process, the
 * two-core machine's natural split, and the hard case for both (the one worker runs the
 * background batch beside the critical events, and drains the whole backlog alone).
 */
export const REFERENCE_LAYOUT = 'web+1' satisfies Layout;

export interface DialectResults {
  dialect: DialectName;
  layouts: LayoutResult[];
  critical?: { result: CriticalResult; report: SessionReport };
  backlog?: { result: BacklogResult; report: SessionReport };
}

export async function benchRelay(
  settings: BenchSettings,
  dialects: readonly DialectName[],
  parts: ReadonlySet<RelayPart>,
): Promise<DialectResults[]> {
  const common = { redisUrl: redisUrl(), producer: await createProducer(), settings };
  // One BullMQ no-op queue for the whole run, measured beside every relay run (same Redis).
  const ceiling = new BullmqCeiling({
    redisUrl: common.redisUrl,
    concurrency: settings.workerConcurrency,
    stallMs: settings.stallMs,
  });
  try {
    return await benchDialects(settings, dialects, parts, common, ceiling);
  } finally {
    await ceiling.close();
  }
}

async function benchDialects(
  settings: BenchSettings,
  dialects: readonly DialectName[],
  parts: ReadonlySet<RelayPart>,
  common: { redisUrl: string; producer: Producer; settings: BenchSettings },
  ceiling: BullmqCeiling,
): Promise<DialectResults[]> {
  const sizes = settings.sizes.map(formatCount).join(' and ');
  const out: DialectResults[] = [];
  for (const dialect of dialects) {
    const results: DialectResults = { dialect, layouts: [] };
    out.push(results);
    if (parts.has('throughput')) {
      for (const layout of settings.layouts) {
        results.layouts.push(
          await timed(
            `${dialect} ${layoutLabel(layout)}`,
            `relay end to end beside raw BullMQ, ${sizes} grade events in signed batches of 100, median of ${settings.repeat}`,
            () => benchLayout(dialect, layout, common, ceiling),
          ),
        );
      }
    }
    if (parts.has('critical') && settings.background > 0) {
      results.critical = await timed(
        `${dialect} critical latency`,
        `${settings.criticalRate} grade events/s while ${formatCount(settings.background)} background events are applied (BACKGROUND_BATCH_INTERVAL=${settings.backgroundInterval}, ${layoutLabel(REFERENCE_LAYOUT)})`,
        () => benchCritical(dialect, REFERENCE_LAYOUT, common),
      );
    }
    if (parts.has('memory') && settings.backlog > 0) {
      results.backlog = await timed(
        `${dialect} memory`,
        `${formatCount(settings.backlog)} events queued with no worker, then drained (${layoutLabel(REFERENCE_LAYOUT)})`,
        () => benchBacklog(dialect, REFERENCE_LAYOUT, common),
      );
    }
  }
  return out;
}
