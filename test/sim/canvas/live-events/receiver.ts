// A Live Events endpoint for tests: records every POST (content type and raw body) and answers
// with `status` (200 unless a test makes it fail).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedPost {
  contentType: string | undefined;
  body: string;
}

export class LiveEventsReceiver {
  readonly posts: ReceivedPost[] = [];
  status = 200;
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.posts.push({
          contentType: req.headers['content-type'],
          body: Buffer.concat(chunks).toString('utf8'),
        });
        res.writeHead(this.status).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/live-events`;
  }

  /** The unsigned events received, parsed. */
  events(): Array<{ metadata: Record<string, unknown>; body: Record<string, unknown> }> {
    return this.posts.map((p) => JSON.parse(p.body));
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}
