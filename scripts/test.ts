// `pnpm test` (tsx scripts/test.ts): provision Redis and PostgreSQL, then type check, lint, run the
// Discourse plugin's minitest suite and every mocha suite.
// Every step runs even when an earlier one fails, so one run shows everything that is wrong. The
// last line counts each mocha test and each other step: `N passed, N failed, N skipped`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { provision } from './provision/provision.js';

/** A step: a name and its command (`pnpm` unless given). */
type Check = [name: string, args: string[], command?: string];

const checks: Check[] = [
  ['type check', ['exec', 'tsc', '-p', 'tsconfig.json']],
  // The Discourse plugin's front end, templates included (glint), against @discourse/types.
  ['plugin type check', ['--dir', 'discourse-plugin', 'exec', 'ember-tsc', '-p', 'tsconfig.json']],
  ['lint', ['exec', 'eslint', '.']],
  ['format', ['exec', 'prettier', '--check', '--log-level', 'warn', '.']],
];

/** The Discourse plugin's minitest suite (plain-Ruby classes), with the provisioned Ruby. */
function pluginTests(ruby: string): Check {
  const script =
    'Dir["discourse-plugin/test/**/*_test.rb"].sort.each { |f| require File.expand_path(f) }';
  return ['discourse plugin (minitest)', ['-e', script], ruby];
}

function run(name: string, args: string[], env: NodeJS.ProcessEnv, command = 'pnpm'): boolean {
  console.log(`\n== ${name}: ${command} ${args.join(' ')}`);
  const started = Date.now();
  const result = spawnSync(command, args, { stdio: 'inherit', env });
  const ok = result.status === 0;
  console.log(
    `== ${name}: ${ok ? 'ok' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return ok;
}

async function main(): Promise<void> {
  const services = await provision({ chromium: true, ruby: true });
  const summaryDir = mkdtempSync(join(tmpdir(), 'cds-test-'));
  const summaryFile = join(summaryDir, 'summary.json');
  const env = {
    ...process.env,
    REDIS_URL: services.redis!.url,
    TEST_POSTGRES_URL: services.postgres!.url,
    CHROMIUM_PATH: services.chromium!.path,
    CDS_TEST_SUMMARY_FILE: summaryFile,
  };

  checks.push(pluginTests(services.ruby!.path));
  const failedChecks = checks
    .filter(([name, args, command]) => !run(name, args, env, command))
    .map(([name]) => name);
  const mochaOk = run('tests', ['exec', 'mocha', ...process.argv.slice(2)], env);

  let stats = { passes: 0, failures: 0, pending: 0 };
  try {
    stats = JSON.parse(readFileSync(summaryFile, 'utf8')) as typeof stats;
  } catch {
    console.error('pnpm test: mocha ended without a summary (it crashed before the end)');
  }
  rmSync(summaryDir, { recursive: true, force: true });
  const mochaCrashed = !mochaOk && stats.failures === 0;
  const passed = stats.passes + checks.length - failedChecks.length;
  const failed = stats.failures + failedChecks.length + (mochaCrashed ? 1 : 0);
  if (failedChecks.length > 0) console.error(`\nfailed checks: ${failedChecks.join(', ')}`);
  console.log(`\n${passed} passed, ${failed} failed, ${stats.pending} skipped`);
  process.exit(failed === 0 ? 0 : 1);
}

main().catch((error: unknown) => {
  console.error(`pnpm test: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
