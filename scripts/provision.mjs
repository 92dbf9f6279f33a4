#!/usr/bin/env node
// Provisions the Redis and PostgreSQL that `pnpm test` and `pnpm start` need, with node: built-ins
// only (it runs before the TypeScript toolchain exists).
//
// Redis (REDIS_URL, default redis://127.0.0.1:6379): PING it; when it does not answer and the host is
// this machine, install redis-server from Debian packages if missing (root only) and start our own
// daemon (no systemd) with its files under data/redis/.
// PostgreSQL (TEST_POSTGRES_URL, default postgres://cds:cds@127.0.0.1:5432/cds_test, and DATABASE_URL
// when it is a postgres URL): check it with psql; when that fails and the host is this machine,
// install PostgreSQL if missing, create or start the Debian cluster on the URL's port, and create the
// URL's role and database (root only).
// Servers on other hosts are only probed. Servers already running are never restarted or changed
// beyond creating a missing role/database. Passwords are never printed.
//
// CLI: node scripts/provision.mjs [--redis-only | --postgres-only] [--quiet]
// API: import { provision } from './provision.mjs'; await provision({ redis, postgres, quiet })
// Test hook: PROVISION_ASSUME_NOT_ROOT=1 makes a root run behave as an unprivileged one.

import { spawn } from 'node:child_process';
import { Buffer } from 'node:buffer';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import tls from 'node:tls';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
export const DEFAULT_TEST_POSTGRES_URL = 'postgres://cds:cds@127.0.0.1:5432/cds_test';

const PROBE_TIMEOUT_MS = 1000;
const REDIS_START_WAIT_MS = 10_000;
const POSTGRES_WAIT_MS = 20_000;
const FALLBACK_BIN_DIRS = [
  '/usr/local/sbin',
  '/usr/local/bin',
  '/usr/sbin',
  '/usr/bin',
  '/sbin',
  '/bin',
];
const PG_LIB_DIR = '/usr/lib/postgresql';

/** An expected failure: its message says what is wrong and what to do; no stack trace needed. */
export class ProvisionError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ProvisionError';
  }
}

// ---------------------------------------------------------------------------------------------
// small helpers

/** The URL with its password (user info or a `password` query parameter) replaced by ***. */
export function maskUrl(url) {
  let u;
  try {
    u = new URL(url);
  } catch {
    return '<invalid URL>';
  }
  if (u.password) u.password = '***';
  for (const key of [...u.searchParams.keys()]) {
    if (/pass/i.test(key)) u.searchParams.set(key, '***');
  }
  return u.toString();
}

export function isLocalHost(host) {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return (
    h === '' || h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1' || /^127\./.test(h)
  );
}

function stripBrackets(host) {
  return host.replace(/^\[|\]$/g, '');
}

function safeDecode(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** SQL identifier and string literal quoting (standard_conforming_strings is on by default). */
export function sqlIdent(s) {
  return `"${String(s).replace(/"/g, '""')}"`;
}
export function sqlLiteral(s) {
  return `'${String(s).replace(/'/g, "''")}'`;
}

/** Finds an executable on PATH, then in the usual system directories (sbin is off a user's PATH). */
export function which(name, envPath = process.env.PATH ?? '') {
  const dirs = [...envPath.split(path.delimiter).filter(Boolean), ...FALLBACK_BIN_DIRS];
  for (const dir of new Set(dirs)) {
    const file = path.join(dir, name);
    try {
      if (fs.statSync(file).isFile()) {
        fs.accessSync(file, fs.constants.X_OK);
        return file;
      }
    } catch {
      // not here
    }
  }
  return null;
}

function shellQuote(arg) {
  const s = String(arg);
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function formatCommand(cmd, args) {
  return [cmd, ...args].map(shellQuote).join(' ');
}

function lastLines(text, n) {
  const lines = String(text ?? '')
    .split(/\r?\n|\r/)
    .filter((l) => l.trim() !== '');
  return lines.slice(-n);
}

function indent(lines) {
  return lines.map((l) => `    ${l}`).join('\n');
}

function readTail(file, n) {
  try {
    return lastLines(fs.readFileSync(file, 'utf8').slice(-20_000), n);
  } catch {
    return [];
  }
}

function processAlive(pid) {
  try {
    // A zombie (exited, not yet reaped) still answers kill(pid, 0).
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    // no /proc entry: gone, or no /proc at all
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

function isRedisProcess(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('redis-server');
  } catch {
    return false;
  }
}

function readPid(file) {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Runs a command; never rejects. Output is captured (and echoed line by line with `prefix` when
 * given). Resolves shortly after the process exits even if a daemon it forked kept a pipe open.
 */
function run(cmd, args, { env = process.env, cwd, input, prefix, log, timeoutMs } = {}) {
  return new Promise((resolve) => {
    const res = {
      cmd,
      args,
      code: null,
      signal: null,
      error: null,
      stdout: '',
      stderr: '',
      tail: [],
    };
    let done = false;
    let killTimer;
    const partial = { stdout: '', stderr: '' };
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(killTimer);
      for (const stream of ['stdout', 'stderr']) if (partial[stream]) pushLine(partial[stream]);
      resolve(res);
    };
    const pushLine = (line) => {
      res.tail.push(line);
      if (res.tail.length > 40) res.tail.shift();
      if (prefix && log) log(`  ${prefix} | ${line}`);
    };
    let child;
    try {
      child = spawn(cmd, args, {
        env,
        cwd,
        stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      });
    } catch (err) {
      res.error = err;
      finish();
      return;
    }
    for (const stream of ['stdout', 'stderr']) {
      child[stream].setEncoding('utf8');
      child[stream].on('data', (chunk) => {
        if (res[stream].length < 1_000_000) res[stream] += chunk;
        const parts = (partial[stream] + chunk).split(/\r?\n|\r/);
        partial[stream] = parts.pop();
        for (const line of parts) if (line.trim() !== '') pushLine(line);
      });
    }
    if (input !== undefined) {
      child.stdin.on('error', () => {});
      child.stdin.end(input);
    }
    if (timeoutMs) {
      killTimer = setTimeout(() => {
        res.error = new Error(`timed out after ${timeoutMs / 1000} s`);
        child.kill('SIGKILL');
      }, timeoutMs);
    }
    child.on('error', (err) => {
      res.error = err;
      finish();
    });
    child.on('exit', (code, signal) => {
      res.code = code;
      res.signal = signal;
      const t = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish();
      }, 500);
      t.unref();
    });
    child.on('close', (code, signal) => {
      if (res.code === null && res.signal === null) {
        res.code = code;
        res.signal = signal;
      }
      finish();
    });
  });
}

function commandFailure(what, res, hint) {
  const cmdline = formatCommand(res.cmd, res.args);
  let how;
  if (res.error) {
    how = res.error.code === 'ENOENT' ? 'command not found' : res.error.message;
  } else if (res.signal) {
    how = `killed by ${res.signal}`;
  } else {
    how = `exit status ${res.code}`;
  }
  const tail = lastLines(res.stderr, 12);
  const shown = tail.length > 0 ? tail : res.tail.slice(-12);
  let msg = `${what} failed: \`${cmdline}\` (${how})`;
  if (shown.length > 0) msg += `\n${indent(shown)}`;
  if (hint) msg += `\n${hint}`;
  return new ProvisionError(msg);
}

async function runChecked(what, cmd, args, opts = {}, hint) {
  const res = await run(cmd, args, opts);
  if (res.error || res.code !== 0) throw commandFailure(what, res, hint);
  return res;
}

function tcpProbe(host, port, timeoutMs = PROBE_TIMEOUT_MS) {
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
    socket.once('error', (err) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ ok: false, code: err.code ?? err.message });
    });
  });
}

/** Calls fn until it returns { ok: true }, `final(result)` says waiting cannot help, or time is up. */
async function waitFor(fn, timeoutMs, intervalMs = 150, final = () => false) {
  const deadline = Date.now() + timeoutMs;
  let result = await fn();
  while (!result.ok && !final(result) && Date.now() < deadline) {
    await sleep(intervalMs);
    result = await fn();
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// run context: logging, root, apt (one `apt-get update` per run, installs one at a time)

function makeContext({ quiet = false, summary = true } = {}) {
  const ctx = {
    quiet,
    summary,
    isRoot:
      typeof process.getuid === 'function' &&
      process.getuid() === 0 &&
      process.env.PROVISION_ASSUME_NOT_ROOT !== '1',
    aptUpdated: false,
    aptChain: Promise.resolve(),
    log: (msg) => {
      if (!quiet) console.error(msg);
    },
  };
  return ctx;
}

function aptInstall(ctx, packages) {
  const job = ctx.aptChain.then(async () => {
    const aptGet = which('apt-get');
    if (!aptGet) {
      throw new ProvisionError(
        `apt-get is not available, so ${packages.join(' ')} cannot be installed here: install it with your system's package manager.`,
      );
    }
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const lock = ['-o', 'DPkg::Lock::Timeout=120'];
    if (!ctx.aptUpdated) {
      ctx.log('provision: apt-get update');
      const res = await run(aptGet, [...lock, 'update'], { env, prefix: 'apt', log: ctx.log });
      ctx.aptUpdated = true; // tried once per run, whatever came of it
      if (res.error || res.code !== 0) {
        ctx.log(
          `provision: warning: ${commandFailure('apt-get update', res).message}\nprovision: trying the install with the package lists there are`,
        );
      }
    }
    ctx.log(`provision: apt-get install ${packages.join(' ')}`);
    await runChecked(
      `Installing ${packages.join(' ')}`,
      aptGet,
      [...lock, 'install', '-y', '--no-install-recommends', ...packages],
      { env, prefix: 'apt', log: ctx.log },
    );
  });
  ctx.aptChain = job.catch(() => {});
  return job;
}

// ---------------------------------------------------------------------------------------------
// Redis

export function parseRedisUrl(url) {
  let u;
  try {
    u = new URL(url);
  } catch {
    throw new ProvisionError(
      `REDIS_URL is not a valid URL (${maskUrl(url)}); expected redis://[:password@]host[:port]`,
    );
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new ProvisionError(
      `REDIS_URL must start with redis:// or rediss:// (got ${maskUrl(url)})`,
    );
  }
  return {
    host: stripBrackets(u.hostname) || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    username: safeDecode(u.username),
    password: safeDecode(u.password),
    tls: u.protocol === 'rediss:',
  };
}

export function respCommand(...args) {
  let out = `*${args.length}\r\n`;
  for (const a of args) out += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
  return out;
}

/**
 * Sends [AUTH] + PING. Resolves { ok: true } on +PONG, else { ok: false, reason, detail } with
 * reason one of refused, timeout, noreply, closed, protocol, auth, noauth, loading, error, or a
 * socket error code.
 */
export function redisPing(target, timeoutMs = PROBE_TIMEOUT_MS) {
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
    const settle = (result) => {
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
    socket.on('data', (chunk) => {
      buf += chunk.toString('latin1');
      if (buf.length > 4096) {
        settle({ ok: false, reason: 'protocol', detail: 'unexpected long reply (not Redis?)' });
        return;
      }
      const lines = buf.split('\r\n');
      if (lines.length - 1 < expected) return;
      const replies = lines.slice(0, expected);
      if (withAuth && !replies[0].startsWith('+')) {
        const kind = replies[0].startsWith('-') ? 'auth' : 'protocol';
        settle({ ok: false, reason: kind, detail: replies[0].slice(0, 200) });
        return;
      }
      const pong = replies[expected - 1];
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
    socket.once('error', (err) => {
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

function redisPaths(port) {
  const dir = path.join(REPO_ROOT, 'data', 'redis');
  return {
    dir,
    pidFile: path.join(dir, `redis-${port}.pid`),
    logFile: path.join(dir, `redis-${port}.log`),
    confFile: path.join(dir, `redis-${port}.conf`),
  };
}

function redisConfString(s) {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

async function ensureRedis(ctx, url) {
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
    const ours = pid && isLocalHost(target.host) && isRedisProcess(pid);
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
      `Cannot create ${paths.dir} for Redis's files (${err.message}). Make the repository writable, run a Redis yourself and set REDIS_URL, or run this as root.`,
    );
  }
  const bind = net.isIP(target.host) ? target.host : '127.0.0.1';
  const args = [];
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

// ---------------------------------------------------------------------------------------------
// PostgreSQL

export function parsePostgresUrl(url, varName = 'TEST_POSTGRES_URL') {
  let u;
  try {
    u = new URL(url);
  } catch {
    throw new ProvisionError(
      `${varName} is not a valid URL (${maskUrl(url)}); expected postgres://user:password@host:port/database`,
    );
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new ProvisionError(
      `${varName} must start with postgres:// or postgresql:// (got ${maskUrl(url)})`,
    );
  }
  const host = stripBrackets(u.hostname) || u.searchParams.get('host') || '';
  const user = safeDecode(u.username) || u.searchParams.get('user') || '';
  return {
    host: host.startsWith('/') ? '' : host, // a socket directory counts as "this machine, no TCP"
    port: Number(u.port || u.searchParams.get('port') || 5432),
    user,
    password: safeDecode(u.password) || u.searchParams.get('password') || '',
    database: safeDecode(u.pathname.replace(/^\//, '')) || u.searchParams.get('dbname') || user,
  };
}

/** psql's connection string for `url` without its password, plus the env that carries it. */
function psqlConnection(url) {
  const u = new URL(url);
  const password = safeDecode(u.password) || u.searchParams.get('password') || '';
  u.password = '';
  u.searchParams.delete('password');
  const env = { ...process.env, PGCONNECT_TIMEOUT: '2' };
  if (password) env.PGPASSWORD = password;
  return { conninfo: u.toString(), env };
}

export function classifyPsqlError(stderr) {
  const s = String(stderr);
  if (/password authentication failed/i.test(s)) return 'auth';
  if (/no pg_hba\.conf entry/i.test(s)) return 'hba';
  if (/role "[^"]*" does not exist/i.test(s)) return 'norole';
  if (/database "[^"]*" does not exist/i.test(s)) return 'nodb';
  if (/starting up|shutting down|in recovery mode|not yet accepting/i.test(s)) return 'starting';
  if (/connection refused/i.test(s)) return 'refused';
  if (/timeout expired/i.test(s)) return 'timeout';
  if (/no password supplied|password is required/i.test(s)) return 'nopassword';
  return 'other';
}

async function psqlProbe(psql, url) {
  const { conninfo, env } = psqlConnection(url);
  const res = await run(psql, ['-X', '-w', '-tA', '-d', conninfo, '-c', 'select 1'], {
    env,
    timeoutMs: 15_000,
  });
  if (!res.error && res.code === 0 && res.stdout.trim() === '1') return { ok: true };
  const detail = lastLines(res.stderr || res.error?.message || `exit status ${res.code}`, 3).join(
    ' / ',
  );
  return { ok: false, reason: classifyPsqlError(res.stderr), detail };
}

export function serverVersions(libDir = PG_LIB_DIR) {
  let names = [];
  try {
    names = fs.readdirSync(libDir);
  } catch {
    return [];
  }
  return names
    .filter(
      (v) => /^\d+(\.\d+)?$/.test(v) && fs.existsSync(path.join(libDir, v, 'bin', 'postgres')),
    )
    .sort((a, b) => Number(b) - Number(a));
}

/** Parses `pg_lsclusters --no-header` text: Ver Cluster Port Status Owner Datadir Logfile. */
export function parseClustersText(text) {
  return String(text)
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 5 && /^\d/.test(f[0]))
    .map((f) => ({
      version: f[0],
      name: f[1],
      port: Number(f[2]),
      running: f[3].startsWith('online'),
      owner: f[4],
      dataDir: f[5],
      logFile: f[6],
      socketDir: '/var/run/postgresql',
      hbaFile: `/etc/postgresql/${f[0]}/${f[1]}/pg_hba.conf`,
      configDir: `/etc/postgresql/${f[0]}/${f[1]}`,
    }));
}

function userNameOf(uid) {
  try {
    for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f.length > 2 && Number(f[2]) === uid) return f[0];
    }
  } catch {
    // fall through
  }
  return 'postgres';
}

async function listClusters(bin) {
  const json = await run(bin, ['--json'], { timeoutMs: 30_000 });
  if (!json.error && json.code === 0) {
    try {
      return JSON.parse(json.stdout).map((c) => ({
        version: String(c.version),
        name: c.cluster,
        port: Number(c.port),
        running: Boolean(Number(c.running)),
        owner: userNameOf(Number(c.owneruid)),
        dataDir: c.pgdata,
        logFile: c.logfile,
        socketDir: c.socketdir || '/var/run/postgresql',
        hbaFile: c.config?.hba_file || `${c.configdir}/pg_hba.conf`,
        configDir: c.configdir,
      }));
    } catch {
      // older postgresql-common: use the text form
    }
  }
  const text = await runChecked('Listing PostgreSQL clusters', bin, ['--no-header'], {
    timeoutMs: 30_000,
  });
  return parseClustersText(text.stdout);
}

/** Runs SQL as the cluster's owner (a superuser, by peer auth over the Unix socket). */
async function psqlAsOwner(ctx, tools, cluster, sql, what) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PG')));
  const psqlArgs = [
    '-X',
    '-q',
    '-v',
    'ON_ERROR_STOP=1',
    '-tA',
    '-h',
    cluster.socketDir,
    '-p',
    String(cluster.port),
    '-d',
    'postgres',
    '-f',
    '-',
  ];
  let cmd;
  let args;
  if (tools.runuser) {
    cmd = tools.runuser;
    args = ['-u', cluster.owner, '--', tools.psql, ...psqlArgs];
  } else {
    cmd = which('su') ?? 'su';
    args = ['-s', '/bin/sh', cluster.owner, '-c', formatCommand(tools.psql, psqlArgs)];
  }
  // SQL goes through stdin so that a password in it is never on a command line.
  const res = await runChecked(what, cmd, args, { env, cwd: '/', input: sql, timeoutMs: 60_000 });
  return res.stdout.trim();
}

function pgToolPaths() {
  return {
    pg_lsclusters: which('pg_lsclusters'),
    pg_ctlcluster: which('pg_ctlcluster'),
    pg_createcluster: which('pg_createcluster'),
    psql: which('psql'),
    runuser: which('runuser'),
  };
}

async function ensurePostgres(ctx, url, varName) {
  const t = parsePostgresUrl(url, varName);
  const shown = maskUrl(url);
  const base = { url, display: shown, startedByUs: false };
  const local = isLocalHost(t.host);
  const tcpHost = t.host || '127.0.0.1';
  const tcp = () => (t.host ? tcpProbe(t.host, t.port) : Promise.resolve({ ok: true }));
  const orSet = `or set ${varName} to a PostgreSQL you run`;

  let tools = pgToolPaths();
  let tcpResult = await tcp();
  let probe = null;
  if (tcpResult.ok && tools.psql) {
    probe = await psqlProbe(tools.psql, url);
    if (probe.ok) return { ...base, how: 'already running' };
  }
  if (!local) {
    if (!tcpResult.ok) {
      throw new ProvisionError(
        `PostgreSQL is not reachable at ${shown} (${tcpResult.code}). That host is not this machine, so nothing is installed or started: start it there, ${orSet}.`,
      );
    }
    if (!tools.psql) {
      ctx.log(
        `provision: warning: psql is not installed, so the credentials in ${varName} were not checked (only the TCP port)`,
      );
      return { ...base, how: 'port answers; credentials not checked, psql missing' };
    }
    throw new ProvisionError(
      `PostgreSQL at ${shown} answers but is not usable: ${probe.detail}. Fix it there, ${orSet}.`,
    );
  }

  // This machine: make sure the server tools are installed.
  const missing = Object.entries(tools)
    .filter(([name, p]) => !p && name !== 'runuser')
    .map(([name]) => name);
  if (serverVersions().length === 0) missing.push(`${PG_LIB_DIR}/<version>/bin/postgres`);
  if (missing.length > 0) {
    if (!ctx.isRoot) {
      throw new ProvisionError(
        `PostgreSQL is not reachable at ${shown} and the PostgreSQL server is not installed (missing: ${missing.join(', ')}). Install it (sudo apt-get install postgresql) and run this again, ${orSet}.`,
      );
    }
    ctx.log(
      `provision: PostgreSQL is not usable at ${shown} and not installed (missing: ${missing.join(', ')}): installing postgresql`,
    );
    await aptInstall(ctx, ['postgresql']);
    tools = pgToolPaths();
    const still = Object.entries(tools).filter(([name, p]) => !p && name !== 'runuser');
    if (still.length > 0 || serverVersions().length === 0) {
      throw new ProvisionError(
        `apt-get installed postgresql but ${still.map(([n]) => n).join(', ') || 'the server binary'} is still missing; install PostgreSQL by hand, ${orSet}.`,
      );
    }
    tcpResult = await tcp();
    if (tcpResult.ok) {
      probe = await psqlProbe(tools.psql, url);
      if (probe.ok) return { ...base, how: 'started by the postgresql package' };
    }
  }

  // The Debian cluster on the URL's port: create it or start it.
  let clusters = await listClusters(tools.pg_lsclusters);
  let cluster = clusters.find((c) => c.port === t.port);
  let clusterAction = null;
  if (!cluster) {
    if (tcpResult.ok) {
      throw new ProvisionError(
        `PostgreSQL at ${shown} answers but is not usable (${probe?.detail ?? 'not checked'}), and no cluster listed by pg_lsclusters uses port ${t.port}, so this script cannot fix it: create the role and database there, ${orSet}.`,
      );
    }
    const version = serverVersions()[0];
    const name = clusters.some((c) => c.version === version && c.name === 'main')
      ? `cds${t.port}`
      : 'main';
    if (!ctx.isRoot) {
      throw new ProvisionError(
        `PostgreSQL is not reachable at ${shown} and no cluster uses port ${t.port}. Create one (sudo pg_createcluster ${version} ${name} -p ${t.port} --start), run this script as root, ${orSet}.`,
      );
    }
    ctx.log(`provision: creating PostgreSQL cluster ${version}/${name} on port ${t.port}`);
    await runChecked(
      'Creating a PostgreSQL cluster',
      tools.pg_createcluster,
      [version, name, '-p', String(t.port), '--start'],
      {
        prefix: 'pg',
        log: ctx.log,
      },
    );
    clusters = await listClusters(tools.pg_lsclusters);
    cluster = clusters.find((c) => c.port === t.port);
    if (!cluster)
      throw new ProvisionError(
        `pg_createcluster ${version} ${name} ran but pg_lsclusters shows no cluster on port ${t.port}`,
      );
    clusterAction = 'created and started by us';
  } else if (!cluster.running) {
    const id = `${cluster.version} ${cluster.name}`;
    if (!ctx.isRoot) {
      throw new ProvisionError(
        `PostgreSQL cluster ${cluster.version}/${cluster.name} (port ${t.port}) is down. Start it (sudo pg_ctlcluster ${id} start), run this script as root, ${orSet}.`,
      );
    }
    ctx.log(
      `provision: starting PostgreSQL cluster ${cluster.version}/${cluster.name} on port ${t.port}`,
    );
    const hint = () => {
      const tail = readTail(cluster.logFile, 10);
      return tail.length > 0
        ? `Last lines of ${cluster.logFile}:\n${indent(tail)}`
        : `See ${cluster.logFile}.`;
    };
    const res = await run(tools.pg_ctlcluster, [cluster.version, cluster.name, 'start'], {
      timeoutMs: 120_000,
    });
    if (res.error || res.code !== 0) throw commandFailure('Starting PostgreSQL', res, hint());
    clusterAction = 'started by us';
  }
  const clusterId = `${cluster.version}/${cluster.name}`;

  tcpResult = await waitFor(tcp, POSTGRES_WAIT_MS);
  if (!tcpResult.ok) {
    throw new ProvisionError(
      `PostgreSQL cluster ${clusterId} runs but does not accept TCP connections at ${tcpHost}:${t.port} (${tcpResult.code}). Check listen_addresses and port in ${cluster.configDir}/postgresql.conf, ${orSet}.`,
    );
  }

  // Role and database: created when missing, never altered.
  // A server that is still starting up cannot answer questions about roles yet: wait for it.
  probe = await waitFor(
    () => psqlProbe(tools.psql, url),
    POSTGRES_WAIT_MS,
    250,
    (p) => p.reason !== 'starting',
  );
  const created = [];
  if (!probe.ok) {
    if (!t.user) {
      throw new ProvisionError(
        `${varName} names no user, so no role can be created (${probe.detail}); put user:password in it.`,
      );
    }
    if (!ctx.isRoot) {
      throw new ProvisionError(
        `PostgreSQL at ${shown} answers but refuses the connection: ${probe.detail}. As root, run this script again (it creates role ${sqlIdent(t.user)} and database ${sqlIdent(t.database)}), or create them yourself: sudo -u ${cluster.owner} createuser --pwprompt ${shellQuote(t.user)} && sudo -u ${cluster.owner} createdb -O ${shellQuote(t.user)} ${shellQuote(t.database)}; ${orSet}.`,
      );
    }
    const asOwner = (sql, what) => psqlAsOwner(ctx, tools, cluster, sql, what);
    const roleExists =
      (await asOwner(
        `SELECT 1 FROM pg_roles WHERE rolname = ${sqlLiteral(t.user)};`,
        'Checking the PostgreSQL role',
      )) === '1';
    if (!roleExists) {
      ctx.log(`provision: creating PostgreSQL role ${t.user}`);
      const pw = t.password ? ` PASSWORD ${sqlLiteral(t.password)}` : '';
      await asOwner(`CREATE ROLE ${sqlIdent(t.user)} LOGIN${pw};`, `Creating role ${t.user}`);
      created.push(`role ${t.user}`);
    }
    const dbExists =
      (await asOwner(
        `SELECT 1 FROM pg_database WHERE datname = ${sqlLiteral(t.database)};`,
        'Checking the PostgreSQL database',
      )) === '1';
    if (!dbExists) {
      ctx.log(`provision: creating PostgreSQL database ${t.database} owned by ${t.user}`);
      await asOwner(
        `CREATE DATABASE ${sqlIdent(t.database)} OWNER ${sqlIdent(t.user)};`,
        `Creating database ${t.database}`,
      );
      created.push(`database ${t.database}`);
    }
  }

  const settled = (p) => ['auth', 'hba', 'norole', 'nodb', 'nopassword'].includes(p.reason);
  probe = await waitFor(() => psqlProbe(tools.psql, url), POSTGRES_WAIT_MS, 250, settled);
  if (!probe.ok) {
    let hint;
    if (probe.reason === 'auth' && !created.includes(`role ${t.user}`)) {
      hint = `Role ${t.user} exists with another password: set it (sudo -u ${cluster.owner} psql -c "ALTER ROLE ${t.user} PASSWORD '<password from ${varName}>'"), or put the right password in ${varName}. If the password is right, check the host lines of ${cluster.hbaFile}.`;
    } else if (['auth', 'hba', 'nopassword'].includes(probe.reason)) {
      hint = `Password logins over TCP are not allowed for this role/database: add a line like "host ${t.database} ${t.user} 127.0.0.1/32 scram-sha-256" to ${cluster.hbaFile} and reload (sudo pg_ctlcluster ${cluster.version} ${cluster.name} reload), or put a password in ${varName}.`;
    } else {
      hint = `See ${cluster.logFile} and ${cluster.hbaFile}, ${orSet}.`;
    }
    throw new ProvisionError(
      `PostgreSQL cluster ${clusterId} runs but ${shown} is not usable: ${probe.detail}.\n${hint}`,
    );
  }

  const parts = [clusterAction ? `cluster ${clusterId} ${clusterAction}` : 'already running'];
  if (created.length > 0) parts.push(`created ${created.join(' and ')}`);
  return {
    ...base,
    startedByUs: clusterAction !== null,
    cluster: clusterId,
    created,
    how: parts.join('; '),
  };
}

// ---------------------------------------------------------------------------------------------
// entry points

/**
 * Makes Redis and/or PostgreSQL usable. Returns
 * { redis?: { url, display, startedByUs, pid?, how }, postgres?: { url, display, startedByUs, cluster?, how },
 *   appDatabase?: {...same as postgres, for DATABASE_URL when it is a postgres URL} }.
 * `url` is the real URL (with its password) for handing to child processes; `display` is masked.
 * Throws ProvisionError with a message saying what to do. Prints one summary line per service
 * unless `summary: false`; `quiet` hides progress (apt output, "starting ...").
 */
export async function provision({
  redis = true,
  postgres = true,
  quiet = false,
  summary = true,
  testDatabase = true,
  redisUrl = process.env.REDIS_URL || DEFAULT_REDIS_URL,
  postgresUrl = process.env.TEST_POSTGRES_URL || DEFAULT_TEST_POSTGRES_URL,
  databaseUrl = process.env.DATABASE_URL || '',
} = {}) {
  const ctx = makeContext({ quiet, summary });
  const result = {};
  const say = (line) => {
    if (ctx.summary) console.log(line);
  };
  if (redis) {
    result.redis = await ensureRedis(ctx, redisUrl);
    say(`provision: Redis ready at ${result.redis.display} (${result.redis.how})`);
  }
  if (postgres) {
    if (testDatabase) {
      result.postgres = await ensurePostgres(ctx, postgresUrl, 'TEST_POSTGRES_URL');
      say(`provision: PostgreSQL ready at ${result.postgres.display} (${result.postgres.how})`);
    }
    if (/^postgres(ql)?:/i.test(databaseUrl) && (databaseUrl !== postgresUrl || !testDatabase)) {
      result.appDatabase = await ensurePostgres(ctx, databaseUrl, 'DATABASE_URL');
      say(
        `provision: PostgreSQL (DATABASE_URL) ready at ${result.appDatabase.display} (${result.appDatabase.how})`,
      );
    }
  }
  return result;
}

const USAGE = `usage: node scripts/provision.mjs [--redis-only | --postgres-only | --app] [--quiet]
Makes REDIS_URL (default ${DEFAULT_REDIS_URL}) and TEST_POSTGRES_URL
(default ${maskUrl(DEFAULT_TEST_POSTGRES_URL)}, plus DATABASE_URL when it is a postgres URL)
usable: probes them and, on this machine, installs (as root) and starts what is missing.
--app: what \`pnpm start\` needs: Redis, and DATABASE_URL when it is a postgres URL (no test database).`;

export async function main(argv = process.argv.slice(2)) {
  const flags = new Set(argv);
  if (flags.has('--help') || flags.has('-h')) {
    console.log(USAGE);
    return 0;
  }
  const known = new Set(['--redis-only', '--postgres-only', '--app', '--quiet']);
  const unknown = argv.filter((a) => !known.has(a));
  if (unknown.length > 0 || (flags.has('--redis-only') && flags.has('--postgres-only'))) {
    console.error(
      unknown.length > 0
        ? `provision: unknown argument ${unknown.join(' ')}`
        : 'provision: --redis-only and --postgres-only exclude each other',
    );
    console.error(USAGE);
    return 2;
  }
  try {
    await provision({
      redis: !flags.has('--postgres-only'),
      postgres: !flags.has('--redis-only'),
      testDatabase: !flags.has('--app'),
      quiet: flags.has('--quiet'),
    });
    return 0;
  } catch (err) {
    if (err instanceof ProvisionError) console.error(`provision: ${err.message}`);
    else console.error('provision: unexpected error:', err);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  process.exitCode = await main();
}
