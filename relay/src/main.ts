// The relay's entry point: load settings, start the chosen role, shut down cleanly on a signal.
import { loadConfig } from './config.js';
import { closeOnSignal, roleArgument, runEntry } from './entry.js';
import { createLogger } from './log.js';
import { startRelay } from './relay.js';

async function main(): Promise<void> {
  const role = roleArgument();
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const relay = await startRelay({ config, role, logger });
  logger.info({ role, url: relay.url, database: relay.store.description }, 'relay started');
  closeOnSignal(logger, relay.close);
}

runEntry('relay', main);
