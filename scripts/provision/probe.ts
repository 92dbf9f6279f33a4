// Network probes and waiting: whether a host is this machine, whether a port answers.
import net from 'node:net';
import { clearTimeout, setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';

export const PROBE_TIMEOUT_MS = 1000;

/** Whether `host` names this machine (loopback, or empty for a Unix socket). */
export function isLocalHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return (
    h === '' || h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1' || /^127\./.test(h)
  );
}

export type TcpProbe = { ok: true } | { ok: false; code: string };

/** Whether something accepts a TCP connection at host:port. */
export function tcpProbe(
  host: string,
  port: number,
  timeoutMs = PROBE_TIMEOUT_MS,
): Promise<TcpProbe> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ ok: false, code: 'ETIMEDOUT' });
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ ok: true });
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ ok: false, code: err.code ?? err.message });
    });
  });
}

/** Calls fn until it returns { ok: true }, `final(result)` says waiting cannot help, or time is up. */
export async function waitFor<R extends { ok: boolean }>(
  fn: () => Promise<R>,
  timeoutMs: number,
  intervalMs = 150,
  final: (result: R) => boolean = () => false,
): Promise<R> {
  const deadline = Date.now() + timeoutMs;
  let result = await fn();
  while (!result.ok && !final(result) && Date.now() < deadline) {
    await sleep(intervalMs);
    result = await fn();
  }
  return result;
}
