// Asks a Redis whether it answers, in RESP over a plain socket: no client library needed.
import { Buffer } from 'node:buffer';
import net from 'node:net';
import { clearTimeout, setTimeout } from 'node:timers';
import tls from 'node:tls';
import type { RedisTarget } from '../../relay/src/settings/connections.js';
import { PROBE_TIMEOUT_MS } from './probe.js';

/** Why a PING failed: one of these, or a socket error code. */
export type PingFailure =
  | 'refused'
  | 'timeout'
  | 'noreply'
  | 'closed'
  | 'protocol'
  | 'auth'
  | 'noauth'
  | 'loading'
  | 'error'
  | (string & {});

export type PingResult = { ok: true } | { ok: false; reason: PingFailure; detail: string };

/** One command in RESP, Redis's wire format. */
export function respCommand(...args: string[]): string {
  let out = `*${args.length}\r\n`;
  for (const a of args) out += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
  return out;
}

/** Sends [AUTH] + PING. Resolves { ok: true } on +PONG, else the reason and its detail. */
export function redisPing(target: RedisTarget, timeoutMs = PROBE_TIMEOUT_MS): Promise<PingResult> {
  return new Promise((resolve) => {
    const opts = { host: target.host, port: target.port };
    const socket = target.tls
      ? tls.connect({ ...opts, servername: net.isIP(target.host) ? undefined : target.host })
      : net.connect(opts);
    const withAuth = Boolean(target.password);
    const expected = withAuth ? 2 : 1;
    let connected = false;
    let buf = '';
    let settled = false;
    const settle = (result: PingResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(
      () =>
        settle(
          connected
            ? { ok: false, reason: 'noreply', detail: `no reply to PING within ${timeoutMs} ms` }
            : { ok: false, reason: 'timeout', detail: `connect timed out after ${timeoutMs} ms` },
        ),
      timeoutMs,
    );
    socket.once(target.tls ? 'secureConnect' : 'connect', () => {
      connected = true;
      let cmds = '';
      if (withAuth) {
        cmds += target.username
          ? respCommand('AUTH', target.username, target.password)
          : respCommand('AUTH', target.password);
      }
      cmds += respCommand('PING');
      socket.write(cmds);
    });
    socket.on('data', (chunk: Buffer) => {
      buf += chunk.toString('latin1');
      if (buf.length > 4096) {
        settle({ ok: false, reason: 'protocol', detail: 'unexpected long reply (not Redis?)' });
        return;
      }
      const lines = buf.split('\r\n');
      if (lines.length - 1 < expected) return;
      const replies = lines.slice(0, expected);
      const first = replies[0]!;
      if (withAuth && !first.startsWith('+')) {
        const kind = first.startsWith('-') ? 'auth' : 'protocol';
        settle({ ok: false, reason: kind, detail: first.slice(0, 200) });
        return;
      }
      const pong = replies[expected - 1]!;
      if (pong === '+PONG') settle({ ok: true });
      else if (pong.startsWith('-NOAUTH')) settle({ ok: false, reason: 'noauth', detail: pong });
      else if (pong.startsWith('-LOADING')) settle({ ok: false, reason: 'loading', detail: pong });
      else if (pong.startsWith('-'))
        settle({ ok: false, reason: 'error', detail: pong.slice(0, 200) });
      else
        settle({
          ok: false,
          reason: 'protocol',
          detail: `unexpected reply ${JSON.stringify(pong.slice(0, 60))} (not Redis?)`,
        });
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      const reason = err.code === 'ECONNREFUSED' ? 'refused' : (err.code ?? 'error');
      settle({ ok: false, reason, detail: err.message });
    });
    socket.once('close', () => {
      settle({
        ok: false,
        reason: 'closed',
        detail: 'connection closed without a reply (not Redis?)',
      });
    });
  });
}
