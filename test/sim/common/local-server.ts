// A simulator's HTTP server on 127.0.0.1, with the outage a test can cause: `goOffline('refuse')`
// stops listening (connections refused) and `goOnline()` listens again on the same port, so a
// client sees the same URL come back. Shared by both simulators.
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { SimulatorFaults } from './faults.js';

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export class LocalServer {
  private listening = true;
  private offlineTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly server: Server,
    private readonly sockets: Set<Socket>,
    private readonly faults: SimulatorFaults,
    readonly port: number,
  ) {}

  /** Listens on `port` (a free one when 0); `faults.offline` says whether it is down. */
  static async start(app: RequestListener, faults: SimulatorFaults, port = 0) {
    const sockets = new Set<Socket>();
    const server = createServer(app);
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    return new LocalServer(server, sockets, faults, await listen(server, port));
  }

  /** e.g. `http://127.0.0.1:43123` */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  readonly goOnline = async (): Promise<void> => {
    clearTimeout(this.offlineTimer);
    this.faults.offline = 'no';
    if (!this.listening) {
      await listen(this.server, this.port);
      this.listening = true;
    }
  };

  /** Every answer 503, or connections refused; back online after `forMs` when given. */
  readonly goOffline = async (mode: '503' | 'refuse', forMs?: number): Promise<void> => {
    clearTimeout(this.offlineTimer);
    this.faults.offline = mode;
    if (forMs !== undefined) this.offlineTimer = setTimeout(() => void this.goOnline(), forMs);
    if (mode === 'refuse' && this.listening) await this.stopListening();
  };

  /** Stops for good: no timed return, open connections dropped. */
  async close(): Promise<void> {
    clearTimeout(this.offlineTimer);
    if (this.listening) await this.stopListening();
  }

  private async stopListening(): Promise<void> {
    this.listening = false;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}
