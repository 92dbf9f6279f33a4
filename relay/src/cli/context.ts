import { hostname, userInfo } from 'node:os';
import { loadConfig, type RelayConfig } from '../config.js';
import { openStore, type Store } from '../db/connect.js';
import { DEFAULT_RETRY, RelayQueues } from '../queue/queues.js';
import { closeConnection, producerConnection } from '../queue/redis.js';

/**
 * What a `cds` command works with: the relay's settings (same environment as `pnpm start`), and
 * the database and queues, opened only when a command needs them and closed once at the end.
 */
export class CliContext {
  private storePromise?: Promise<Store>;
  private queuesValue?: { queues: RelayQueues; close: () => Promise<void> };
  private configValue?: RelayConfig;

  /** Set to 1 by a command whose outcome is a failure (a rejected event, a broken chain). */
  exitCode = 0;

  /** Who the audit log names for actions taken here, e.g. `cli:ana@relay-1`. */
  readonly actor = `cli:${userInfo().username}@${hostname()}`;

  get config(): RelayConfig {
    return (this.configValue ??= loadConfig());
  }

  store(): Promise<Store> {
    return (this.storePromise ??= openStore(this.config.databaseUrl));
  }

  queues(): RelayQueues {
    if (!this.queuesValue) {
      const producer = producerConnection(this.config.redisUrl);
      const queues = new RelayQueues(producer, this.config.queuePrefix, DEFAULT_RETRY);
      this.queuesValue = {
        queues,
        close: async () => {
          await queues.close();
          await closeConnection(producer);
        },
      };
    }
    return this.queuesValue.queues;
  }

  /** Idempotent; closes whatever was opened. */
  async close(): Promise<void> {
    const queues = this.queuesValue;
    this.queuesValue = undefined;
    await queues?.close().catch(() => undefined);
    const store = this.storePromise;
    this.storePromise = undefined;
    if (store) await (await store).close();
  }
}
