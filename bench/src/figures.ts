// The relay's results as the figures of DESIGN.md section 8 (SQLite, the default store, unprefixed;
// PostgreSQL with `postgres_`), then the details they come from, and what went wrong.
import type { DialectResults } from './relay.js';
import type { SessionReport } from './session.js';
import type { ThroughputRun } from './throughput.js';

export type Figures = Record<string, unknown>;

/** Every throughput run, each beside the BullMQ ceiling measured next to it. */
export function throughputRuns(results: readonly DialectResults[]): ThroughputRun[] {
  return results.flatMap((r) => r.layouts.flatMap((layout) => layout.runs));
}

function prefixOf(dialect: string): string {
  return dialect === 'sqlite' ? '' : `${dialect}_`;
}

/** The headline figures of one database. */
function headline(r: DialectResults, runs: readonly ThroughputRun[]): Figures {
  const p = prefixOf(r.dialect);
  const out: Figures = {};
  const mine = runs.filter((run) => run.dialect === r.dialect);
  if (mine.length > 0) {
    const largest = Math.max(...mine.map((run) => run.events));
    const atLargest = mine.filter((run) => run.events === largest);
    // The layout an admin would pick: the fastest one.
    const best = atLargest.reduce((a, b) => (b.e2e_per_s > a.e2e_per_s ? b : a));
    out[`${p}ceiling_bullmq_per_s`] = best.ceiling_bullmq_per_s;
    out[`${p}relay_e2e_per_s`] = best.e2e_per_s;
    out[`${p}ratio`] = best.ratio;
    out[`${p}relay_e2e_layout`] = best.layout;
    out[`${p}relay_e2e_events`] = largest;
    const one = atLargest.find((run) => run.layout === 'web+1');
    const two = atLargest.find((run) => run.layout === 'web+2');
    if (one && two) out[`${p}scaling_1_to_2_workers`] = two.e2e_per_s / one.e2e_per_s;
  }
  if (r.critical) {
    const c = r.critical.result;
    out[`${p}critical_p99_ms`] = c.critical.p99Ms;
    out[`${p}critical_p50_ms`] = c.critical.p50Ms;
    out[`${p}critical_max_ms`] = c.critical.maxMs;
    out[`${p}critical_background_events`] = c.background_events;
  }
  if (r.backlog) {
    const b = r.backlog.result;
    if (b.backlog_events === 100_000) out[`${p}rss_mb_100k`] = b.rss_mib;
    out[`${p}rss_mb_backlog`] = b.rss_mib;
    out[`${p}backlog_events`] = b.backlog_events;
  }
  return out;
}

/** Every session's target counts, labelled. */
function sessions(results: readonly DialectResults[]) {
  return results.flatMap((r) => [
    ...r.layouts.map((l) => ({ part: `${r.dialect} ${l.layout} throughput`, ...l.report })),
    ...(r.critical ? [{ part: `${r.dialect} critical`, ...r.critical.report }] : []),
    ...(r.backlog ? [{ part: `${r.dialect} memory`, ...r.backlog.report }] : []),
  ]);
}

/** What must fail the bench: an event applied twice, or one the bench never sent. */
export function problemsOf(results: readonly DialectResults[]): string[] {
  return sessions(results).flatMap((s: SessionReport & { part: string }) => [
    ...(s.duplicates > 0 ? [`${s.duplicates} events applied twice (${s.part})`] : []),
    ...(s.unexpected > 0 ? [`${s.unexpected} unknown events delivered (${s.part})`] : []),
  ]);
}

export function relayFigures(results: readonly DialectResults[]): Figures {
  const runs = throughputRuns(results);
  const all = sessions(results);
  return {
    ...Object.assign({}, ...results.map((r) => headline(r, runs))),
    // A lost event stops the bench before anything is written, so a results file always says 0.
    events_lost: 0,
    events_duplicated: all.reduce((n, s) => n + s.duplicates, 0),
    events_unexpected: all.reduce((n, s) => n + s.unexpected, 0),
    throughput_runs: runs,
    layouts: results.flatMap((r) =>
      r.layouts.map((l) => ({
        dialect: r.dialect,
        layout: l.layout,
        peak_rss_mib: l.report.peakRssMiB,
        deliveries: l.report.deliveries,
        redeliveries: l.report.redeliveries,
      })),
    ),
    critical: Object.fromEntries(
      results.flatMap((r) => (r.critical ? [[r.dialect, r.critical.result]] : [])),
    ),
    memory: Object.fromEntries(
      results.flatMap((r) => (r.backlog ? [[r.dialect, r.backlog.result]] : [])),
    ),
  };
}
