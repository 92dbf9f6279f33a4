// `pnpm bench [signing] [relay | throughput critical memory]`: every part (or the named ones),
// printed as tables, saved to bench/results/latest.json with a chart beside it (latest.svg).
// Provisions Redis and PostgreSQL first, as `pnpm test` does.
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { DialectName } from '@cds/relay';
import { problemsOf, relayFigures } from './figures.js';
import { partTimes, timed } from './parts.js';
import { RELAY_PARTS, benchRelay } from './relay.js';
import { printHeadline, printParts, printRelay, printSigning } from './report.js';
import { CHART_FILE, RESULTS_FILE, recordChart, recordResults } from './results.js';
import { runChart } from './run-chart.js';
import { loadSettings, type BenchSettings } from './settings.js';
import { benchSigning } from './signing.js';
import { timeline } from './timeline.js';

const PROVISION = fileURLToPath(new URL('../../scripts/provision/main.ts', import.meta.url));
const SUITES = ['signing', ...RELAY_PARTS] as const;
type Suite = (typeof SUITES)[number];

function provision(flag: '--redis-only' | '--postgres-only'): boolean {
  // TypeScript, run through tsx as `pnpm provision` does.
  const args = ['--import', 'tsx', PROVISION, flag];
  return spawnSync(process.execPath, args, { stdio: 'inherit' }).status === 0;
}

/** The suites named on the command line (`relay` is its three parts); none named: all. */
function chosenSuites(args: readonly string[]): Set<Suite> {
  const expanded = args.flatMap((a) => (a === 'relay' ? [...RELAY_PARTS] : [a]));
  const unknown = expanded.filter((a) => !(SUITES as readonly string[]).includes(a));
  if (unknown.length > 0)
    throw new Error(
      `unknown benchmark ${unknown.join(', ')}: choose from ${SUITES.join(', ')} (relay = ${RELAY_PARTS.join(' ')})`,
    );
  return new Set(expanded.length > 0 ? (expanded as Suite[]) : SUITES);
}

/** The commit measured, and whether the relay's or the shared core's files had changes on top. */
function revision(): { commit: string; uncommitted_changes: boolean } {
  const git = (...args: string[]) =>
    spawnSync('git', args, {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      encoding: 'utf8',
    });
  const head = git('rev-parse', '--short', 'HEAD');
  const status = git('status', '--porcelain', '--', 'relay', 'shared');
  return {
    commit: head.status === 0 ? head.stdout.trim() : 'unknown',
    uncommitted_changes: status.status === 0 && status.stdout.trim() !== '',
  };
}

function describeSettings(s: BenchSettings): Record<string, unknown> {
  return {
    sizes: s.sizes,
    warmup: s.warmup,
    layouts: s.layouts,
    background_events: s.background,
    critical_rate_per_s: s.criticalRate,
    background_batch_interval: s.backgroundInterval,
    backlog_events: s.backlog,
    worker_concurrency: s.workerConcurrency,
  };
}

async function main(): Promise<number> {
  const settings = loadSettings();
  const suites = chosenSuites(process.argv.slice(2));
  const parts = new Set(RELAY_PARTS.filter((p) => suites.has(p)));
  const cpu = cpus();
  const machine = { node: process.version, cores: cpu.length, cpu: cpu[0]?.model.trim() ?? '' };
  const measured = revision();
  console.log(
    `canvas-discourse-sync benchmarks: node ${machine.node}, ${machine.cores} cores (${machine.cpu})`,
  );
  console.log(
    `commit ${measured.commit}${measured.uncommitted_changes ? ' with uncommitted changes in relay/ or shared/' : ''}`,
  );
  console.log(`settings: ${JSON.stringify(describeSettings(settings))}`);

  const dialects: DialectName[] = [];
  if (parts.size > 0) {
    if (!provision('--redis-only')) throw new Error('Redis is not available: see the lines above');
    dialects.push('sqlite');
    // PostgreSQL is optional here: without it the relay figures are measured on SQLite only.
    if (process.env.BENCH_POSTGRES !== '0' && provision('--postgres-only'))
      dialects.push('postgres');
    else console.log('PostgreSQL skipped: relay figures on SQLite only');
  }

  const signing = suites.has('signing')
    ? await timed('signing', 'sign and verify, single events and batches of 100', benchSigning)
    : undefined;
  const results = parts.size > 0 ? await benchRelay(settings, dialects, parts) : [];
  const problems = problemsOf(results);

  const figures = {
    ...relayFigures(results),
    ...signing,
    problems,
    settings: describeSettings(settings),
    ...measured,
    machine,
    part_seconds: Object.fromEntries(partTimes.map((p) => [p.part, Number(p.seconds.toFixed(1))])),
  };
  recordResults(figures, suites.size < SUITES.length);
  if (parts.size > 0) {
    recordChart(
      runChart(
        timeline,
        `${new Date().toISOString().slice(0, 16)}Z · ${measured.commit}${measured.uncommitted_changes ? '+changes' : ''} · ` +
          `node ${machine.node} · ${machine.cores} cores · ` +
          `sizes ${settings.sizes.join(', ')} · layouts ${settings.layouts.join(', ')} · ` +
          `${settings.background} background + ${settings.criticalRate}/s critical · backlog ${settings.backlog}`,
      ),
    );
  }

  if (parts.size > 0) {
    printHeadline(figures, dialects);
    printRelay(results);
  }
  if (signing) printSigning(signing);
  printParts(partTimes);
  console.log(`\nsaved to ${RESULTS_FILE}${parts.size > 0 ? ` and ${CHART_FILE}` : ''}`);
  if (problems.length > 0) {
    console.error(`\nFAILED: the target saw what it must never see:\n  ${problems.join('\n  ')}`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`\nbench FAILED: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
