// The run's chart (bench/results/latest.svg): events applied per second, critical latency and
// each relay process's RSS over the whole run, with its phases shaded and named.
import { renderChart, type Series } from './chart.js';
import { percentile } from './stats.js';
import { BUCKET_S, type PhaseKind, type Timeline } from './timeline.js';

const KIND_COLOR: Record<PhaseKind, string> = {
  bullmq: '#7f7f7f',
  sqlite: '#1f77b4',
  postgres: '#d62728',
};
const KIND_FILL: Record<PhaseKind, string> = {
  bullmq: '#f2f2f2',
  sqlite: '#e9f2fb',
  postgres: '#fcecec',
};
const ROLE_COLOR: Record<string, string> = { all: '#9467bd', web: '#ff7f0e', worker: '#2ca02c' };

/**
 * Events applied per second in each phase, from what that phase's kind applied: a ceiling run
 * nested in a relay layout's phase draws its own line over the relay's (idle) one.
 */
function throughputSeries(timeline: Timeline): Series[] {
  return timeline.phases.map((phase) => {
    const buckets = timeline.applied[phase.kind];
    const points: Array<[number, number]> = [];
    const last = Math.floor(phase.end / BUCKET_S);
    for (let b = Math.floor(phase.start / BUCKET_S); b <= last; b += 1)
      points.push([(b + 0.5) * BUCKET_S, (buckets[b] ?? 0) / BUCKET_S]);
    return { color: KIND_COLOR[phase.kind], points };
  });
}

/** Per second of sending: the median (thick) and the slowest (thin) critical latency. */
function latencySeries(timeline: Timeline): Series[] {
  const out: Series[] = [];
  for (const kind of ['sqlite', 'postgres'] as const) {
    const bySecond = new Map<number, number[]>();
    for (const sample of timeline.latency) {
      if (sample.kind !== kind) continue;
      const second = Math.floor(sample.t);
      bySecond.set(second, [...(bySecond.get(second) ?? []), sample.ms]);
    }
    if (bySecond.size === 0) continue;
    // A gap of more than a second splits the line (two runs on the same database).
    const seconds = [...bySecond.keys()].sort((a, b) => a - b);
    let runStart = 0;
    for (let i = 1; i <= seconds.length; i += 1) {
      if (i < seconds.length && seconds[i]! - seconds[i - 1]! <= 2) continue;
      const run = seconds.slice(runStart, i);
      const sorted = run.map((s) => bySecond.get(s)!.sort((a, b) => a - b));
      out.push(
        {
          color: KIND_COLOR[kind],
          width: 0.8,
          opacity: 0.6,
          points: run.map((s, j) => [s + 0.5, sorted[j]![sorted[j]!.length - 1]!]),
        },
        {
          color: KIND_COLOR[kind],
          width: 2,
          points: run.map((s, j) => [s + 0.5, percentile(sorted[j]!, 50)]),
        },
      );
      runStart = i;
    }
  }
  return out;
}

/** The highest rate of a ceiling run, with some room; undefined without one. */
function ceilingTop(timeline: Timeline): number | undefined {
  let peak = 0;
  for (const phase of timeline.phases) {
    if (phase.kind !== 'bullmq') continue;
    const last = Math.floor(phase.end / BUCKET_S);
    for (let b = Math.floor(phase.start / BUCKET_S); b <= last; b += 1)
      peak = Math.max(peak, (timeline.applied.bullmq[b] ?? 0) / BUCKET_S);
  }
  return peak > 0 ? peak * 1.1 : undefined;
}

export function runChart(timeline: Timeline, subtitle: string): string {
  const rss: Series[] = [...timeline.rss.values()].map((series) => ({
    color: ROLE_COLOR[series.role] ?? '#333',
    width: 1.2,
    points: series.points,
  }));
  return renderChart({
    title: 'canvas-discourse-sync: pnpm bench',
    subtitle,
    width: 1200,
    xLabel: 'seconds since the bench started',
    xMax: timeline.seconds(),
    bands: timeline.phases.map((p) => ({
      x0: p.start,
      x1: p.end,
      label: p.label,
      fill: KIND_FILL[p.kind],
      // Ceiling runs sit inside a relay layout's phase: shaded, not separated.
      separator: p.kind !== 'bullmq',
    })),
    panels: [
      {
        title:
          'events applied per second (the target\u2019s arrivals; BullMQ: no-op jobs completed)',
        height: 300,
        series: throughputSeries(timeline),
        // Scaled to the ceiling: a background batch lands at once and would flatten the rest.
        yMax: ceilingTop(timeline),
      },
      {
        title:
          'critical latency, POST to applied at the target (ms, log scale): per second, median and slowest',
        height: 200,
        log: true,
        series: latencySeries(timeline),
        budget: { y: 100, label: 'budget 100 ms (p99)' },
      },
      {
        title: 'RSS of each relay process (MiB)',
        height: 180,
        series: rss,
        budget: { y: 300, label: 'budget 300 MiB' },
      },
    ],
    legend: [
      { label: 'BullMQ no-op', color: KIND_COLOR.bullmq },
      { label: 'relay on SQLite', color: KIND_COLOR.sqlite },
      { label: 'relay on PostgreSQL', color: KIND_COLOR.postgres },
      { label: 'RSS: all', color: ROLE_COLOR.all! },
      { label: 'RSS: web', color: ROLE_COLOR.web! },
      { label: 'RSS: worker', color: ROLE_COLOR.worker! },
    ],
  });
}
