// bench/results/: latest.json (the figures, DESIGN.md section 8) and latest.svg (the chart).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const RESULTS_FILE = fileURLToPath(new URL('../results/latest.json', import.meta.url));
export const CHART_FILE = fileURLToPath(new URL('../results/latest.svg', import.meta.url));

/** Figures to a useful precision: 17234.6 events/s, a ratio of 0.2761, 4.563 ms. */
function rounded(_key: string, value: unknown): unknown {
  if (typeof value !== 'number' || Number.isInteger(value) || !Number.isFinite(value)) return value;
  return Math.abs(value) >= 100 ? Math.round(value * 10) / 10 : Number(value.toPrecision(4));
}

/**
 * Writes the figures. A full run replaces the file; a partial one (`pnpm bench critical`) keeps
 * the previous run's other figures, replacing only its own.
 */
export function recordResults(figures: Record<string, unknown>, partial: boolean): void {
  let previous: Record<string, unknown> = {};
  if (partial) {
    try {
      previous = JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) as Record<string, unknown>;
    } catch {
      // no earlier run: nothing to keep
    }
  }
  mkdirSync(dirname(RESULTS_FILE), { recursive: true });
  const merged = { ...previous, ...figures, measured_at: new Date().toISOString() };
  writeFileSync(RESULTS_FILE, `${JSON.stringify(merged, rounded, 2)}\n`);
}

export function recordChart(svg: string): void {
  mkdirSync(dirname(CHART_FILE), { recursive: true });
  writeFileSync(CHART_FILE, svg);
}
