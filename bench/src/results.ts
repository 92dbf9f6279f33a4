import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** bench/results/latest.json: the figures of the newest run, merged by key (DESIGN.md section 8). */
export const RESULTS_FILE = fileURLToPath(new URL('../results/latest.json', import.meta.url));

export function recordResults(figures: Record<string, number | string>): void {
  let previous: Record<string, unknown> = {};
  try {
    previous = JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) as Record<string, unknown>;
  } catch {
    // first run: nothing to merge
  }
  mkdirSync(dirname(RESULTS_FILE), { recursive: true });
  const merged = { ...previous, ...figures, measured_at: new Date().toISOString() };
  writeFileSync(RESULTS_FILE, `${JSON.stringify(merged, null, 2)}\n`);
}

/** Prints one aligned line: `name ............ 12,345 events/s`. */
export function printFigure(name: string, value: number, unit: string): void {
  // Small ratios keep three significant digits: 0.0712, not 0.07.
  const shown =
    value >= 100
      ? Math.round(value).toLocaleString('en-US')
      : value >= 1
        ? value.toFixed(2)
        : value.toPrecision(3);
  console.log(`  ${name.padEnd(48, '.')} ${shown.padStart(10)} ${unit}`);
}
