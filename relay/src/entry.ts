// What a process entry point does the same way whichever program it starts (relay/src/main.ts,
// lti-tool/src/app/start.ts): read `--role`, close cleanly on a signal, report a failed start.
import { parseArgs } from 'node:util';
import { isCdsError } from '@cds/shared';
import type { Logger } from './log.js';
import type { Role } from './relay.js';

const ROLES: Role[] = ['all', 'web', 'worker'];

/** The `--role` argument of the command line: all (the default), web or worker. */
export function roleArgument(): Role {
  const { values } = parseArgs({ options: { role: { type: 'string', default: 'all' } } });
  const role = values.role as Role;
  if (!ROLES.includes(role))
    throw new Error(`--role must be one of ${ROLES.join(', ')} (got "${values.role}")`);
  return role;
}

/** On the first SIGINT or SIGTERM: close, then exit 0 (or 1 if closing failed). */
export function closeOnSignal(logger: Logger, close: () => Promise<void>): void {
  const stop = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

/** Runs `main`; a failure prints and exits 1. `name` prefixes the message of an expected one. */
export function runEntry(name: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    // Expected failures (settings, keys) say what to fix; anything else is a bug worth its stack.
    console.error(isCdsError(error) ? `${name}: ${error.message}` : error);
    process.exit(1);
  });
}
