// A thin HTTP front server for the connector conformance suite (test/connectors/conformance.ts):
// in front of a real receiver (the LTI tool, the Discourse simulator), it plays the suite's
// failure modes (TargetMode) and passes everything else on. TargetServer plays the same modes.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TargetMode } from './target-server.js';

/** What a front answers a request: a status with headers and body, or nothing ever ('hang'). */
export type FrontAnswer =
  { status: number; headers?: Record<string, string>; body?: string } | 'hang';

/**
 * The answer of the modes that fail a request before anything is applied: `fail` (its status, with
 * its Retry-After when given), `retry-after` (429 with Retry-After in seconds) and `hang`.
 * Undefined for the others: the request goes on (`apply-then-fail` loses the answer afterwards).
 */
export function failureAnswer(mode: TargetMode): FrontAnswer | undefined {
  if (mode.kind === 'fail')
    return {
      status: mode.status,
      headers: mode.retryAfter === undefined ? {} : { 'retry-after': mode.retryAfter },
    };
  if (mode.kind === 'retry-after')
    return { status: 429, headers: { 'retry-after': String(mode.seconds) } };
  if (mode.kind === 'hang') return 'hang';
  return undefined;
}

/** A running front: its base URL (no path) and how to stop it. */
export interface Front {
  url: string;
  close(): Promise<void>;
}

/** Starts a front on 127.0.0.1 answering each request (and its whole body) with `handle`. */
export async function startFront(
  handle: (req: IncomingMessage, body: Buffer) => Promise<FrontAnswer>,
): Promise<Front> {
  const server: Server = createServer((req, res) => {
    readBody(req)
      .then((body) => handle(req, body))
      .then(
        (answer) => {
          if (answer === 'hang') return;
          res.writeHead(answer.status, answer.headers).end(answer.body);
        },
        () => res.writeHead(500).end(),
      );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
