// `pnpm bench`: every benchmark, printed as figures and ratios, saved to bench/results/latest.json.
import { cpus } from 'node:os';
import { benchSigning } from './signing.js';
import { RESULTS_FILE, recordResults } from './results.js';

async function main(): Promise<void> {
  console.log(`canvas-discourse-sync benchmarks: node ${process.version}, ${cpus().length} cores`);
  const figures = { ...(await benchSigning()) };
  recordResults(figures);
  console.log(`\nsaved to ${RESULTS_FILE}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
