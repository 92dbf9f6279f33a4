// Each part of the bench announced as it starts and timed, so a slow part is easy to spot.
import { performance } from 'node:perf_hooks';

export interface PartTime {
  part: string;
  seconds: number;
  failed?: boolean;
}

/** Every part run so far, in order. */
export const partTimes: PartTime[] = [];

/** Runs one part: prints `part: what` first and how long it took after. */
export async function timed<T>(part: string, what: string, run: () => Promise<T>): Promise<T> {
  console.log(`\n${part}: ${what}`);
  const started = performance.now();
  let failed = true;
  try {
    const result = await run();
    failed = false;
    return result;
  } finally {
    const seconds = (performance.now() - started) / 1000;
    partTimes.push({ part, seconds, ...(failed ? { failed } : {}) });
    console.log(`    took ${seconds.toFixed(1)} s${failed ? ' (failed)' : ''}`);
  }
}
