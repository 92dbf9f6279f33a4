// `pnpm start`: the embedded default, the relay (role all) and the LTI tool in one process
// (DESIGN.md section 1). `--role=web` or `--role=worker` starts the relay alone, for scaled
// deployments, where the tool runs on its own (lti-tool/src/main.ts). Thin (CONVENTIONS.md #3).
import { parseArgs } from 'node:util';
import { isCdsError } from '@cds/shared';
import { createLogger, loadConfig, startRelay, type Role } from '@cds/relay';
import { startEmbedded } from './embedded.js';

const ROLES: Role[] = ['all', 'web', 'worker'];

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { role: { type: 'string', default: 'all' } } });
  const role = values.role as Role;
  if (!ROLES.includes(role))
    throw new Error(`--role must be one of ${ROLES.join(', ')} (got "${values.role}")`);
  let close: () => Promise<void>;
  let logger;
  if (role === 'all') {
    const embedded = await startEmbedded();
    ({ logger } = embedded.relay);
    close = embedded.close;
  } else {
    const config = loadConfig();
    logger = createLogger(config.logLevel);
    const relay = await startRelay({ config, role, logger });
    logger.info({ role, url: relay.url, database: relay.store.description }, 'relay started');
    close = relay.close;
  }
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

main().catch((error: unknown) => {
  // Expected failures (settings, keys) say what to fix; anything else is a bug worth its stack.
  console.error(isCdsError(error) ? `cds: ${error.message}` : error);
  process.exit(1);
});
