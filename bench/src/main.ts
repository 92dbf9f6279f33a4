// `pnpm bench [signing] [relay]`: every benchmark (or the named ones), printed as figures and
// ratios, saved to bench/results/latest.json. Provisions Redis and PostgreSQL first.
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { benchRelay } from './relay.js';
import { benchSigning } from './signing.js';
import { RESULTS_FILE, recordResults } from './results.js';

const PROVISION = fileURLToPath(new URL('../../scripts/provision/main.ts', import.meta.url));
const SUITES = ['signing', 'relay'] as const;
type Suite = (typeof SUITES)[number];

function provision(flag: '--redis-only' | '--postgres-only'): boolean {
  // TypeScript, run through tsx as `pnpm provision` does.
  const args = ['--import', 'tsx', PROVISION, flag];
  return spawnSync(process.execPath, args, { stdio: 'inherit' }).status === 0;
}

function chosenSuites(args: readonly string[]): Set<Suite> {
  const unknown = args.filter((a) => !(SUITES as readonly string[]).includes(a));
  if (unknown.length > 0)
    throw new Error(`unknown benchmark ${unknown.join(', ')}: choose from ${SUITES.join(', ')}`);
  return new Set(args.length > 0 ? (args as Suite[]) : SUITES);
}

async function main(): Promise<void> {
  const suites = chosenSuites(process.argv.slice(2));
  console.log(`canvas-discourse-sync benchmarks: node ${process.version}, ${cpus().length} cores`);
  let postgres = false;
  if (suites.has('relay')) {
    if (!provision('--redis-only')) throw new Error('Redis is not available: see the lines above');
    // PostgreSQL is optional here: without it the relay figure is measured on SQLite only.
    postgres = process.env.BENCH_POSTGRES !== '0' && provision('--postgres-only');
    if (!postgres) console.log('PostgreSQL skipped: relay figures on SQLite only');
  }
  let figures: Record<string, number> = {};
  if (suites.has('signing')) figures = { ...figures, ...(await benchSigning()) };
  if (suites.has('relay')) figures = { ...figures, ...(await benchRelay({ postgres })) };
  recordResults(figures);
  console.log(`\nsaved to ${RESULTS_FILE}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
