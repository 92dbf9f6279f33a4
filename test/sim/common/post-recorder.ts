// A delivery endpoint for tests on 127.0.0.1: hands every POST (headers and raw body) to
// `onPost`, which records it and says the status to answer. The Live Events and webhook
// receivers of the two simulators are built on it.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type OnPost = (headers: IncomingHttpHeaders, body: string) => number;

export class PostRecorder {
  private server?: Server;

  constructor(private readonly onPost: OnPost) {}

  /** Listens on a free port; the URL of `path` there. */
  async start(path: string): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.writeHead(this.onPost(req.headers, Buffer.concat(chunks).toString('utf8'))).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}${path}`;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}
