// The relay's entry point: load settings, start the chosen role, shut down cleanly on a signal.
import { parseArgs } from 'node:util';
import { isCdsError } from '@cds/shared';
import { loadConfig } from './config.js';
import { createLogger } from './log.js';
import { startRelay, type Role } from './relay.js';

const ROLES: Role[] = ['all', 'web', 'worker'];

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { role: { type: 'string', default: 'all' } } });
  const role = values.role as Role;
  if (!ROLES.includes(role))
    throw new Error(`--role must be one of ${ROLES.join(', ')} (got "${values.role}")`);
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const relay = await startRelay({ config, role, logger });
  logger.info({ role, url: relay.url, database: relay.store.description }, 'relay started');

  const stop = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    relay.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  // Expected failures (settings, keys) say what to fix; anything else is a bug worth its stack.
  console.error(isCdsError(error) ? `relay: ${error.message}` : error);
  process.exit(1);
});
