// The figures printed as tables at the end of a run.
import { throughputRuns } from './figures.js';
import type { PartTime } from './parts.js';
import type { DialectResults } from './relay.js';
import { layoutLabel } from './settings.js';

/** 12,345 for large figures; three significant digits for small ones (0.0712, 4.56). */
export function formatFigure(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '-';
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  if (value === 0) return '0';
  return value.toPrecision(3);
}

/** Prints a table: the first column left-aligned, the others right-aligned. */
export function printTable(title: string, header: string[], rows: string[][]): void {
  if (rows.length === 0) return;
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    '  ' +
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(`  ${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const row of rows) console.log(line(row));
}

/** The headline figures, one column per database, beside the budget. */
export function printHeadline(figures: Record<string, unknown>, dialects: string[]): void {
  const rows: Array<[string, string]> = [
    ['ceiling_bullmq_per_s', ''],
    ['relay_e2e_per_s', ''],
    ['ratio', '>= 0.7'],
    ['critical_p99_ms', '< 100'],
    ['rss_mb_100k', '< 300'],
  ];
  const value = (dialect: string, name: string) => {
    const key = dialect === 'sqlite' ? name : `${dialect}_${name}`;
    const v = figures[key];
    return typeof v === 'number' ? formatFigure(v) : '-';
  };
  printTable(
    'Figures (bench/results/latest.json, DESIGN.md section 8; PostgreSQL with the postgres_ prefix)',
    ['figure', ...dialects, 'budget'],
    rows.map(([name, budget]) => [name, ...dialects.map((d) => value(d, name)), budget]),
  );
}

export function printRelay(results: readonly DialectResults[]): void {
  printTable(
    'Throughput: relay end to end beside raw BullMQ (same run, same Redis, same size)',
    [
      'database',
      'layout',
      'events',
      'bullmq/s',
      'relay/s',
      'ratio',
      'ingest/s',
      'p50 ms',
      'p99 ms',
      'dup',
    ],
    throughputRuns(results).map((r) => [
      r.dialect,
      layoutLabel(r.layout),
      r.events.toLocaleString('en-US'),
      formatFigure(r.ceiling_bullmq_per_s),
      formatFigure(r.e2e_per_s),
      formatFigure(r.ratio),
      formatFigure(r.ingest_per_s),
      formatFigure(r.latency_p50_ms),
      formatFigure(r.latency_p99_ms),
      String(r.duplicates),
    ]),
  );
  printTable(
    'Critical latency (POST -> applied at the target) while background events are applied',
    [
      'database',
      'background',
      'critical',
      'p50 ms',
      'p99 ms',
      'max ms',
      'p99 ingest',
      'p99 drain',
      'bg applied/s',
    ],
    results.flatMap(({ dialect, critical }) => {
      if (!critical) return [];
      const c = critical.result;
      return [
        [
          dialect,
          c.background_events.toLocaleString('en-US'),
          c.critical.count.toLocaleString('en-US'),
          formatFigure(c.critical.p50Ms),
          formatFigure(c.critical.p99Ms),
          formatFigure(c.critical.maxMs),
          formatFigure(c.during_ingest.p99Ms),
          formatFigure(c.during_drain.p99Ms),
          formatFigure(c.background_applied_per_s),
        ],
      ];
    }),
  );
  printTable(
    'Memory: peak RSS (MiB) per process, backlog queued with no worker running, then drained',
    ['database', 'process', 'queued', 'peak', 'backlog', 'ingest/s', 'drain s', 'drain/s'],
    results.flatMap(({ dialect, backlog }) => {
      if (!backlog) return [];
      const b = backlog.result;
      return Object.entries(b.peak_rss_mib).map(([name, peak]) => [
        dialect,
        name,
        formatFigure(b.queued_rss_mib[name]),
        formatFigure(peak),
        b.backlog_events.toLocaleString('en-US'),
        formatFigure(b.ingest_per_s),
        formatFigure(b.drain_seconds),
        formatFigure(b.drain_per_s),
      ]);
    }),
  );
}

export function printParts(parts: readonly PartTime[]): void {
  printTable(
    'Time per part',
    ['part', 'seconds'],
    [
      ...parts.map((p) => [p.part, `${p.seconds.toFixed(1)}${p.failed ? ' (failed)' : ''}`]),
      ['total', parts.reduce((s, p) => s + p.seconds, 0).toFixed(1)],
    ],
  );
}

/** The signing figures (one core, ~1 KB grade events). */
export function printSigning(figures: Record<string, number>): void {
  const rows: Array<[string, string, string]> = [
    ['sign, one event per JWS', 'sign_single_per_s', 'events/s'],
    ['verify, one event per JWS', 'verify_single_per_s', 'events/s'],
    ['sign, batches of 100', 'sign_batch100_events_per_s', 'events/s'],
    ['verify, batches of 100', 'verify_batch100_events_per_s', 'events/s'],
    ['peer: raw Ed25519 verify (node:crypto)', 'raw_ed25519_verify_per_s', 'verifies/s'],
    ['batch / single, verify', 'verify_batch_gain', 'x'],
    ['batch / single, sign', 'sign_batch_gain', 'x'],
    ['jose single verify / raw node:crypto', 'jose_verify_vs_raw_ratio', 'x'],
  ];
  printTable(
    'Signing (one core, ~1 KB grade events)',
    ['figure', 'value', 'unit'],
    rows.map(([name, key, unit]) => [name, formatFigure(figures[key]), unit]),
  );
}
