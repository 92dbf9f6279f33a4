// Redis at REDIS_URL: used as is when it answers; on this machine, installed when missing (root
// only) and started as our own daemon (no systemd) with its files under data/redis/.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { maskUrl, parseRedisUrl } from '../../relay/src/settings/connections.js';
import { aptInstall } from './apt.js';
import type { Context } from './context.js';
import { ProvisionError } from './errors.js';
import { isLocalHost, waitFor } from './probe.js';
import { redisPing } from './redis-ping.js';
import { runChecked } from './run.js';
import { processAlive, processRuns, readPid, which } from './system.js';
import { formatCommand, indent, readTail } from './text.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const REDIS_START_WAIT_MS = 10_000;

/** What was found or done. `url` keeps its password (for child processes); `display` is masked. */
export interface RedisResult {
  url: string;
  display: string;
  startedByUs: boolean;
  how: string;
  pid?: number;
  logFile?: string;
}

function redisPaths(port: number) {
  const dir = path.join(REPO_ROOT, 'data', 'redis');
  return {
    dir,
    pidFile: path.join(dir, `redis-${port}.pid`),
    logFile: path.join(dir, `redis-${port}.log`),
    confFile: path.join(dir, `redis-${port}.conf`),
  };
}

function redisConfString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Makes the Redis at `url` answer, or throws ProvisionError saying what to do. */
export async function ensureRedis(ctx: Context, url: string): Promise<RedisResult> {
  const target = parseRedisUrl(url);
  const shown = maskUrl(url);
  const paths = redisPaths(target.port);
  const base = { url, display: shown, startedByUs: false };

  let probe = await redisPing(target);
  if (!probe.ok && probe.reason === 'loading') {
    ctx.log(`provision: Redis at ${shown} is loading its data set; waiting`);
    probe = await waitFor(() => redisPing(target), REDIS_START_WAIT_MS, 250);
  }
  if (probe.ok) {
    const pid = readPid(paths.pidFile);
    const ours = pid && isLocalHost(target.host) && processRuns(pid, 'redis-server');
    if (ours)
      return { ...base, how: `already running, pid ${pid}, started by an earlier run`, pid };
    return { ...base, how: 'already running' };
  }

  const local = isLocalHost(target.host);
  if (!local) {
    throw new ProvisionError(
      `Redis is not reachable at ${shown} (${probe.detail}). That host is not this machine, so nothing is installed or started: start Redis there, or set REDIS_URL to a Redis you run.`,
    );
  }
  if (probe.reason === 'noauth') {
    throw new ProvisionError(
      `Redis at ${shown} requires a password (${probe.detail}). Put it in REDIS_URL (redis://:PASSWORD@${target.host}:${target.port}), or set REDIS_URL to another Redis.`,
    );
  }
  if (probe.reason === 'auth') {
    throw new ProvisionError(
      `Redis at ${shown} rejected the credentials in REDIS_URL (${probe.detail}). Fix REDIS_URL, or set it to another Redis.`,
    );
  }
  if (probe.reason !== 'refused') {
    throw new ProvisionError(
      `Something listens at ${shown} but does not answer as a usable Redis (${probe.detail}). Stop whatever uses port ${target.port}, or set REDIS_URL to a Redis you run (another port is fine: redis://127.0.0.1:6380 is started for you).`,
    );
  }

  let bin = which('redis-server');
  if (!bin) {
    if (!ctx.isRoot) {
      throw new ProvisionError(
        `Redis is not reachable at ${shown} and redis-server is not installed. Install it (sudo apt-get install redis-server) or set REDIS_URL to a Redis you run.`,
      );
    }
    ctx.log(
      `provision: Redis is not reachable at ${shown} and redis-server is missing: installing it`,
    );
    await aptInstall(ctx, ['redis-server']);
    bin = which('redis-server');
    if (!bin) {
      throw new ProvisionError(
        'apt-get installed redis-server but no redis-server executable is on PATH or in /usr/bin; install Redis by hand or set REDIS_URL.',
      );
    }
    // The package's install script may have started the system service (systemd or init.d).
    probe = await redisPing(target);
    if (probe.ok) return { ...base, how: 'started by the redis-server package' };
  }

  try {
    fs.mkdirSync(paths.dir, { recursive: true });
  } catch (err) {
    throw new ProvisionError(
      `Cannot create ${paths.dir} for Redis's files (${(err as Error).message}). Make the repository writable, run a Redis yourself and set REDIS_URL, or run this as root.`,
    );
  }
  const bind = net.isIP(target.host) ? target.host : '127.0.0.1';
  const args: string[] = [];
  if (target.password) {
    // The password goes in a private config file, not on the command line (visible in ps).
    let conf = `requirepass ${redisConfString(target.password)}\n`;
    if (target.username && target.username !== 'default') {
      conf += `user ${target.username} on ${redisConfString(`>${target.password}`)} ~* &* +@all\n`;
    }
    fs.writeFileSync(paths.confFile, conf, { mode: 0o600 });
    fs.chmodSync(paths.confFile, 0o600);
    args.push(paths.confFile);
  }
  args.push(
    '--port', String(target.port),
    '--bind', bind,
    '--daemonize', 'yes',
    '--dir', paths.dir,
    '--pidfile', paths.pidFile,
    '--logfile', paths.logFile,
    '--save', '',
    '--appendonly', 'no',
  ); // prettier-ignore
  ctx.log(
    `provision: starting redis-server on ${bind}:${target.port} (files in ${path.relative(process.cwd(), paths.dir) || '.'})`,
  );
  try {
    fs.rmSync(paths.pidFile, { force: true });
  } catch {
    // a stale pid file is overwritten by redis anyway
  }
  const logHint = () => {
    const tail = readTail(paths.logFile, 10);
    return tail.length > 0
      ? `Last lines of ${paths.logFile}:\n${indent(tail)}`
      : `See ${paths.logFile}.`;
  };
  await runChecked(
    'Starting Redis',
    bin,
    args,
    {},
    `Fix that (Redis writes its files to ${paths.dir}), or set REDIS_URL to a Redis you run.`,
  );

  const deadline = Date.now() + REDIS_START_WAIT_MS;
  probe = await redisPing(target);
  while (!probe.ok && Date.now() < deadline) {
    const pid = readPid(paths.pidFile);
    if (pid && !processAlive(pid)) break; // it started and died: no point waiting
    await sleep(100);
    probe = await redisPing(target);
  }
  if (!probe.ok) {
    throw new ProvisionError(
      `Started \`${formatCommand(bin, args)}\` but Redis does not answer PING at ${shown} (${probe.detail}).\n${logHint()}`,
    );
  }
  let pid = readPid(paths.pidFile);
  for (let i = 0; !pid && i < 10; i++) {
    await sleep(50);
    pid = readPid(paths.pidFile);
  }
  return {
    ...base,
    startedByUs: true,
    how: `started by us, pid ${pid ?? '?'}`,
    pid: pid ?? undefined,
    logFile: paths.logFile,
  };
}
