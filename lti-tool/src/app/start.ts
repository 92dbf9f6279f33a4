// `pnpm start`: the embedded default, the relay (role all) and the LTI tool in one process
// (DESIGN.md section 1). `--role=web` or `--role=worker` starts the relay alone, for scaled
// deployments, where the tool runs on its own (lti-tool/src/main.ts). Thin (CONVENTIONS.md #3).
import {
  closeOnSignal,
  createLogger,
  loadConfig,
  roleArgument,
  runEntry,
  startRelay,
  type Logger,
} from '@cds/relay';
import { startEmbedded } from './embedded.js';

async function main(): Promise<void> {
  const role = roleArgument();
  let close: () => Promise<void>;
  let logger: Logger;
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
  closeOnSignal(logger, close);
}

runEntry('cds', main);
