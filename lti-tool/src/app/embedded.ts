// The embedded default (DESIGN.md section 1): the relay in every role and the LTI tool in one
// process on one database, with what a first run lacks created on the way.
import {
  auditKeyChange,
  CANVAS_CONNECTOR,
  createLogger,
  loadConfig,
  startRelay,
  type Env,
  type Logger,
  type Relay,
} from '@cds/relay';
import { loadLtiSettings } from '../settings.js';
import { DELIVERIES_ROUTE } from '../writer/router.js';
import { startLtiTool, type RunningLtiTool, type StartLtiToolOptions } from './compose.js';
import { ensureLtiKey, ensureToolKey } from './first-run.js';

export interface Embedded {
  relay: Relay;
  tool: RunningLtiTool;
  /** Idempotent: the tool first (it sends to the relay), then the relay. */
  close(): Promise<void>;
}

export interface EmbeddedOptions {
  /** @defaultValue process.env */
  env?: Env;
  /** @defaultValue the relay's logger at LOG_LEVEL */
  logger?: Logger;
  /** Host the tool listens on. @defaultValue 0.0.0.0 */
  host?: string;
  tuning?: StartLtiToolOptions['tuning'];
}

export async function startEmbedded(options: EmbeddedOptions = {}): Promise<Embedded> {
  const env = options.env ?? process.env;
  const logger = options.logger ?? createLogger(loadConfig(env).logLevel);
  const log = {
    info: (message: string) => logger.info(message),
    warn: (message: string) => logger.warn(message),
  };
  await ensureLtiKey(env, log);
  const settings = loadLtiSettings(env);
  // The relay's Canvas side is this tool unless CANVAS_DELIVERY_URL says otherwise.
  const deliveryUrl = env.CANVAS_DELIVERY_URL || `${settings.publicUrl}${DELIVERIES_ROUTE}`;
  const config = loadConfig({ ...env, CANVAS_DELIVERY_URL: deliveryUrl });
  if (!env.CANVAS_DELIVERY_URL)
    log.info(
      `the relay delivers Canvas-bound events to this tool at ${deliveryUrl} (CANVAS_DELIVERY_URL)`,
    );
  const madeKey = await ensureToolKey(settings.toolKeyPath, config.trustedJwks, log);

  const relay = await startRelay({ config, role: 'all', logger });
  try {
    if (madeKey)
      await auditKeyChange(relay.store, 'pnpm start', { action: 'key.generated', jwk: madeKey });
    const tool = await startLtiTool({
      settings,
      store: relay.store,
      log: {
        info: (message) => relay.logger.info({ part: 'lti-tool' }, message),
        warn: (message) => relay.logger.warn({ part: 'lti-tool' }, message),
      },
      onError: (error) => relay.logger.error({ part: 'lti-tool', err: error }, 'LTI tool failure'),
      tuning: options.tuning,
    });
    try {
      await tool.listen(settings.port, options.host ?? '0.0.0.0');
    } catch (error) {
      await tool.close();
      throw error;
    }
    relay.logger.info(
      {
        relay: relay.url,
        tool: settings.publicUrl,
        connector: CANVAS_CONNECTOR,
        database: relay.store.description,
      },
      `relay and LTI tool started: install the tool in Canvas from ${settings.publicUrl}/lti/config.json or ${settings.publicUrl}/lti/register`,
    );
    let closing: Promise<void> | undefined;
    return {
      relay,
      tool,
      close: () =>
        (closing ??= (async () => {
          await tool
            .close()
            .catch((error: unknown) =>
              relay.logger.warn({ err: error }, 'closing the LTI tool failed'),
            );
          await relay.close();
        })()),
    };
  } catch (error) {
    await relay.close();
    throw error;
  }
}
