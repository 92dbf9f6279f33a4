// `pnpm provision [--redis-only | --postgres-only | --app] [--quiet]`: arguments, usage, exit status.
import {
  DEFAULT_REDIS_URL,
  DEFAULT_TEST_POSTGRES_URL,
  maskUrl,
} from '../../relay/src/settings/connections.js';
import { expectedMessage } from './errors.js';
import { provision } from './provision.js';

export const USAGE = `usage: pnpm provision [--redis-only | --postgres-only | --app] [--quiet]
       (the same as tsx scripts/provision/main.ts ...)
Makes REDIS_URL (default ${DEFAULT_REDIS_URL}) and TEST_POSTGRES_URL
(default ${maskUrl(DEFAULT_TEST_POSTGRES_URL)}, plus DATABASE_URL when it is a postgres URL)
usable: probes them and, on this machine, installs (as root) and starts what is missing.
--app: what \`pnpm start\` needs: Redis, and DATABASE_URL when it is a postgres URL (no test database).
Without flags it also makes Chromium (CHROMIUM_PATH, else Debian's chromium) ready for the browser tests,
and Ruby (RUBY_PATH, else Debian's ruby) for the Discourse plugin's tests.`;

const KNOWN = new Set(['--redis-only', '--postgres-only', '--app', '--quiet']);

/** Runs the command; returns its exit status: 0 done, 1 could not, 2 wrong arguments. */
export async function main(argv: string[]): Promise<number> {
  const flags = new Set(argv);
  if (flags.has('--help') || flags.has('-h')) {
    console.log(USAGE);
    return 0;
  }
  const unknown = argv.filter((a) => !KNOWN.has(a));
  if (unknown.length > 0 || (flags.has('--redis-only') && flags.has('--postgres-only'))) {
    console.error(
      unknown.length > 0
        ? `provision: unknown argument ${unknown.join(' ')}`
        : 'provision: --redis-only and --postgres-only exclude each other',
    );
    console.error(USAGE);
    return 2;
  }
  try {
    await provision({
      redis: !flags.has('--postgres-only'),
      postgres: !flags.has('--redis-only'),
      testDatabase: !flags.has('--app'),
      // Everything `pnpm test` needs only when asked for everything.
      chromium: !flags.has('--app') && !flags.has('--redis-only') && !flags.has('--postgres-only'),
      ruby: !flags.has('--app') && !flags.has('--redis-only') && !flags.has('--postgres-only'),
      quiet: flags.has('--quiet'),
    });
    return 0;
  } catch (err) {
    const message = expectedMessage(err);
    if (message !== undefined) console.error(`provision: ${message}`);
    else console.error('provision: unexpected error:', err);
    return 1;
  }
}
